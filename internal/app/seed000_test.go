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
	"os"
	"path/filepath"
	"slices"
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

// seedCall is one of seed 000's calls (testdata/seed000/calls.txt).
type seedCall struct {
	method, path, bodyFile string
}

// seed000 is seed 000's calls and bodies, kept in testdata.
type seed000 struct {
	t     *testing.T
	calls []seedCall
	next  int
	// ids maps the ids of the installation the seed was taken from to
	// their live counterparts, as the replay learns them.
	ids map[string]string
}

func loadSeed000(t *testing.T) *seed000 {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "seed000", "calls.txt"))
	if err != nil {
		t.Fatal(err)
	}
	s := &seed000{t: t, ids: map[string]string{}}
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || strings.HasPrefix(f[0], "#") {
			continue
		}
		c := seedCall{method: f[0], path: f[1]}
		if len(f) > 2 {
			c.bodyFile = f[2]
		}
		s.calls = append(s.calls, c)
	}
	return s
}

// file decodes one of the seed's JSON bodies.
func (s *seed000) file(name string) map[string]any {
	s.t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "seed000", name))
	if err != nil {
		s.t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(s.live(string(raw))), &m); err != nil {
		s.t.Fatalf("%s: %v", name, err)
	}
	return m
}

func (s *seed000) live(text string) string {
	for seedID, liveID := range s.ids {
		text = strings.ReplaceAll(text, seedID, url.QueryEscape(liveID))
	}
	return text
}

// take returns the next call, its path and body with the ids learnt so
// far; want is the call's method and path without its query, to keep the
// replay and the file in step.
func (s *seed000) take(want string) (method, path string, body map[string]any) {
	s.t.Helper()
	if s.next >= len(s.calls) {
		s.t.Fatalf("seed 000 has no call left for %s", want)
	}
	c := s.calls[s.next]
	s.next++
	if got := c.method + " " + strings.SplitN(c.path, "?", 2)[0]; s.live(got) != s.live(want) {
		s.t.Fatalf("seed call %d is %s, the replay expected %s", s.next, got, want)
	}
	if c.bodyFile != "" {
		body = s.file(c.bodyFile)
	}
	return c.method, s.live(c.path), body
}

// sameKeys checks that got has every field the seed's response has, of the
// same JSON kind, except the fields the replay says Skyfold leaves out.
func sameKeys(t *testing.T, where string, seed, got map[string]any, except ...string) {
	t.Helper()
	for k, sv := range seed {
		if slices.Contains(except, k) {
			if _, has := got[k]; has {
				t.Errorf("%s: %q is sent, but Skyfold never sends it", where, k)
			}
			continue
		}
		gv, has := got[k]
		if !has {
			t.Errorf("%s: field %q missing", where, k)
			continue
		}
		if sv != nil && gv != nil && fmt.Sprintf("%T", sv) != fmt.Sprintf("%T", gv) {
			t.Errorf("%s: %q is %T, the seed's is %T", where, k, gv, sv)
		}
	}
}

