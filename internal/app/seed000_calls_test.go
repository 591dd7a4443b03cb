package app_test

import (
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	aliyunsim "github.com/skyfold/skyfold/internal/sim/aliyun"
	"github.com/skyfold/skyfold/internal/store/storetest"
)

// member makes a user with the member role on a new project of the Default
// domain and logs it in, scoped to that project.
func member(t *testing.T, admin *client, user, project string) (*client, string) {
	t.Helper()
	dom := admin.must("GET", "/v3/domains?name=Default", nil, 200)["domains"].([]any)[0].(map[string]any)["id"].(string)
	proj := admin.must("POST", "/v3/projects", map[string]any{"project": map[string]any{"name": project, "domain_id": dom}}, http.StatusCreated)["project"].(map[string]any)["id"].(string)
	uid := admin.must("POST", "/v3/users", map[string]any{"user": map[string]any{"name": user, "domain_id": dom, "password": user + "-Pass-123"}}, http.StatusCreated)["user"].(map[string]any)["id"].(string)
	role := admin.must("GET", "/v3/roles?name=member", nil, 200)["roles"].([]any)[0].(map[string]any)["id"].(string)
	admin.must("PUT", "/v3/projects/"+proj+"/users/"+uid+"/roles/"+role, nil, http.StatusNoContent)
	c := &client{t: t, base: admin.base}
	tok := c.must("POST", "/v3/auth/tokens", map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{
			"user": map[string]any{"name": user, "domain": map[string]any{"id": dom}, "password": user + "-Pass-123"}}},
		"scope": map[string]any{"project": map[string]any{"id": proj}},
	}}, http.StatusCreated)
	c.token = tok["__token"].(string)
	return c, proj
}

func names(list []any) map[string]bool {
	out := map[string]bool{}
	for _, x := range list {
		out[x.(map[string]any)["name"].(string)] = true
	}
	return out
}

// TestCloudpodsProjects lists and reads projects as the console does, each
// caller seeing only what its grant reaches.
func TestCloudpodsProjects(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			admin := startApp(t, kind)
			alice, aliceProj := member(t, admin, "alice", "team-a")
			_, bobProj := member(t, admin, "bob", "team-b")

			all := admin.must("GET", "/api/v2/projects?scope=domain&limit=20", nil, 200)
			got := names(all["projects"].([]any))
			if !got["system"] || !got["team-a"] || !got["team-b"] || all["total"].(float64) != 3 || all["limit"].(float64) != 20 {
				t.Fatalf("admin's projects: %v", all)
			}
			one := admin.must("GET", "/api/v2/projects?scope=domain&limit=20&filter="+url.QueryEscape("id.in("+bobProj+")"), nil, 200)
			if one["total"].(float64) != 1 || !names(one["projects"].([]any))["team-b"] {
				t.Fatalf("id.in filter: %v", one)
			}
			if m := admin.must("GET", "/api/v2/projects?limit=1&offset=1", nil, 200); m["total"].(float64) != 3 || len(m["projects"].([]any)) != 1 {
				t.Fatalf("paging: %v", m)
			}
			mine := alice.must("GET", "/api/v2/projects?scope=project&limit=20", nil, 200)
			if mine["total"].(float64) != 1 || !names(mine["projects"].([]any))["team-a"] {
				t.Fatalf("alice's projects: %v", mine)
			}

			dom := admin.must("GET", "/v3/domains?name=Default", nil, 200)["domains"].([]any)[0].(map[string]any)["id"].(string)
			v1 := admin.must("GET", "/api/v1/projects/"+bobProj+"?project_domain="+dom, nil, 200)
			p, _ := v1["project"].(map[string]any)
			if p == nil || p["id"] != bobProj || p["name"] != "team-b" || p["domain_id"] != dom || p["project_domain"] != "Default" {
				t.Fatalf("v1 project: %v", v1)
			}
			if m := admin.must("GET", "/api/v1/projects/team-a?project_domain=Default", nil, 200); m["project"].(map[string]any)["id"] != aliceProj {
				t.Fatalf("by name: %v", m)
			}
			alice.must("GET", "/api/v1/projects/"+aliceProj, nil, 200)
			// Another project is not found for alice, in the Cloudpods envelope.
			st, m := alice.do("GET", "/api/v1/projects/"+bobProj+"?project_domain="+dom, nil)
			e, _ := m["error"].(map[string]any)
			if st != 404 || e == nil || e["code"].(float64) != 404 {
				t.Fatalf("alice reads bob's project: %d %v", st, m)
			}
			if st, m := admin.do("GET", "/api/v1/projects/nope", nil); st != 404 || m["error"] == nil {
				t.Fatalf("unknown project: %d %v", st, m)
			}
		})
	}
}

