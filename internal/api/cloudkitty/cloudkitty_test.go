package cloudkitty_test

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/identity"
	"github.com/skyfold/skyfold/internal/store/storetest"
)

const hm = "/v1/rating/module_config/hashmap"

// setupExample creates CloudKitty's documented example through the API:
// 0.001 per GiB, 2 % off above 50 GiB, 5 % off above 200 GiB.
func setupExample(c *client) (svcID, groupID string) {
	c.t.Helper()
	c.obj("PUT", "/v1/rating/modules/hashmap", map[string]any{"enabled": true, "priority": 3}, 200)
	svcID = c.obj("POST", hm+"/services", map[string]any{"name": "volume.size"}, 201)["service_id"].(string)
	groupID = c.obj("POST", hm+"/groups", map[string]any{"name": "volume_thresholds"}, 201)["group_id"].(string)
	c.obj("POST", hm+"/mappings", map[string]any{"service_id": svcID, "cost": 0.001, "type": "flat", "group_id": groupID}, 201)
	c.obj("POST", hm+"/thresholds", map[string]any{"service_id": svcID, "level": "50", "cost": 0.98, "type": "rate", "group_id": groupID}, 201)
	c.obj("POST", hm+"/thresholds", map[string]any{"service_id": svcID, "level": 200, "cost": "0.95", "type": "rate", "group_id": groupID}, 201)
	return svcID, groupID
}

func quote(c *client, gibs ...string) string {
	c.t.Helper()
	var res []map[string]any
	for _, g := range gibs {
		res = append(res, map[string]any{"service": "volume.size", "volume": g, "desc": map[string]any{"volume_type": "ssd", "size": 3}})
	}
	st, raw := c.do("POST", "/v1/rating/quote/", map[string]any{"resources": res})
	if st != 200 {
		c.t.Fatalf("quote: %d %s", st, raw)
	}
	return string(raw)
}