// TestSeed000Replay replays seed 000's calls with the seed's own bodies
// (testdata/seed000): connectivity test, account creation, the console's
// saved list settings, the list query strings, projects, region and
// provider lookups, bucket creation and listing, the account's balance,
// then enable, disable, delete and poll until gone. Each answer with a
// seed example has every field of it. Two substitutions are made: access_url
// is added to the account bodies (the seed's environment is the real
// cloud; here it is the simulator), and the seed's ids — another
// installation's — are mapped to the live ones as they are learnt, after
// the seed's own tenant has been refused for being unknown here.
func TestSeed000Replay(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			simURL := simServer(t, 12)
			c := startApp(t, kind)
			s := loadSeed000(t)
			const seedTenant, seedDomain = "1d8f98b76e4a4f358b6753788acd90cb", "97b86a00b9ee44658f040d165b5e2704"

			// The connectivity test, first exactly as the seed sends it: its
			// tenant is not a project here.
			method, path, body := s.take("POST /api/v2/cloudaccounts")
			body["access_url"] = simURL
			st, m := c.do(method, path, body)
			if e, _ := m["error"].(map[string]any); st != 400 || !strings.Contains(fmt.Sprint(e["fields"]), "tenant") ||
				!strings.Contains(fmt.Sprint(e["fields"]), "GET /api/v2/projects") {
				t.Fatalf("the seed's tenant: %d %v", st, m)
			}
			proj := c.must("GET", "/api/v2/projects?filter=name.equals(system)", nil, 200)["projects"].([]any)[0].(map[string]any)
			s.ids[seedTenant], s.ids[seedDomain] = proj["id"].(string), proj["domain_id"].(string)
			body["tenant"] = proj["id"]
			dry := c.must(method, path, body, 200)
			sameKeys(t, "dry run", s.file("cloudaccount_dry_run.response.json"), dry, "secret")
			if dry["account_id"] != "1423762516458388" || dry["enable_auto_sync"] != false || dry["tenant_id"] != proj["id"] {
				t.Fatalf("dry run: account_id %v enable_auto_sync %v tenant_id %v", dry["account_id"], dry["enable_auto_sync"], dry["tenant_id"])
			}
			if st, m := c.do("GET", "/api/v2/cloudaccounts?scope=domain&limit=20", nil); st != 200 || m["total"].(float64) != 0 {
				t.Fatalf("dry run stored something: %v", m)
			}
			// A wrong secret: the dry run says why.
			body["access_key_secret"] = "nope"
			if st, m := c.do(method, path, body); st != 400 || !strings.Contains(fmt.Sprint(m), "credential") {
				t.Fatalf("bad secret: %d %v", st, m)
			}

			method, path, body = s.take("POST /api/v2/cloudaccounts")
			body["access_url"] = simURL
			acct := c.must(method, path, body, 200)
			sameKeys(t, "created account", s.file("cloudaccount_create.response.json"), acct, "secret")
			id := acct["id"].(string)
			s.ids["aec54e6f-41d2-4a02-8e24-dad4d18d8469"] = id
			if acct["status"] != "init" || acct["sync_status"] != "queued" || acct["sub_accounts"] == nil || acct["enable_auto_sync"] != false {
				t.Fatalf("created: status %v sync %v enable_auto_sync %v", acct["status"], acct["sync_status"], acct["enable_auto_sync"])
			}
			if st, _ := c.do(method, path, body); st != 409 {
				t.Fatalf("duplicate: %d", st)
			}

			// The console's saved settings of the account list: none yet,
			// then what it saves.
			method, path, _ = s.take("GET /api/v1/parameters/LIST_CloudaccountList")
			if st, m := c.do(method, path, nil); st != 404 || m["error"] == nil {
				t.Fatalf("unsaved list settings: %d %v", st, m)
			}
			c.must("PUT", path, map[string]any{"value": map[string]any{"pageSize": 20}}, 200)
			if v := c.must(method, path, nil, 200)["parameter"].(map[string]any)["value"].(map[string]any); v["pageSize"].(float64) != 20 {
				t.Fatalf("saved list settings: %v", v)
			}

			poll(t, "first sync", 60*time.Second, func() bool {
				m := c.must("GET", "/api/v2/cloudaccounts/"+id+"?scope=domain&show_fail_reason=true&details=true", nil, 200)
				return m["sync_status"] == "idle" && m["status"] == "connected"
			})
			for range 2 {
				method, path, _ = s.take("GET /api/v2/cloudaccounts")
				m := c.must(method, path, nil, 200)
				if m["total"].(float64) != 1 || m["cloudaccounts"].([]any)[0].(map[string]any)["guest_count"].(float64) != 12 {
					t.Fatalf("list %s: %v", path, m)
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

			// Projects to own the bucket.
			method, path, _ = s.take("GET /api/v2/projects")
			if m := c.must(method, path, nil, 200); m["total"].(float64) != 1 || m["limit"].(float64) != 20 {
				t.Fatalf("projects: %v", m)
			}
			method, path, _ = s.take("GET /api/v2/projects")
			if ps := c.must(method, path, nil, 200)["projects"].([]any); len(ps) != 1 || ps[0].(map[string]any)["id"] != proj["id"] {
				t.Fatalf("projects %s: %v", path, ps)
			}
			method, path, _ = s.take("GET /api/v2/rpc/cloudregions/region-providers")
			if rp := c.must(method, path, nil, 200); len(rp["data"].([]any)) != 1 {
				t.Fatalf("region-providers: %v", rp)
			}
			method, path, _ = s.take("GET /api/v1/projects/" + seedTenant)
			if p := c.must(method, path, nil, 200)["project"].(map[string]any); p["id"] != proj["id"] || p["name"] != "system" {
				t.Fatalf("v1 project: %v", p)
			}
			method, path, _ = s.take("GET /api/v2/cloudregions")
			var regionID string
			for _, r := range c.must(method, path, nil, 200)["cloudregions"].([]any) {
				if r.(map[string]any)["region_ext_id"] == "cn-beijing" {
					regionID = r.(map[string]any)["id"].(string)
				}
			}
			if regionID == "" {
				t.Fatal("cn-beijing is not among the object storage regions")
			}
			s.ids["7466d824-24ee-4e20-833c-d905873da365"] = regionID
			method, path, _ = s.take("GET /api/v2/cloudproviders")
			provs := c.must(method, path, nil, 200)["cloudproviders"].([]any)
			if len(provs) != 1 {
				t.Fatalf("cloudproviders: %v", provs)
			}
			s.ids["8abe5cff-3bcd-43cd-86dd-b0ac84f7745c"] = provs[0].(map[string]any)["id"].(string)

			method, path, body = s.take("POST /api/v2/buckets")
			bucket := c.must(method, path, body, 200)
			bucketSeed := s.file("bucket_create.response.json")
			sameKeys(t, "created bucket", bucketSeed, bucket)
			if bucket["status"] != "start_create" || bucket["region_ext_id"] != "cn-beijing" || bucket["source"] != "local" ||
				bucket["tenant_id"] != proj["id"] || bucket["metadata"].(map[string]any)["user:biz"] != "obj" {
				t.Fatalf("bucket: %v", bucket)
			}
			bid := bucket["id"].(string)
			s.ids["e6c40da3-ade6-4fc5-882e-5d2b2cda6c5a"] = bid
			poll(t, "bucket ready", 30*time.Second, func() bool {
				return c.must("GET", "/api/v2/buckets/"+bid, nil, 200)["status"] == "ready"
			})
			method, path, _ = s.take("GET /api/v1/parameters/LIST_BucketList")
			if st, _ := c.do(method, path, nil); st != 404 {
				t.Fatalf("unsaved bucket list settings: %d", st)
			}
			for range 2 {
				method, path, _ = s.take("GET /api/v2/buckets")
				bl := c.must(method, path, nil, 200)
				if bl["total"].(float64) != 2 {
					t.Fatalf("buckets: %v", bl["total"])
				}
				for _, b := range bl["buckets"].([]any) {
					sameKeys(t, "listed bucket", bucketSeed, b.(map[string]any))
				}
			}
			method, path, _ = s.take("GET /api/v2/buckets/statistics")
			if st := c.must(method, path, nil, 200); st["total"].(float64) != 2 {
				t.Fatalf("bucket statistics: %v", st)
			}
			method, path, _ = s.take("GET /api/v2/buckets/" + bid)
			got := c.must(method, path, nil, 200)
			sameKeys(t, "bucket", bucketSeed, got)
			if got["id"] != bid || got["can_delete"] != true || got["update_version"].(float64) < 1 || len(got["access_urls"].([]any)) != 1 {
				t.Fatalf("bucket: %v", got)
			}

			// The balance, read from the cloud now and recorded.
			bal := c.must("GET", "/api/v2/cloudaccounts/"+id+"/balance", nil, 200)
			if bal["currency"] != "CNY" || c.must("POST", "/api/v2/cloudaccounts/"+id+"/balance", nil, 200)["currency"] != "CNY" {
				t.Fatalf("balance: %v %v", bal["balance"], bal["currency"])
			}

			// Delete is refused while enabled; disable, delete, poll until gone.
			method, path, _ = s.take("POST /api/v2/cloudaccounts/enable")
			c.must(method, path, nil, 200)
			if st, m := c.do("DELETE", "/api/v2/cloudaccounts?id="+id, nil); st != 409 {
				t.Fatalf("delete enabled: %d %v", st, m)
			}
			method, path, _ = s.take("POST /api/v2/cloudaccounts/disable")
			c.must(method, path, nil, 200)
			method, path, _ = s.take("DELETE /api/v2/cloudaccounts")
			c.must(method, path, nil, 200)
			method, path, _ = s.take("GET /api/v2/cloudaccounts/" + id)
			poll(t, "account gone", 30*time.Second, func() bool {
				st, _ := c.do(method, path, nil)
				return st == 404
			})
			if s.next != len(s.calls) {
				t.Fatalf("%d of seed 000's calls not replayed", len(s.calls)-s.next)
			}
			if m := c.must("GET", "/api/v2/servers?limit=5", nil, 200); m["total"].(float64) != 0 {
				t.Fatalf("servers left after delete: %v", m["total"])
			}
		})
	}
}
