package apitest_test

import (
	"fmt"
	"net/http"
	"testing"
)

// tenant is one domain with a project and three users on it.
type tenant struct {
	name      string
	domain    string
	project   string
	users     map[string]string // role → user id
	tokens    map[string]string // role → project-scoped token
	projName  string
	userNames map[string]string
}

// world is two tenants and the system admin.
type world struct {
	s      *server
	admin  string
	a, b   *tenant
	roleID map[string]string
}

const tenantPassword = "Tenant-Pass-12345"

var roles = []string{"admin", "member", "reader"}

// makeWorld creates domains A and B, each with a project and an admin, a
// member and a reader of it, and logs them all in.
func makeWorld(t *testing.T, s *server) *world {
	t.Helper()
	w := &world{s: s, admin: s.adminLogin(), roleID: map[string]string{}}
	for _, r := range roles {
		m := s.must(request{method: "GET", path: "/v3/roles?name=" + r, token: w.admin}, http.StatusOK)
		list, _ := m["roles"].([]any)
		if len(list) != 1 {
			t.Fatalf("role %s: %v", r, m)
		}
		w.roleID[r] = dig(list[0], "id").(string)
	}
	mk := func(path, wrap string, body map[string]any) string {
		m := s.must(request{method: "POST", path: path, token: w.admin, body: map[string]any{wrap: body}}, http.StatusCreated)
		return dig(m, wrap, "id").(string)
	}
	for i, name := range []string{"a", "b"} {
		tn := &tenant{name: name, users: map[string]string{}, tokens: map[string]string{}, userNames: map[string]string{}}
		tn.domain = mk("/v3/domains", "domain", map[string]any{"name": fmt.Sprintf("tenant-%s-domain", name)})
		tn.projName = fmt.Sprintf("secret-%s-project-%d", name, 7700+i)
		tn.project = mk("/v3/projects", "project", map[string]any{"name": tn.projName, "domain_id": tn.domain})
		for _, r := range roles {
			un := fmt.Sprintf("%s-%s", name, r)
			tn.userNames[r] = un
			tn.users[r] = mk("/v3/users", "user", map[string]any{"name": un, "domain_id": tn.domain, "password": tenantPassword})
			s.must(request{method: "PUT", path: "/v3/projects/" + tn.project + "/users/" + tn.users[r] + "/roles/" + w.roleID[r], token: w.admin}, http.StatusNoContent)
			tn.tokens[r] = s.login(un, tn.domain, tenantPassword, tn.project, "")
		}
		if name == "a" {
			w.a = tn
		} else {
			w.b = tn
		}
	}
	return w
}