func TestRatingAPI(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			c := startApp(t, kind)

			// Modules, with the client's trailing slashes.
			mods := c.obj("GET", "/v1/rating/modules/", nil, 200)["modules"].([]any)
			if len(mods) != 3 {
				t.Fatalf("modules = %v", mods)
			}
			svcID, groupID := setupExample(c)
			m := c.obj("GET", "/v1/rating/modules/hashmap/", nil, 200)
			if m["enabled"] != true || m["priority"] != 3.0 || m["hot-config"] != true {
				t.Fatalf("hashmap module = %v", m)
			}
			c.obj("PUT", "/v1/rating/modules", map[string]any{"module_id": "noop", "enabled": true}, 200)

			// The documented example through the quote.
			if q := quote(c, "80"); q != "0.0784" {
				t.Errorf("80 GiB quote = %s, want 0.0784", q)
			}
			if q := quote(c, "250"); q != "0.2375" {
				t.Errorf("250 GiB quote = %s, want 0.2375", q)
			}
			if q := quote(c, "80", "250", "20"); q != "0.3359" {
				t.Errorf("quote of three = %s, want 0.3359", q)
			}

			// Fields, field mappings and their lists.
			fieldID := c.obj("POST", hm+"/fields", map[string]any{"service_id": svcID, "name": "volume_type"}, 201)["field_id"].(string)
			fm := c.obj("POST", hm+"/mappings", map[string]any{"field_id": fieldID, "value": "ssd", "cost": "2", "type": "rate"}, 201)
			if fm["value"] != "ssd" || fm["cost"] != "2" || fm["service_id"] != nil || fm["group_id"] != nil {
				t.Fatalf("field mapping = %v", fm)
			}
			if q := quote(c, "80"); q != "0.0784" { // a rate in the default group, which has no flat cost
				t.Errorf("80 GiB ssd quote = %s, want 0.0784", q)
			}
			if fs := c.obj("GET", hm+"/fields/?service_id="+svcID, nil, 200)["fields"].([]any); len(fs) != 1 {
				t.Fatalf("fields = %v", fs)
			}
			if ms := c.obj("GET", hm+"/mappings/?field_id="+fieldID, nil, 200)["mappings"].([]any); len(ms) != 1 {
				t.Fatalf("field mappings = %v", ms)
			}
			if ms := c.obj("GET", hm+"/groups/mappings?group_id="+groupID, nil, 200)["mappings"].([]any); len(ms) != 1 {
				t.Fatalf("group mappings = %v", ms)
			}
			if ts := c.obj("GET", hm+"/groups/"+groupID+"/thresholds", nil, 200)["thresholds"].([]any); len(ts) != 2 {
				t.Fatalf("group thresholds = %v", ts)
			}
			if ms := c.obj("GET", hm+"/mappings?no_group=true&service_id="+svcID, nil, 200)["mappings"].([]any); len(ms) != 0 {
				t.Fatalf("ungrouped service mappings = %v", ms)
			}
			fmID := fm["mapping_id"].(string)
			c.fault("GET", hm+"/mappings/group?mapping_id="+fmID, nil, 404, "Mapping has no group (UUID: "+fmID+")")
			up := c.obj("PUT", hm+"/mappings/"+fmID, map[string]any{"mapping_id": fmID, "cost": "1.5", "value": "ssd",
				"field_id": fieldID, "service_id": nil, "group_id": nil, "tenant_id": nil, "type": "rate"}, 200)
			if up["cost"] != "1.5" {
				t.Fatalf("updated mapping = %v", up)
			}
			if got := c.must("GET", hm+"/types/", nil, 200); fmt.Sprint(got) != "[flat rate]" {
				t.Fatalf("types = %v", got)
			}

			// Bad input gets CloudKitty's status codes and messages.
			c.fault("POST", hm+"/mappings", map[string]any{"service_id": svcID, "field_id": fieldID, "cost": 1}, 400, "You can only specify one parent.")
			c.fault("POST", hm+"/mappings", map[string]any{"service_id": svcID, "cost": 1, "type": "fixed"}, 400,
				"Invalid input for field/attribute type. Value: 'fixed'. Value should be one of: flat, rate")
			c.fault("POST", hm+"/fields", map[string]any{"name": "flavor"}, 400,
				"Invalid input for field/attribute service_id. Value: 'None'. Mandatory field missing.")
			c.fault("POST", hm+"/fields", map[string]any{"name": "flavor", "service_id": "nope"}, 409, "No such service: None (UUID: nope)")
			c.fault("POST", hm+"/mappings", map[string]any{"field_id": fieldID, "value": "ssd", "cost": 3, "type": "rate"}, 409,
				"Mapping 'ssd' already exists for field '"+fieldID+"', tenant: 'None'")
			c.fault("POST", hm+"/mappings", map[string]any{"service_id": svcID, "cost": -1}, 400, "cost must not be negative for a flat mapping")
			c.fault("POST", hm+"/mappings", map[string]any{"service_id": svcID}, 400,
				"Invalid input for field/attribute cost. Value: 'None'. Mandatory field missing.")
			c.fault("POST", hm+"/mappings", map[string]any{"field_id": fieldID, "cost": 1}, 400, "You must specify a value for a field mapping.")
			c.fault("POST", hm+"/services", map[string]any{"name": "volume.size"}, 409, "Service volume.size already exists (UUID: "+svcID+")")
			c.fault("GET", hm+"/mappings/nope", nil, 404, "No such mapping: nope")
			c.fault("POST", hm+"/thresholds", map[string]any{"service_id": svcID, "level": 50, "cost": 0.5, "type": "rate", "group_id": groupID}, 409,
				"Threshold '50' already exists for service '"+svcID+"', tenant: 'None'")

			// Tenant-specific rule with validity dates.
			tm := c.obj("POST", hm+"/mappings", map[string]any{"field_id": fieldID, "value": "ssd", "cost": "9", "type": "rate",
				"tenant_id": "tenant-x", "start": "2099-01-01T00:00:00", "end": "2099-02-01 00:00:00+00:00"}, 201)
			if tm["tenant_id"] != "tenant-x" || tm["start"] != "2099-01-01T00:00:00" || tm["end"] != "2099-02-01T00:00:00" {
				t.Fatalf("tenant mapping = %v", tm)
			}
			if st, raw := c.do("POST", hm+"/mappings", map[string]any{"field_id": fieldID, "value": "hdd", "cost": "1", "start": "2001-01-01T00:00:00"}); st != 400 ||
				!strings.Contains(string(raw), "Cannot create a rule with start in the past. start=[2001-01-01 00:00:00]") {
				t.Fatalf("rule starting in the past: %d %s", st, raw)
			}
			c.must("DELETE", hm+"/mappings/"+tm["mapping_id"].(string), nil, 204)

			// Missing mandatory fields are worded as CloudKitty's API framework does.
			for _, x := range []struct {
				method, path string
				body         map[string]any
				field        string
			}{
				{"POST", "/v1/collector/mappings", map[string]any{"collector": "inventory"}, "service"},
				{"POST", "/v1/collector/mappings", map[string]any{"service": "instance"}, "collector"},
				{"PUT", "/v1/collector/states", map[string]any{"enabled": true}, "name"},
				{"POST", "/v1/rating/module_config/pyscripts/scripts", map[string]any{"data": "x = 1"}, "name"},
				{"POST", "/v1/rating/module_config/pyscripts/scripts", map[string]any{"name": "empty"}, "data"},
			} {
				c.fault(x.method, x.path, x.body, 400,
					"Invalid input for field/attribute "+x.field+". Value: 'None'. Mandatory field missing.")
			}

			// pyscripts: checksum, a syntax error refused with its line.
			data := "for t in data['usage']:\n    for p in data['usage'][t]:\n        p['rating']['price'] = p['rating']['price'] * 2\n"
			sc := c.obj("POST", "/v1/rating/module_config/pyscripts/scripts/", map[string]any{"name": "double", "data": data}, 201)
			sum := sha512.Sum512([]byte(data))
			if sc["checksum"] != hex.EncodeToString(sum[:]) {
				t.Fatalf("script checksum = %v", sc["checksum"])
			}
			st, raw := c.do("POST", "/v1/rating/module_config/pyscripts/scripts", map[string]any{"name": "bad", "data": "x = (\n"})
			if st != 400 || !strings.Contains(string(raw), `\"bad\" line 2:1: got end of file`) {
				t.Fatalf("bad script: %d %s", st, raw)
			}
			c.obj("PUT", "/v1/rating/modules/pyscripts", map[string]any{"enabled": true, "priority": 1}, 200)
			if q := quote(c, "80"); q != "0.1568" { // hashmap first (priority 3), then the script doubles
				t.Errorf("quote with script = %s, want 0.1568", q)
			}
			list := c.obj("GET", "/v1/rating/module_config/pyscripts/scripts/?no_data=true", nil, 200)["scripts"].([]any)
			if len(list) != 1 || list[0].(map[string]any)["data"] != nil {
				t.Fatalf("scripts = %v", list)
			}
			scID := sc["script_id"].(string)
			c.obj("PUT", "/v1/rating/module_config/pyscripts/scripts/"+scID, map[string]any{"name": "double", "data": "x = 1\n"}, 201)
			c.must("DELETE", "/v1/rating/module_config/pyscripts/scripts/"+scID, nil, 204)
			c.obj("PUT", "/v1/rating/modules/pyscripts", map[string]any{"enabled": false}, 200)
			c.must("GET", "/v1/rating/reload_modules/", nil, 200)

			// Collector mappings and states.
			cm := c.obj("POST", "/v1/collector/mappings/", map[string]any{"collector": "inventory", "service": "volume.size"}, 200)
			if cm["collector"] != "inventory" {
				t.Fatalf("collector mapping = %v", cm)
			}
			if ms := c.obj("GET", "/v1/collector/mappings/?collector=inventory", nil, 200)["mappings"].([]any); len(ms) != 1 {
				t.Fatalf("collector mappings = %v", ms)
			}
			c.obj("GET", "/v1/collector/mappings/volume.size", nil, 200)
			st, raw = c.do("DELETE", "/v1/collector/mappings/", map[string]any{"service": "volume.size"})
			if st != 204 {
				t.Fatalf("delete collector mapping: %d %s", st, raw)
			}
			if s := c.obj("GET", "/v1/collector/states/?name=inventory", nil, 200); s["enabled"] != true {
				t.Fatalf("collector state = %v", s)
			}
			if s := c.obj("PUT", "/v1/collector/states/", map[string]any{"name": "other", "enabled": false}, 200); s["enabled"] != false {
				t.Fatalf("collector state = %v", s)
			}

			// Info.
			if ms := c.obj("GET", "/v1/info/metrics/", nil, 200)["metrics"].([]any); len(ms) != 6 {
				t.Fatalf("metrics = %v", ms)
			}
			for _, p := range []string{"/v1/info/metric/volume.size", "/v1/info/metrics/volume.size", "/v1/info/services/volume.size"} {
				if mi := c.obj("GET", p, nil, 200); mi["unit"] != "GiB-hour" || mi["metric_id"] != "volume.size" {
					t.Fatalf("%s = %v", p, mi)
				}
			}
			if cfg := c.obj("GET", "/v1/info/config", nil, 200); cfg["metrics"] == nil || cfg["collect"] == nil {
				t.Fatalf("config = %v", cfg)
			}
			c.fault("GET", "/v1/info/metric/nope", nil, 404, "nope")
			// pecan routes an unknown child of /v1 to no method of the v1
			// controller: 405; below a controller taking an id, 404.
			c.fault("GET", "/v1/nothing/here", nil, 405, "The method GET is not allowed for this resource.")
			c.fault("GET", "/v1/info/metrics/cpu/more", nil, 404, "The resource could not be found.")
		})
	}
}