// TestCloudpodsParameters saves, reads and replaces the console's list
// settings, each user seeing only its own.
func TestCloudpodsParameters(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			admin := startApp(t, kind)
			alice, _ := member(t, admin, "alice", "team-a")
			// Nothing saved yet: the console falls back to its defaults.
			if st, m := admin.do("GET", "/api/v1/parameters/LIST_CloudaccountList", nil); st != 404 || m["error"] == nil {
				t.Fatalf("unsaved: %d %v", st, m)
			}
			value := map[string]any{"pageSize": 20, "hiddenColumns": []any{"balance"}}
			saved := admin.must("POST", "/api/v1/parameters", map[string]any{"name": "LIST_CloudaccountList", "value": value}, 200)["parameter"].(map[string]any)
			if saved["name"] != "LIST_CloudaccountList" || saved["namespace"] != "user" || saved["update_version"].(float64) != 0 {
				t.Fatalf("saved: %v", saved)
			}
			got := admin.must("GET", "/api/v1/parameters/LIST_CloudaccountList", nil, 200)["parameter"].(map[string]any)
			if got["value"].(map[string]any)["pageSize"].(float64) != 20 || got["id"] != saved["id"] {
				t.Fatalf("read back: %v", got)
			}
			// Wrapped as the console's v1 calls send it, by name and by id.
			upd := admin.must("PUT", "/api/v1/parameters/LIST_CloudaccountList", map[string]any{"parameter": map[string]any{"value": map[string]any{"pageSize": 50}}}, 200)["parameter"].(map[string]any)
			if upd["value"].(map[string]any)["pageSize"].(float64) != 50 || upd["update_version"].(float64) != 1 || upd["id"] != saved["id"] {
				t.Fatalf("replaced: %v", upd)
			}
			admin.must("PUT", "/api/v1/parameters/"+saved["id"].(string), map[string]any{"value": []any{"a"}}, 200)
			admin.must("PUT", "/api/v1/parameters/LIST_BucketList", map[string]any{"value": map[string]any{"pageSize": 10}}, 200)
			if m := admin.must("GET", "/api/v1/parameters", nil, 200); m["total"].(float64) != 2 {
				t.Fatalf("admin's parameters: %v", m)
			}
			// Alice has her own.
			if st, _ := alice.do("GET", "/api/v1/parameters/LIST_BucketList", nil); st != 404 {
				t.Fatalf("alice reads admin's parameter: %d", st)
			}
			alice.must("POST", "/api/v1/parameters", map[string]any{"name": "LIST_BucketList", "value": map[string]any{"pageSize": 100}}, 200)
			if v := admin.must("GET", "/api/v1/parameters/LIST_BucketList", nil, 200)["parameter"].(map[string]any)["value"].(map[string]any); v["pageSize"].(float64) != 10 {
				t.Fatalf("alice's save changed admin's: %v", v)
			}
			if st, m := admin.do("POST", "/api/v1/parameters", map[string]any{"value": 1}); st != 400 || m["error"] == nil {
				t.Fatalf("nameless: %d %v", st, m)
			}
			admin.must("DELETE", "/api/v1/parameters/LIST_BucketList", nil, 200)
			if st, _ := admin.do("GET", "/api/v1/parameters/LIST_BucketList", nil); st != 404 {
				t.Fatalf("deleted: %d", st)
			}
		})
	}
}

