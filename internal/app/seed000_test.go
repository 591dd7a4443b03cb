package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/app"
	_ "github.com/skyfold/skyfold/internal/cloud/all"
	"github.com/skyfold/skyfold/internal/config"
	aliyunsim "github.com/skyfold/skyfold/internal/sim/aliyun"
	"github.com/skyfold/skyfold/internal/store/storetest"
)

const adminPassword = "Adm1n-pass-for-tests"

type client struct {
	t     *testing.T
	base  string
	token string
}

func (c *client) do(method, path string, body any) (int, map[string]any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("X-Auth-Token", c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			c.t.Fatalf("%s %s: not JSON: %s", method, path, raw)
		}
	}
	if resp.Header.Get("X-Subject-Token") != "" {
		m["__token"] = resp.Header.Get("X-Subject-Token")
	}
	return resp.StatusCode, m
}

func (c *client) must(method, path string, body any, want int) map[string]any {
	c.t.Helper()
	st, m := c.do(method, path, body)
	if st != want {
		c.t.Fatalf("%s %s: %d, want %d: %v", method, path, st, want, m)
	}
	return m
}

// startApp runs a whole Skyfold in-process on a fresh store.
func startApp(t *testing.T, kind string) *client {
	t.Helper()
	t.Setenv("SKYFOLD_ADMIN_PASSWORD", adminPassword)
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.DB = storetest.NewDSN(t, kind)
	cfg.Listen = "127.0.0.1:0"
	cfg.TaskLease = 2 * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Listen(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		a.Close()
	})
	c := &client{t: t, base: "http://" + a.Addr()}
	tok := c.must("POST", "/v3/auth/tokens", map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{
			"user": map[string]any{"name": "admin", "domain": map[string]any{"name": "Default"}, "password": adminPassword}}},
		"scope": map[string]any{"project": map[string]any{"name": "system", "domain": map[string]any{"name": "Default"}}},
	}}, http.StatusCreated)
	c.token = tok["__token"].(string)
	return c
}