func TestRatedDataAPI(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			c := startApp(t, kind)
			setupExample(c)
			for id, gib := range map[string]int{"d20": 20, "d80": 80, "d250": 250} {
				c.disk(id, "proj-a", gib)
			}
			c.disk("d80b", "proj-b", 80)
			c.process()

			// Rate again from yesterday's last month boundary: always a
			// full day of periods, whatever the time of the test.
			now := time.Now().UTC()
			ms := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
			from := ms.Add(-24 * time.Hour)
			scopes := c.obj("GET", "/v2/scope?scope_id=proj-a,proj-b", nil, 200)
			if scopes["total"] != 2.0 {
				t.Fatalf("scopes = %v", scopes)
			}
			c.must("PUT", "/v2/scope", map[string]any{"all_scopes": true, "state": from.Format("2006-01-02T15:04:05")}, 202)
			c.process()
			st := c.obj("GET", "/v2/scope?scope_id=proj-a", nil, 200)["results"].([]any)[0].(map[string]any)
			if st["last_processed_timestamp"] == nil || st["active"] != true {
				t.Fatalf("scope state = %v", st)
			}

			q := func(b, e time.Time) string {
				return "begin=" + url.QueryEscape(b.Format("2006-01-02T15:04:05")) + "&end=" + url.QueryEscape(e.Format("2006-01-02 15:04:05+00:00"))
			}
			w := q(from, from.Add(3*time.Hour))
			if _, raw := c.do("GET", "/v1/report/total?all_tenants=true&"+w, nil); string(raw) != "1.2429" { // 3 × (0.3359 + 0.0784)
				t.Errorf("total = %s, want 1.2429", raw)
			}
			if _, raw := c.do("GET", "/v1/report/total?tenant_id=proj-b&service=volume.size&"+w, nil); string(raw) != "0.2352" {
				t.Errorf("proj-b total = %s, want 0.2352", raw)
			}
			if _, raw := c.do("GET", "/v1/report/total?"+w, nil); string(raw) != "0" { // the admin's own project
				t.Errorf("own total = %s, want 0", raw)
			}
			sum := c.obj("GET", "/v1/report/summary?all_tenants=true&groupby=tenant_id,res_type&"+w, nil, 200)["summary"].([]any)
			got := map[string]string{}
			for _, s := range sum {
				s := s.(map[string]any)
				got[s["tenant_id"].(string)+"/"+s["res_type"].(string)] = s["rate"].(string)
			}
			if got["proj-a/volume.size"] != "1.0077" || got["proj-b/volume.size"] != "0.2352" {
				t.Errorf("summary = %v", sum)
			}
			all := c.obj("GET", "/v1/report/summary?all_tenants=True&"+w, nil, 200)["summary"].([]any)
			if len(all) != 1 || all[0].(map[string]any)["tenant_id"] != "ALL" || all[0].(map[string]any)["rate"] != "1.2429" {
				t.Errorf("summary without groupby = %v", all)
			}
			if tenants := c.must("GET", "/v1/report/tenants?"+w, nil, 200); fmt.Sprint(tenants) != "[proj-a proj-b]" {
				t.Errorf("tenants = %v", tenants)
			}
			dfs := c.obj("GET", "/v1/storage/dataframes?tenant_id=proj-a&resource_type=volume.size&"+q(from.Add(time.Hour), from.Add(2*time.Hour)), nil, 200)["dataframes"].([]any)
			if len(dfs) != 1 {
				t.Fatalf("dataframes = %v", dfs)
			}
			df := dfs[0].(map[string]any)
			if df["begin"] != from.Add(time.Hour).Format("2006-01-02T15:04:05") || df["tenant_id"] != "proj-a" {
				t.Fatalf("dataframe = %v", df)
			}
			rates := map[string]string{}
			for _, r := range df["resources"].([]any) {
				r := r.(map[string]any)
				rates[r["desc"].(map[string]any)["id"].(string)] = r["volume"].(string) + " " + r["rating"].(string)
			}
			if rates["d80"] != "80 0.0784" || rates["d250"] != "250 0.2375" || rates["d20"] != "20 0.02" {
				t.Errorf("rated resources = %v", rates)
			}
			c.fault("GET", "/v1/report/summary?groupby=project", nil, 400, `groupby: Invalid groupby "project": only tenant_id and res_type are supported`)
			c.fault("GET", "/v1/report/total?begin=yesterday", nil, 400, `begin: Invalid timestamp "yesterday": expected ISO 8601 such as 2024-01-01T00:00:00`)

			// Deactivate and reactivate a scope.
			if s := c.obj("PATCH", "/v2/scope", map[string]any{"scope_id": "proj-b", "active": false}, 200); s["active"] != false {
				t.Fatalf("patched scope = %v", s)
			}
			c.obj("PATCH", "/v2/scope", map[string]any{"scope_id": "proj-b", "active": true}, 200)
		})
	}
}