// aliyunSim starts an Aliyun simulator with the seed's account and no
// instances, so that nothing but what a test sets moves its balance.
func aliyunSim(t *testing.T) (*aliyunsim.Server, string) {
	t.Helper()
	sim, err := aliyunsim.New(aliyunsim.Config{Accounts: []aliyunsim.Account{{AccessKeyID: "LTAI5tEXAMPLEKEYID00001",
		AccessKeySecret: "EXAMPLEsecretEXAMPLEsecret0001", AccountID: "1423762516458388", Name: "zhihuima"}}, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(func() { srv.Close(); sim.Close() })
	return sim, srv.URL
}

func setSimBalance(t *testing.T, sim *aliyunsim.Server, amount string) {
	t.Helper()
	if err := sim.SetQuota("LTAI5tEXAMPLEKEYID00001", aliyunsim.Quota{Balance: &amount}); err != nil {
		t.Fatal(err)
	}
}

func near(t *testing.T, what string, got any, want float64) {
	t.Helper()
	f, ok := got.(float64)
	if !ok || math.Abs(f-want) > 0.5 {
		t.Fatalf("%s = %v, want about %v", what, got, want)
	}
}

// TestCloudaccountBalance reads the balance from the cloud now, by GET and
// by POST, and records it with its currency; a private cloud has none.
func TestCloudaccountBalance(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			sim, simURL := aliyunSim(t)
			setSimBalance(t, sim, "1234.56")
			c := startApp(t, kind)
			// Disabled, so that no sync or probe reads the balance first.
			acct := c.must("POST", "/api/v2/cloudaccounts", map[string]any{"name": "bal", "provider": "Aliyun", "access_url": simURL,
				"access_key_id": "LTAI5tEXAMPLEKEYID00001", "access_key_secret": "EXAMPLEsecretEXAMPLEsecret0001", "enabled": false}, 200)
			id := acct["id"].(string)
			if acct["balance"].(float64) != 0 {
				t.Fatalf("balance before any read: %v", acct["balance"])
			}
			got := c.must("GET", "/api/v2/cloudaccounts/"+id+"/balance", nil, 200)
			near(t, "balance", got["balance"], 1234.56)
			if got["currency"] != "CNY" || got["id"] != id {
				t.Fatalf("balance answer: %v", got)
			}
			stored := c.must("GET", "/api/v2/cloudaccounts/"+id, nil, 200)
			if stored["balance"] != got["balance"] || stored["currency"] != "CNY" {
				t.Fatalf("recorded: %v %v", stored["balance"], stored["currency"])
			}
			setSimBalance(t, sim, "77.00")
			near(t, "balance after it changed", c.must("POST", "/api/v2/cloudaccounts/"+id+"/balance", nil, 200)["balance"], 77)
			near(t, "recorded balance", c.must("GET", "/api/v2/cloudaccounts?id="+id, nil, 200)["cloudaccounts"].([]any)[0].(map[string]any)["balance"], 77)
			if st, m := c.do("GET", "/api/v2/cloudaccounts/nope/balance", nil); st != 404 || m["error"] == nil {
				t.Fatalf("unknown account: %d %v", st, m)
			}

			starvURL, tenantID := starvSim(t)
			sv := c.must("POST", "/api/v2/cloudaccounts", map[string]any{"name": "starv", "provider": "StarVCenter", "access_url": starvURL,
				"access_key_id": tenantID, "access_key_secret": starvToken, "enabled": false}, 200)
			st, m := c.do("GET", "/api/v2/cloudaccounts/"+sv["id"].(string)+"/balance", nil)
			if e, _ := m["error"].(map[string]any); st != 501 || e == nil || !strings.Contains(fmt.Sprint(e["details"]), "no balance") {
				t.Fatalf("StarVCenter balance: %d %v", st, m)
			}
		})
	}
}

