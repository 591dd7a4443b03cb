package app_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/store/storetest"
)

// TestInventoryIsolation: a member of one project sees only that project's
// accounts and resources; an account shared with share_mode=system becomes
// visible (read-only) to everyone.
func TestInventoryIsolation(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			simURL := simServer(t, 6)
			admin := startApp(t, kind)
			dom := admin.must("GET", "/v3/domains?name=Default", nil, 200)["domains"].([]any)[0].(map[string]any)["id"].(string)
			proj := admin.must("POST", "/v3/projects", map[string]any{"project": map[string]any{"name": "team-a", "domain_id": dom}}, http.StatusCreated)["project"].(map[string]any)["id"].(string)
			user := admin.must("POST", "/v3/users", map[string]any{"user": map[string]any{"name": "alice", "domain_id": dom, "password": "Alice-pass-123"}}, http.StatusCreated)["user"].(map[string]any)["id"].(string)
			member := admin.must("GET", "/v3/roles?name=member", nil, 200)["roles"].([]any)[0].(map[string]any)["id"].(string)
			admin.must("PUT", "/v3/projects/"+proj+"/users/"+user+"/roles/"+member, nil, http.StatusNoContent)

			alice := &client{t: t, base: admin.base}
			tok := alice.must("POST", "/v3/auth/tokens", map[string]any{"auth": map[string]any{
				"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{
					"user": map[string]any{"name": "alice", "domain": map[string]any{"id": dom}, "password": "Alice-pass-123"}}},
				"scope": map[string]any{"project": map[string]any{"id": proj}},
			}}, http.StatusCreated)
			alice.token = tok["__token"].(string)

			// The admin connects an account owned by the system project.
			acct := admin.must("POST", "/api/v2/cloudaccounts", map[string]any{"name": "central", "provider": "Aliyun", "access_url": simURL,
				"access_key_id": "LTAI5tEXAMPLEKEYID00001", "access_key_secret": "EXAMPLEsecretEXAMPLEsecret0001",
				"sub_accounts": map[string]any{"cloudregions": []map[string]any{{"id": "Aliyun/cn-beijing"}}}}, 200)
			id := acct["id"].(string)
			poll(t, "sync", 60*time.Second, func() bool {
				return admin.must("GET", "/api/v2/cloudaccounts/"+id, nil, 200)["sync_status"] == "idle"
			})
			if m := alice.must("GET", "/api/v2/cloudaccounts?scope=project", nil, 200); m["total"].(float64) != 0 {
				t.Fatalf("alice sees %v accounts of another project", m["total"])
			}
			if m := alice.must("GET", "/api/v2/servers?limit=50", nil, 200); m["total"].(float64) != 0 {
				t.Fatalf("alice sees %v servers of another project", m["total"])
			}
			if st, _ := alice.do("GET", "/api/v2/cloudaccounts/"+id, nil); st != 404 {
				t.Fatalf("alice reads another project's account: %d", st)
			}
			if st, _ := alice.do("POST", "/api/v2/cloudaccounts/"+id+"/disable", nil); st != 404 {
				t.Fatalf("alice disables another project's account: %d", st)
			}
			// Alice cannot create an account in the system project.
			if st, _ := alice.do("POST", "/api/v2/cloudaccounts", map[string]any{"name": "x", "provider": "Aliyun", "access_url": simURL,
				"access_key_id": "LTAI5tEXAMPLEKEYID00001", "access_key_secret": "EXAMPLEsecretEXAMPLEsecret0001",
				"tenant": admin.must("GET", "/api/v2/cloudaccounts/"+id, nil, 200)["tenant_id"], "dry_run": true}); st != 403 {
				t.Fatalf("alice creates in the system project: %d", st)
			}
			// Shared with everyone: visible, but read-only for alice.
			admin.must("PUT", "/api/v2/cloudaccounts/"+id, map[string]any{"share_mode": "system"}, 200)
			if m := alice.must("GET", "/api/v2/cloudaccounts", nil, 200); m["total"].(float64) != 1 {
				t.Fatalf("shared account not visible: %v", m["total"])
			}
			if st, _ := alice.do("PUT", "/api/v2/cloudaccounts/"+id, map[string]any{"name": "mine"}); st != 403 {
				t.Fatalf("alice renames a shared account: %d", st)
			}
			// Alice's own account in her project: she sees it and its servers.
			mine := alice.must("POST", "/api/v2/cloudaccounts", map[string]any{"name": "team-a-cloud", "provider": "Aliyun",
				"access_url": simURL + "/", "access_key_id": "LTAI5tEXAMPLEKEYID00001", "access_key_secret": "EXAMPLEsecretEXAMPLEsecret0001",
				"sub_accounts": map[string]any{"cloudregions": []map[string]any{{"id": "Aliyun/cn-beijing"}}}}, 200)
			poll(t, "alice's sync", 60*time.Second, func() bool {
				return alice.must("GET", "/api/v2/cloudaccounts/"+mine["id"].(string), nil, 200)["sync_status"] == "idle"
			})
			if m := alice.must("GET", "/api/v2/servers?limit=50", nil, 200); m["total"].(float64) != 6 {
				t.Fatalf("alice sees %v of her servers, want 6", m["total"])
			}
			if m := admin.must("GET", "/api/v2/servers?limit=50&scope=system", nil, 200); m["total"].(float64) != 12 {
				t.Fatalf("admin sees %v servers, want 12", m["total"])
			}
		})
	}
}