func simServer(t *testing.T, instances int) string {
	t.Helper()
	sim, err := aliyunsim.New(aliyunsim.Config{Accounts: []aliyunsim.Account{{AccessKeyID: "LTAI5tEXAMPLEKEYID00001",
		AccessKeySecret: "EXAMPLEsecretEXAMPLEsecret0001", AccountID: "1423762516458388", Name: "zhihuima"}}, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Populate("LTAI5tEXAMPLEKEYID00001", aliyunsim.PopulateOptions{Instances: instances, Regions: []string{"cn-beijing"}, Buckets: 1}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(func() { srv.Close(); sim.Close() })
	return srv.URL
}

func poll(t *testing.T, what string, within time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: timed out", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestSeed000Replay replays seed 000's requests: connectivity test, account
// creation, the list query strings, region and provider lookups, bucket
// creation and listing, then disable, delete and poll until gone.
func TestSeed000Replay(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			simURL := simServer(t, 12)
			c := startApp(t, kind)
			_, projects := c.do("GET", "/api/v2/projects?scope=domain&limit=20", nil)
			_ = projects
			body := map[string]any{
				"name": "zhihuima@aliyun.com", "environment": "InternationalCloud", "access_url": simURL,
				"access_key_id": "LTAI5tEXAMPLEKEYID00001", "access_key_secret": "EXAMPLEsecretEXAMPLEsecret0001",
				"isOpenBlockedResources": false, "saml_auth": false, "enable_auto_sync": false, "read_only": false,
				"enabled": true, "provider": "Aliyun", "dry_run": true,
			}
			dry := c.must("POST", "/api/v2/cloudaccounts", body, 200)
			for _, f := range []string{"access_url", "account", "account_id", "brand", "cloud_env", "is_public_cloud", "is_on_premise",
				"enabled", "read_only", "share_mode", "public_scope", "proxy_setting", "guest_count", "disk_count", "vpc_count",
				"host_count", "eip_count", "storage_count", "balance", "domain_id", "tenant_id", "sync_stauts2", "update_version"} {
				if _, ok := dry[f]; !ok {
					t.Errorf("dry run response lacks %q", f)
				}
			}
			if dry["account_id"] != "1423762516458388" {
				t.Fatalf("account_id %v", dry["account_id"])
			}
			if _, ok := dry["secret"]; ok {
				t.Fatal("a secret came back")
			}
			if st, m := c.do("GET", "/api/v2/cloudaccounts?scope=domain&limit=20", nil); st != 200 || m["total"].(float64) != 0 {
				t.Fatalf("dry run stored something: %v", m)
			}
			// A wrong secret: the dry run says why.
			bad := map[string]any{}
			for k, v := range body {
				bad[k] = v
			}
			bad["access_key_secret"] = "nope"
			if st, m := c.do("POST", "/api/v2/cloudaccounts", bad); st != 400 || !strings.Contains(fmt.Sprint(m), "credential") {
				t.Fatalf("bad secret: %d %v", st, m)
			}

			delete(body, "dry_run")
			body["sub_accounts"] = map[string]any{
				"accounts":     []map[string]any{{"account": "LTAI5tEXAMPLEKEYID00001", "health_status": "normal", "id": "1423762516458388", "name": "zhihuima@aliyun.com"}},
				"cloudregions": []map[string]any{{"id": "Aliyun/cn-beijing"}},
			}
			acct := c.must("POST", "/api/v2/cloudaccounts", body, 200)
			id := acct["id"].(string)
			if acct["status"] != "init" || acct["sync_status"] != "queued" || acct["sub_accounts"] == nil {
				t.Fatalf("created: status %v sync %v", acct["status"], acct["sync_status"])
			}
			if st, _ := c.do("POST", "/api/v2/cloudaccounts", body); st != 409 {
				t.Fatalf("duplicate: %d", st)
			}
			poll(t, "first sync", 60*time.Second, func() bool {
				m := c.must("GET", "/api/v2/cloudaccounts/"+id+"?scope=domain&show_fail_reason=true&details=true", nil, 200)
				return m["sync_status"] == "idle" && m["status"] == "connected"
			})
			for _, q := range []string{"?scope=domain&show_fail_reason=true&details=false&limit=20", "?scope=domain&show_fail_reason=true&details=true&limit=20"} {
				m := c.must("GET", "/api/v2/cloudaccounts"+q, nil, 200)
				if m["total"].(float64) != 1 || m["cloudaccounts"].([]any)[0].(map[string]any)["guest_count"].(float64) != 12 {
					t.Fatalf("list %s: %v", q, m)
				}
			}
			// The account shows each region's last sync, per kind.
			one := c.must("GET", "/api/v2/cloudaccounts/"+id+"?details=true", nil, 200)
			results, _ := one["sync_results"].([]any)
			servedCount := 0.0
			for _, r := range results {
				rm := r.(map[string]any)
				res, _ := rm["result"].(map[string]any)
				srv, _ := res["server"].(map[string]any)
				if rm["sync_status"] != "idle" || srv == nil || rm["region_ext_id"] == "" {
					t.Fatalf("sync result of a region: %v", rm)
				}
				servedCount += srv["added"].(float64) + srv["unchanged"].(float64) + srv["updated"].(float64)
			}
			if len(results) == 0 || servedCount != 12 {
				t.Fatalf("sync_results account for %v servers in %d regions, want 12", servedCount, len(results))
			}
			servers := c.must("GET", "/api/v2/servers?limit=5&details=true", nil, 200)
			if servers["total"].(float64) != 12 || len(servers["servers"].([]any)) != 5 {
				t.Fatalf("servers: %v", servers["total"])
			}
			regions := c.must("GET", "/api/v2/cloudregions?provider=Aliyun&capability=objectstore&scope=domain&cloud_env=public", nil, 200)
			var regionID string
			for _, r := range regions["cloudregions"].([]any) {
				if r.(map[string]any)["region_ext_id"] == "cn-beijing" {
					regionID = r.(map[string]any)["id"].(string)
				}
			}
			if regionID == "" {
				t.Fatalf("cn-beijing not among %v", regions)
			}
			rp := c.must("GET", "/api/v2/rpc/cloudregions/region-providers?usable=true&cloud_env=public&scope=domain&projecct_domain=x", nil, 200)
			if len(rp["data"].([]any)) != 1 {
				t.Fatalf("region-providers: %v", rp)
			}
			provs := c.must("GET", "/api/v2/cloudproviders?limit=0&enabled=1&details=true&scope=domain&read_only=false&cloudregion="+url.QueryEscape(regionID), nil, 200)
			if len(provs["cloudproviders"].([]any)) != 1 {
				t.Fatalf("cloudproviders: %v", provs)
			}
			managerID := provs["cloudproviders"].([]any)[0].(map[string]any)["id"].(string)

			bucket := c.must("POST", "/api/v2/buckets", map[string]any{
				"provider": "Aliyun", "cloudregion": regionID, "name": "objs", "description": "notation",
				"cloudprovider": managerID, "__meta__": map[string]string{"user:biz": "obj", "user:from": "cloud"},
			}, 200)
			for _, f := range []string{"access_urls", "account", "brand", "cloudregion", "region_ext_id", "manager_id", "metadata", "size_bytes", "object_cnt", "status"} {
				if _, ok := bucket[f]; !ok {
					t.Errorf("bucket response lacks %q", f)
				}
			}
			if bucket["status"] != "start_create" || bucket["region_ext_id"] != "cn-beijing" {
				t.Fatalf("bucket: %v", bucket)
			}
			bid := bucket["id"].(string)
			poll(t, "bucket ready", 30*time.Second, func() bool {
				return c.must("GET", "/api/v2/buckets/"+bid+"?scope=domain&show_fail_reason=true&details=true", nil, 200)["status"] == "ready"
			})
			bl := c.must("GET", "/api/v2/buckets?scope=domain&show_fail_reason=true&details=true&limit=20", nil, 200)
			if bl["total"].(float64) < 2 {
				t.Fatalf("buckets: %v", bl["total"])
			}
			c.must("GET", "/api/v2/buckets/statistics?scope=domain&show_fail_reason=true&details=true&limit=20", nil, 200)

			// Delete is refused while enabled; disable, delete, poll until gone.
			if st, m := c.do("DELETE", "/api/v2/cloudaccounts?id="+id, nil); st != 409 {
				t.Fatalf("delete enabled: %d %v", st, m)
			}
			c.must("POST", "/api/v2/cloudaccounts/disable?id="+id, nil, 200)
			c.must("DELETE", "/api/v2/cloudaccounts?id="+id, nil, 200)
			poll(t, "account gone", 30*time.Second, func() bool {
				st, _ := c.do("GET", "/api/v2/cloudaccounts/"+id+"?scope=domain&show_fail_reason=true&details=true", nil)
				return st == 404
			})
			if m := c.must("GET", "/api/v2/servers?limit=5", nil, 200); m["total"].(float64) != 0 {
				t.Fatalf("servers left after delete: %v", m["total"])
			}
		})
	}
}