// TestBucketFields checks the fields Cloudpods shows of a bucket against
// the bucket's state: created here or found by a sync, empty or not, held
// by a task, its account enabled or not.
func TestBucketFields(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			simURL := simServer(t, 0)
			c := startApp(t, kind)
			acct := c.must("POST", "/api/v2/cloudaccounts", map[string]any{"name": "oss", "provider": "Aliyun", "access_url": simURL,
				"access_key_id": "LTAI5tEXAMPLEKEYID00001", "access_key_secret": "EXAMPLEsecretEXAMPLEsecret0001",
				"sub_accounts": map[string]any{"cloudregions": []map[string]any{{"id": "Aliyun/cn-beijing"}}}}, 200)
			id := acct["id"].(string)
			poll(t, "sync", 60*time.Second, func() bool {
				return c.must("GET", "/api/v2/cloudaccounts/"+id, nil, 200)["sync_status"] == "idle"
			})
			simHost := strings.TrimPrefix(simURL, "http://")

			// Found by the sync: the cloud's, with objects, so not deletable.
			synced := c.must("GET", "/api/v2/buckets?limit=20", nil, 200)["buckets"].([]any)[0].(map[string]any)
			if synced["source"] != "cloud" || synced["project_src"] != "local" || synced["public_scope"] != "none" {
				t.Fatalf("synced bucket: %v", synced)
			}
			if u := synced["access_urls"].([]any); len(u) != 1 || u[0].(map[string]any)["url"] != "http://"+simHost+"/"+synced["name"].(string) {
				t.Fatalf("synced bucket's access_urls: %v", u)
			}
			one := c.must("GET", "/api/v2/buckets/"+synced["id"].(string)+"?details=true", nil, 200)
			if one["object_cnt"].(float64) <= 0 || one["size_bytes"].(float64) <= 0 || one["can_delete"] != false || one["usage_read_at"] == nil {
				t.Fatalf("synced bucket's usage: objects %v size %v can_delete %v", one["object_cnt"], one["size_bytes"], one["can_delete"])
			}
			if st, m := c.do("DELETE", "/api/v2/buckets/"+synced["id"].(string), nil); st != 409 || !strings.Contains(fmt.Sprint(m), "objects") {
				t.Fatalf("deleting a bucket with objects: %d %v", st, m)
			}

			regionID := synced["cloudregion_id"].(string)
			created := c.must("POST", "/api/v2/buckets", map[string]any{"provider": "Aliyun", "cloudregion": regionID, "name": "objs",
				"description": "notation", "cloudprovider": synced["manager_id"]}, 200)
			if created["status"] != "start_create" || created["source"] != "local" || created["can_delete"] != false ||
				created["description"] != "notation" || created["manager_project_id"] != acct["tenant_id"] || created["is_system"] != true {
				t.Fatalf("created bucket: %v", created)
			}
			bid := created["id"].(string)
			poll(t, "bucket ready", 30*time.Second, func() bool {
				return c.must("GET", "/api/v2/buckets/"+bid, nil, 200)["status"] == "ready"
			})
			ready := c.must("GET", "/api/v2/buckets/"+bid+"?details=true", nil, 200)
			if ready["can_delete"] != true || ready["can_update"] != true || ready["freezed"] != false || ready["object_cnt"].(float64) != 0 ||
				ready["update_version"].(float64) <= created["update_version"].(float64) || ready["progress"].(float64) != 0 ||
				ready["is_emulated"] != false || ready["description"] != "notation" {
				t.Fatalf("ready bucket: %v", ready)
			}
			if u := ready["access_urls"].([]any); len(u) != 1 || u[0].(map[string]any)["url"] != "http://"+simHost+"/objs" {
				t.Fatalf("created bucket's access_urls: %v", u)
			}
			// A disabled account freezes its buckets.
			c.must("POST", "/api/v2/cloudaccounts/"+id+"/disable", nil, 200)
			frozen := c.must("GET", "/api/v2/buckets/"+bid, nil, 200)
			if frozen["freezed"] != true || frozen["can_update"] != false {
				t.Fatalf("bucket of a disabled account: freezed %v can_update %v", frozen["freezed"], frozen["can_update"])
			}
		})
	}
}