// TestTenantIsolation checks what a project member sees and may do.
func TestTenantIsolation(t *testing.T) {
	c := startApp(t, "sqlite")
	ctx := context.Background()
	ids := c.app.Identity
	d, err := ids.FindDomain(ctx, "", "Default")
	if err != nil {
		t.Fatal(err)
	}
	p, err := ids.CreateProject(ctx, identity.Project{DomainID: d.ID, Name: "tenant-a", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	u, err := ids.CreateUser(ctx, identity.UserCreate{DomainID: d.ID, Name: "alice", Password: "Alice-pass-123!", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	role, err := ids.FindRole(ctx, "", identity.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	if err := ids.GrantRole(ctx, identity.Assignment{ActorType: identity.ActorUser, ActorID: u.ID, TargetType: identity.TargetProject,
		TargetID: p.ID, RoleID: role.ID}); err != nil {
		t.Fatal(err)
	}
	setupExample(c)
	c.disk("mine", p.ID, 80)
	c.disk("theirs", "other-project", 250)
	c.process()
	now := time.Now().UTC()
	from := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).Add(-24 * time.Hour)
	c.must("PUT", "/v2/scope", map[string]any{"all_scopes": true, "state": from.Format("2006-01-02T15:04:05")}, 202)
	c.process()

	alice := &client{t: t, base: c.base}
	alice.token = loginToken(t, c.base, "alice", "Alice-pass-123!", p.ID)
	w := "begin=" + url.QueryEscape(from.Format("2006-01-02T15:04:05")) + "&end=" + url.QueryEscape(from.Add(2*time.Hour).Format("2006-01-02T15:04:05"))
	for _, q := range []string{"", "&all_tenants=true", "&tenant_id=" + p.ID} {
		if _, raw := alice.do("GET", "/v1/report/total?"+w+q, nil); string(raw) != "0.1568" {
			t.Errorf("alice total%s = %s, want 0.1568", q, raw)
		}
	}
	alice.fault("GET", "/v1/report/total?tenant_id=other-project&"+w, nil, 403, "Access to tenant other-project is not allowed.")
	if tenants := alice.must("GET", "/v1/report/tenants?"+w, nil, 200); fmt.Sprint(tenants) != "["+p.ID+"]" {
		t.Errorf("alice tenants = %v", tenants)
	}
	for _, df := range alice.obj("GET", "/v1/storage/dataframes?"+w, nil, 200)["dataframes"].([]any) {
		if df.(map[string]any)["tenant_id"] != p.ID {
			t.Fatalf("alice sees %v", df)
		}
	}
	if sc := alice.obj("GET", "/v2/scope", nil, 200); sc["total"] != 1.0 {
		t.Errorf("alice scopes = %v", sc)
	}
	alice.fault("POST", hm+"/services", map[string]any{"name": "cpu"}, 403, "Policy doesn't allow rating:module_config to be performed.")
	alice.fault("PUT", "/v1/rating/modules/noop", map[string]any{"enabled": true}, 403, "Policy doesn't allow rating:update_module to be performed.")
	if q := quote(alice, "80"); q != "0.0784" {
		t.Errorf("alice quote = %s", q)
	}
	anon := &client{t: t, base: c.base}
	anon.fault("GET", "/v1/rating/modules", nil, 401, "The request you have made requires authentication.")
}

func loginToken(t *testing.T, base, user, password, projectID string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{
			"user": map[string]any{"name": user, "domain": map[string]any{"name": "Default"}, "password": password}}},
		"scope": map[string]any{"project": map[string]any{"id": projectID}},
	}})
	resp, err := http.Post(base+"/v3/auth/tokens", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.Header.Get("X-Subject-Token")
}
