package keystone_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/api/auth"
	"github.com/skyfold/skyfold/internal/identity"
	"github.com/skyfold/skyfold/internal/store"
	"github.com/skyfold/skyfold/internal/store/storetest"
)

func keystoneError(t *testing.T, r resp, status int) string {
	t.Helper()
	e, _ := r.body["error"].(map[string]any)
	if r.status != status || e == nil || e["code"] != float64(status) || e["title"] == "" || e["message"] == "" {
		t.Fatalf("want Keystone error %d, got %d %s", status, r.status, r.raw)
	}
	return e["message"].(string)
}

func TestVersionDiscovery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := newHarness(t, st)
		for _, p := range []string{"/v3", "/v3/"} {
			r := h.do("GET", p, "", "")
			if r.status != 200 || r.str("version", "id") != "v3.14" || r.str("version", "status") != "stable" {
				t.Fatalf("%s: %d %s", p, r.status, r.raw)
			}
		}
	})
}

func TestTokenLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := newHarness(t, st)
		r := h.do("POST", "/v3/auth/tokens", "", passwordBody("admin", "default", adminPW, `{"project":{"name":"system","domain":{"name":"Default"}}}`))
		if r.status != 201 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		tok := r.header.Get("X-Subject-Token")
		body := r.body["token"].(map[string]any)
		for _, k := range []string{"methods", "user", "project", "roles", "issued_at", "expires_at", "catalog", "audit_ids"} {
			if body[k] == nil {
				t.Fatalf("token body lacks %s: %s", k, r.raw)
			}
		}
		types := map[string]string{}
		for _, s := range body["catalog"].([]any) {
			m := s.(map[string]any)
			url := m["endpoints"].([]any)[0].(map[string]any)["url"].(string)
			types[m["type"].(string)] = url
		}
		if !strings.HasSuffix(types["identity"], "/v3") || types["rating"] == "" || types["skyfold-cloudpods"] == "" || types["skyfold-bridgx"] == "" || types["skyfold-cloudlens"] == "" {
			t.Fatalf("catalog %v", types)
		}
		if r.str("token", "project", "name") != "system" || body["is_admin_project"] != true {
			t.Fatalf("project %s", r.raw)
		}
		// Validate, check; both token headers work as the caller's.
		v := h.doH("GET", "/v3/auth/tokens", "", "", map[string]string{"Authorization": "Bearer " + tok, "X-Subject-Token": tok})
		if v.status != 200 || v.header.Get("X-Subject-Token") != tok || v.str("token", "user", "name") != "admin" {
			t.Fatalf("validate %d %s", v.status, v.raw)
		}
		if v := h.doH("GET", "/v3/auth/tokens?nocatalog", tok, "", map[string]string{"X-Subject-Token": tok}); v.body["token"].(map[string]any)["catalog"] != nil {
			t.Fatalf("nocatalog: %s", v.raw)
		}
		if c := h.doH("HEAD", "/v3/auth/tokens", tok, "", map[string]string{"X-Subject-Token": tok}); c.status != 200 {
			t.Fatalf("check %d", c.status)
		}
		if c := h.doH("HEAD", "/v3/auth/tokens", tok, "", map[string]string{"X-Subject-Token": "bogus"}); c.status != 404 {
			t.Fatalf("check bogus %d", c.status)
		}
		if c := h.do("GET", "/v3/auth/tokens", tok, ""); c.status != 400 || !strings.Contains(c.raw, "X-Subject-Token") {
			t.Fatalf("missing subject: %d %s", c.status, c.raw)
		}
		// Revoke: afterwards the token is refused everywhere.
		other := h.adminToken()
		if d := h.doH("DELETE", "/v3/auth/tokens", other, "", map[string]string{"X-Subject-Token": tok}); d.status != 204 {
			t.Fatalf("revoke %d %s", d.status, d.raw)
		}
		keystoneError(t, h.do("GET", "/v3/projects", tok, ""), 401)
		if r := h.do("GET", "/api/v2/tasks", tok, ""); r.status != 401 || r.body["error"].(map[string]any)["class"] != "UnauthorizedError" {
			t.Fatalf("revoked on the cloudpods face: %d %s", r.status, r.raw)
		}
		if v := h.doH("GET", "/v3/auth/tokens", other, "", map[string]string{"X-Subject-Token": tok}); v.status != 404 {
			t.Fatalf("validating a revoked token: %d", v.status)
		}
		// Rescope an unscoped token with the token method.
		un := h.login("admin", "default", adminPW, `"unscoped"`)
		rs := h.do("POST", "/v3/auth/tokens", "", `{"auth":{"identity":{"methods":["token"],"token":{"id":`+q(un)+`}},"scope":{"system":{"all":true}}}}`)
		if rs.status != 201 || rs.body["token"].(map[string]any)["system"] == nil {
			t.Fatalf("rescope %d %s", rs.status, rs.raw)
		}
		// auth/projects, auth/domains, auth/system, auth/catalog.
		if r := h.do("GET", "/v3/auth/projects", un, ""); r.status != 200 || len(r.list("projects")) != 1 {
			t.Fatalf("auth/projects %s", r.raw)
		}
		if r := h.do("GET", "/v3/auth/system", un, ""); r.status != 200 || len(r.body["system"].([]any)) != 1 {
			t.Fatalf("auth/system %s", r.raw)
		}
		if r := h.do("GET", "/v3/auth/domains", un, ""); r.status != 200 || len(r.list("domains")) != 0 {
			t.Fatalf("auth/domains %s", r.raw)
		}
		if r := h.do("GET", "/v3/auth/catalog", un, ""); r.status != 200 || len(r.list("catalog")) != 5 {
			t.Fatalf("auth/catalog %s", r.raw)
		}
	})
}

func TestBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := newHarness(t, st)
		ctx := context.Background()
		adm := h.adminToken()
		d, err := h.svc.CreateDomain(ctx, identity.Domain{Name: "acme", Enabled: true})
		h.must(err)
		p, err := h.svc.CreateProject(ctx, identity.Project{DomainID: d.ID, Name: "web", Enabled: true})
		h.must(err)
		_, err = h.svc.CreateProject(ctx, identity.Project{DomainID: d.ID, Name: "db", Enabled: true})
		h.must(err)
		u, err := h.svc.CreateUser(ctx, identity.UserCreate{DomainID: d.ID, Name: "alice", Password: "pw-alice", Enabled: true})
		h.must(err)
		h.must(h.svc.GrantRole(ctx, identity.Assignment{ActorType: "user", ActorID: u.ID, TargetType: "project", TargetID: p.ID, RoleID: h.roleID("member")}))
		_, err = h.svc.CreateUser(ctx, identity.UserCreate{DomainID: d.ID, Name: "dora", Password: "pw-dora", Enabled: false})
		h.must(err)

		// Malformed bodies: 400 naming the field.
		for body, field := range map[string]string{
			`{"auth":{}}`: "auth.identity",
			`{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"alice","password":"x"}}}}}`: "auth.identity.password.user.domain",
			`not json`: "body",
			`{"auth":{"identity":{"methods":["password"],"password":{"user":{"id":"x","password":"p"}}},"scope":{"project":{"name":"web"}}}}`: "auth.scope.project.domain",
		} {
			msg := keystoneError(t, h.do("POST", "/v3/auth/tokens", "", body), 400)
			if !strings.HasPrefix(msg, field+":") {
				t.Errorf("%s: message %q does not name %s", body, msg, field)
			}
		}
		// Wrong password, unknown user, disabled user: the same 401.
		var first string
		for i, body := range []string{
			passwordBody("alice", d.ID, "wrong", ""),
			passwordBody("nobody", d.ID, "pw-alice", ""),
			passwordBody("dora", d.ID, "pw-dora", ""),
			passwordBody("alice", "no-such-domain", "pw-alice", ""),
		} {
			r := h.do("POST", "/v3/auth/tokens", "", body)
			keystoneError(t, r, 401)
			if i == 0 {
				first = r.raw
			} else if r.raw != first {
				t.Errorf("401 bodies differ:\n%s\n%s", first, r.raw)
			}
		}
		// Scope to a project without a role: 401.
		keystoneError(t, h.do("POST", "/v3/auth/tokens", "", passwordBody("alice", d.ID, "pw-alice", `{"project":{"name":"db","domain":{"name":"acme"}}}`)), 401)
		keystoneError(t, h.do("POST", "/v3/auth/tokens", "", passwordBody("alice", d.ID, "pw-alice", `{"system":{"all":true}}`)), 401)
		// Unsupported method: 401 as Keystone.
		keystoneError(t, h.do("POST", "/v3/auth/tokens", "", `{"auth":{"identity":{"methods":["totp"],"totp":{}}}}`), 401)
		// Garbage token: 401.
		keystoneError(t, h.do("GET", "/v3/users", "garbage", ""), 401)
		// Duplicates in a domain: 409; the same name elsewhere is fine.
		keystoneError(t, h.do("POST", "/v3/projects", adm, `{"project":{"name":"web","domain_id":`+q(d.ID)+`}}`), 409)
		keystoneError(t, h.do("POST", "/v3/users", adm, `{"user":{"name":"alice","domain_id":`+q(d.ID)+`}}`), 409)
		if r := h.do("POST", "/v3/groups", adm, `{"group":{"name":"g","domain_id":"default"}}`); r.status != 201 {
			t.Fatalf("group: %d %s", r.status, r.raw)
		}
		keystoneError(t, h.do("POST", "/v3/groups", adm, `{"group":{"name":"g","domain_id":"default"}}`), 409)
		keystoneError(t, h.do("POST", "/v3/domains", adm, `{"domain":{"name":"acme"}}`), 409)
		keystoneError(t, h.do("POST", "/v3/roles", adm, `{"role":{"name":"member"}}`), 409)
		if r := h.do("POST", "/v3/projects", adm, `{"project":{"name":"web","domain_id":"default"}}`); r.status != 201 {
			t.Fatalf("same name in another domain: %d %s", r.status, r.raw)
		}
		// Bad bodies on the CRUD operations name the field too.
		for path, c := range map[string]struct{ body, field string }{
			"/v3/projects":         {`{"project":{"domain_id":"default"}}`, "project.name"},
			"/v3/users":            {`{"user":{"name":"x","enabled":"yes"}}`, "user.enabled"},
			"/v3/domains":          {`{"domain":{"name":""}}`, "domain.name"},
			"/v3/roles":            {`{}`, "role"},
			"/v3/policies":         {`{"policy":{"name":"p","scope":"galaxy","roles":["x"],"rules":["a/b/c"]}}`, "policy.scope"},
			"/v3/users/x/password": {`{"user":{"password":"new"}}`, "original_password"},
		} {
			msg := keystoneError(t, h.do("POST", path, adm, c.body), 400)
			if !strings.Contains(msg, c.field) {
				t.Errorf("%s %s: %q does not name %s", path, c.body, msg, c.field)
			}
		}
	})
}

func TestExpiryOverHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := newHarness(t, st, func(c *identity.Config, _ *auth.Options) { c.TokenTTL = 10 * time.Minute })
		tok := h.adminToken()
		if r := h.do("GET", "/v3/projects", tok, ""); r.status != 200 {
			t.Fatal(r.raw)
		}
		h.clock.Add(11 * time.Minute)
		keystoneError(t, h.do("GET", "/v3/projects", tok, ""), 401)
		if r := h.do("GET", "/api/v2/tasks", tok, ""); r.status != 401 {
			t.Fatalf("expired on cloudpods: %d", r.status)
		}
	})
}

func TestLockoutOverHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := newHarness(t, st) // 5 failures lock for a minute
		for i := 0; i < 5; i++ {
			keystoneError(t, h.do("POST", "/v3/auth/tokens", "", passwordBody("admin", "default", "wrong", "")), 401)
		}
		r := h.do("POST", "/v3/auth/tokens", "", passwordBody("admin", "default", adminPW, ""))
		keystoneError(t, r, 401)
		h.clock.Add(61 * time.Second)
		h.adminToken()
		// Every attempt is in the audit log, without the password.
		page := h.do("GET", "/v3/audit_events?object_type=tokens&limit=100", h.adminToken(), "")
		evs := page.list("audit_events")
		fails := 0
		for _, e := range evs {
			if e["result"] == "failure" && e["user_name"] == "admin" && e["status"] == float64(401) {
				fails++
			}
		}
		if fails != 6 || strings.Contains(page.raw, "wrong") || strings.Contains(page.raw, adminPW) {
			t.Fatalf("audit: %d failures; %s", fails, page.raw)
		}
	})
}

func TestRateLimitOverHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := newHarness(t, st, func(_ *identity.Config, o *auth.Options) {
			// A stopped clock: no budget refills while the test runs.
			stopped := time.Now()
			o.Limiter = identity.NewLimiter(func() time.Time { return stopped })
			o.RateLimit = identity.RateLimit{Requests: 100, Per: time.Minute}
			o.GroupLimits = map[string]identity.RateLimit{"keystone": {Requests: 10, Per: time.Minute}}
		})
		tok := h.adminToken() // one request from this IP
		for i := 0; i < 10; i++ {
			if r := h.do("GET", "/v3/projects", tok, ""); r.status != 200 {
				t.Fatalf("%d: %d", i, r.status)
			}
		}
		r := h.do("GET", "/v3/projects", tok, "")
		keystoneError(t, r, 429)
		if r.header.Get("Retry-After") == "" {
			t.Fatal("no Retry-After")
		}
		// The cloudpods group has the default 100/min, in its own envelope.
		for i := 0; i < 100; i++ {
			h.do("GET", "/api/v2/tasks", tok, "")
		}
		r = h.do("GET", "/api/v2/tasks", tok, "")
		if r.status != 429 || r.body["error"].(map[string]any)["class"] != "TooManyRequestsError" || r.header.Get("Retry-After") == "" {
			t.Fatalf("cloudpods 429: %d %s", r.status, r.raw)
		}
	})
}

// TestNoEscalationFromDefaultDomainAdmin: the admin of the Default domain
// (where the bootstrap admin and the admin project live) cannot take over
// the system: not by changing the system admin, not by granting itself a
// role on the admin project, not by joining a group holding a system role.
func TestNoEscalationFromDefaultDomainAdmin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := newHarness(t, st)
		ctx := context.Background()
		adm, err := h.svc.FindUser(ctx, "", "admin", "default")
		h.must(err)
		sysProject, err := h.svc.FindProject(ctx, "", "system", "default")
		h.must(err)
		dadm, err := h.svc.CreateUser(ctx, identity.UserCreate{DomainID: "default", Name: "dadm", Password: "pw-dadm", Enabled: true})
		h.must(err)
		h.must(h.svc.GrantRole(ctx, identity.Assignment{ActorType: "user", ActorID: dadm.ID, TargetType: "domain", TargetID: "default", RoleID: h.roleID("admin")}))
		g, err := h.svc.CreateGroup(ctx, identity.Group{DomainID: "default", Name: "sysops"})
		h.must(err)
		h.must(h.svc.GrantRole(ctx, identity.Assignment{ActorType: "group", ActorID: g.ID, TargetType: "system", TargetID: identity.SystemTarget, RoleID: h.roleID("admin")}))
		plain, err := h.svc.CreateUser(ctx, identity.UserCreate{DomainID: "default", Name: "plain", Enabled: true})
		h.must(err)
		tok := h.login("dadm", "default", "pw-dadm", domainScope("default"))

		for _, c := range []struct{ method, path, body string }{
			{"PATCH", "/v3/users/" + adm.ID, `{"user":{"password":"mine-now"}}`},
			{"PATCH", "/v3/users/" + adm.ID, `{"user":{"enabled":false}}`},
			{"DELETE", "/v3/users/" + adm.ID, ""},
			{"PUT", "/v3/projects/" + sysProject.ID + "/users/" + dadm.ID + "/roles/" + h.roleID("admin"), ""},
			{"PATCH", "/v3/projects/" + sysProject.ID, `{"project":{"name":"renamed"}}`},
			{"PUT", "/v3/groups/" + g.ID + "/users/" + dadm.ID, ""},
			{"PATCH", "/v3/groups/" + g.ID, `{"group":{"name":"x"}}`},
			{"DELETE", "/v3/groups/" + g.ID, ""},
			{"PUT", "/v3/system/users/" + dadm.ID + "/roles/" + h.roleID("admin"), ""},
			{"POST", "/v3/users/" + adm.ID + "/password", `{"user":{"password":"x","original_password":"y"}}`},
		} {
			keystoneError(t, h.do(c.method, c.path, tok, c.body), 403)
		}
		// The same admin still runs its domain.
		if r := h.do("PATCH", "/v3/users/"+plain.ID, tok, `{"user":{"description":"ok"}}`); r.status != 200 {
			t.Fatalf("ordinary user: %d %s", r.status, r.raw)
		}
		h.adminToken() // the system admin's password is unchanged
	})
}
