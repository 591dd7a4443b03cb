package apitest_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/skyfold/skyfold/internal/store/storetest"
)

// TestKeystoneNamesRefuseBidiControls: every Keystone name, on create and
// on update, refuses the characters that reorder text, with a 400 naming
// the field.
func TestKeystoneNamesRefuseBidiControls(t *testing.T) {
	s := startServer(t, storetest.Kinds()[0])
	admin := s.adminLogin()
	dom := dig(s.must(request{method: "POST", path: "/v3/domains", token: admin, body: map[string]any{"domain": map[string]any{"name": "bidi"}}}, http.StatusCreated), "domain", "id").(string)
	kinds := []struct {
		collection, wrap string
		extra            map[string]any
	}{
		{"domains", "domain", nil},
		{"projects", "project", map[string]any{"domain_id": dom}},
		{"users", "user", map[string]any{"domain_id": dom, "password": "Bidi-Pass-12345"}},
		{"groups", "group", map[string]any{"domain_id": dom}},
		{"roles", "role", nil},
	}
	controls := []rune{0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069, 0x200E, 0x200F}
	for _, k := range kinds {
		body := func(name string) map[string]any {
			f := map[string]any{"name": name}
			for key, v := range k.extra {
				f[key] = v
			}
			return map[string]any{k.wrap: f}
		}
		id := dig(s.must(request{method: "POST", path: "/v3/" + k.collection, token: admin, body: body("plain-" + k.wrap)}, http.StatusCreated), k.wrap, "id").(string)
		for _, c := range controls {
			bad := "exe" + string(c) + "gnp.txt"
			for _, call := range []request{
				{method: "POST", path: "/v3/" + k.collection, body: body(bad)},
				{method: "PATCH", path: "/v3/" + k.collection + "/" + id, body: map[string]any{k.wrap: map[string]any{"name": bad}}},
			} {
				call.token = admin
				r := s.send(call)
				msg, _ := dig(r.json(), "error", "message").(string)
				if r.status != http.StatusBadRequest || !strings.Contains(msg, k.wrap+".name") || !strings.Contains(msg, fmt.Sprintf("U+%04X", c)) {
					t.Errorf("%s %s with U+%04X: %d %s", call.method, call.path, c, r.status, r.raw)
				}
			}
		}
	}
}

// TestProjectInjectionHidesTheProjectName: a user of tenant B who names
// tenant A's project as the owner of a new object is refused without
// learning that project's name.
func TestProjectInjectionHidesTheProjectName(t *testing.T) {
	s := startServer(t, storetest.Kinds()[0])
	w := makeWorld(t, s)
	for _, role := range roles {
		for _, key := range []string{"tenant", "project_id"} {
			r := s.send(request{method: "POST", path: "/api/v2/cloudaccounts", token: w.b.tokens[role], body: map[string]any{
				"name": "injected", "provider": "Aliyun", "access_url": "http://127.0.0.1:9/",
				"access_key_id": "LTAI5tEXAMPLEKEYID00001", "access_key_secret": "EXAMPLEsecretEXAMPLEsecret0001",
				key: w.a.project, "dry_run": true}})
			if r.status != http.StatusForbidden {
				t.Errorf("b-%s creates in a's project (%s): %d %s", role, key, r.status, r.raw)
			}
			if strings.Contains(string(r.raw), w.a.projName) {
				t.Errorf("b-%s learns a's project name from the refusal: %s", role, r.raw)
			}
		}
	}
}