// TestEnableAutoSync: the flag sent on create and update is the one the
// account keeps and shows.
func TestEnableAutoSync(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			_, simURL := aliyunSim(t)
			c := startApp(t, kind)
			body := map[string]any{"name": "a", "provider": "Aliyun", "access_url": simURL, "enable_auto_sync": false,
				"access_key_id": "LTAI5tEXAMPLEKEYID00001", "access_key_secret": "EXAMPLEsecretEXAMPLEsecret0001", "enabled": false}
			if dry := c.must("POST", "/api/v2/cloudaccounts", map[string]any{"name": "a", "provider": "Aliyun", "access_url": simURL, "enable_auto_sync": false,
				"access_key_id": "LTAI5tEXAMPLEKEYID00001", "access_key_secret": "EXAMPLEsecretEXAMPLEsecret0001", "dry_run": true}, 200); dry["enable_auto_sync"] != false {
				t.Fatalf("dry run: enable_auto_sync %v", dry["enable_auto_sync"])
			}
			a := c.must("POST", "/api/v2/cloudaccounts", body, 200)
			id := a["id"].(string)
			if a["enable_auto_sync"] != false || c.must("GET", "/api/v2/cloudaccounts/"+id, nil, 200)["enable_auto_sync"] != false {
				t.Fatalf("created with enable_auto_sync false: %v", a["enable_auto_sync"])
			}
			if u := c.must("PUT", "/api/v2/cloudaccounts/"+id, map[string]any{"enable_auto_sync": true}, 200); u["enable_auto_sync"] != true {
				t.Fatalf("updated to true: %v", u["enable_auto_sync"])
			}
			// A change of something else leaves it as it is.
			if u := c.must("PUT", "/api/v2/cloudaccounts/"+id, map[string]any{"description": "x"}, 200); u["enable_auto_sync"] != true {
				t.Fatalf("after another change: %v", u["enable_auto_sync"])
			}
			c.must("PUT", "/api/v2/cloudaccounts/"+id, map[string]any{"enable_auto_sync": false}, 200)
			if m := c.must("GET", "/api/v2/cloudaccounts?limit=5", nil, 200); m["cloudaccounts"].([]any)[0].(map[string]any)["enable_auto_sync"] != false {
				t.Fatalf("listed after turning it off: %v", m)
			}
			delete(body, "enable_auto_sync")
			body["name"], body["access_url"] = "b", simURL+"/"
			if b := c.must("POST", "/api/v2/cloudaccounts", body, 200); b["enable_auto_sync"] != true {
				t.Fatalf("default: %v", b["enable_auto_sync"])
			}
		})
	}
}

// TestUnknownTenant: the seed's tenant is a project of another
// installation; the 400 names the field and where the valid ones are.
func TestUnknownTenant(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			_, simURL := aliyunSim(t)
			c := startApp(t, kind)
			body := map[string]any{"name": "a", "provider": "Aliyun", "access_url": simURL, "tenant": "1d8f98b76e4a4f358b6753788acd90cb",
				"access_key_id": "LTAI5tEXAMPLEKEYID00001", "access_key_secret": "EXAMPLEsecretEXAMPLEsecret0001", "dry_run": true}
			fieldError := func(path, field string, body map[string]any) {
				t.Helper()
				st, m := c.do("POST", path, body)
				e, _ := m["error"].(map[string]any)
				fields, _ := e["fields"].([]any)
				if st != 400 || len(fields) != 1 {
					t.Fatalf("%s: %d %v", path, st, m)
				}
				f := fields[0].(map[string]any)
				if f["field"] != field || !strings.Contains(fmt.Sprint(f["reason"]), "GET /api/v2/projects") ||
					!strings.Contains(fmt.Sprint(e["details"]), field) {
					t.Fatalf("%s: the error names %v: %v", path, f["field"], m)
				}
			}
			fieldError("/api/v2/cloudaccounts", "tenant", body)
			delete(body, "tenant")
			body["project_id"] = "nope"
			fieldError("/api/v2/cloudaccounts", "project_id", body)
			fieldError("/api/v2/buckets", "tenant", map[string]any{"cloudregion": "r", "cloudprovider": "p", "name": "objs", "tenant": "nope"})
			// A project the installation has works by id and by name.
			body["project_id"] = "system"
			if a := c.must("POST", "/api/v2/cloudaccounts", body, 200); a["tenant"] != "system" {
				t.Fatalf("by name: %v", a["tenant"])
			}
		})
	}
}
