package cloudkitty_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/skyfold/skyfold/internal/identity"
	"github.com/skyfold/skyfold/internal/store/storetest"
)

// tenantUser creates a project and a user holding role on it, and logs in.
func tenantUser(c *client, project, user, role string) (projectID string, as *client) {
	c.t.Helper()
	ctx := context.Background()
	ids := c.app.Identity
	d, err := ids.FindDomain(ctx, "", "Default")
	if err != nil {
		c.t.Fatal(err)
	}
	p, err := ids.FindProject(ctx, "", project, d.ID)
	if err != nil {
		if p, err = ids.CreateProject(ctx, identity.Project{DomainID: d.ID, Name: project, Enabled: true}); err != nil {
			c.t.Fatal(err)
		}
	}
	const pw = "Tenant-pass-123!"
	u, err := ids.CreateUser(ctx, identity.UserCreate{DomainID: d.ID, Name: user, Password: pw, Enabled: true})
	if err != nil {
		c.t.Fatal(err)
	}
	r, err := ids.FindRole(ctx, "", role)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := ids.GrantRole(ctx, identity.Assignment{ActorType: identity.ActorUser, ActorID: u.ID, TargetType: identity.TargetProject,
		TargetID: p.ID, RoleID: r.ID}); err != nil {
		c.t.Fatal(err)
	}
	return p.ID, &client{t: c.t, base: c.base, token: loginToken(c.t, c.base, user, pw, p.ID)}
}

// ids lists the values of key in the objects under list of a JSON answer.
func ids(v map[string]any, list, key string) []string {
	var out []string
	for _, o := range v[list].([]any) {
		out = append(out, o.(map[string]any)[key].(string))
	}
	slices.Sort(out)
	return out
}

// TestRatingConfigVisibility checks that a tenant's own hashmap rules and
// the scripts' source are kept from other tenants, while global rules stay
// readable, for members and readers alike.
func TestRatingConfigVisibility(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			c := startApp(t, kind)
			projA, memberA := tenantUser(c, "tenant-a", "member-a", identity.RoleMember)
			_, readerA := tenantUser(c, "tenant-a", "reader-a", identity.RoleReader)
			projB, memberB := tenantUser(c, "tenant-b", "member-b", identity.RoleMember)
			_, readerB := tenantUser(c, "tenant-b", "reader-b", identity.RoleReader)

			svcID := c.obj("POST", hm+"/services", map[string]any{"name": "instance"}, 201)["service_id"].(string)
			mapping := func(tenant any, cost string) string {
				return c.obj("POST", hm+"/mappings", map[string]any{"service_id": svcID, "cost": cost, "type": "flat", "tenant_id": tenant}, 201)["mapping_id"].(string)
			}
			threshold := func(tenant any, level string) string {
				return c.obj("POST", hm+"/thresholds", map[string]any{"service_id": svcID, "level": level, "cost": "0.5", "type": "rate", "tenant_id": tenant}, 201)["threshold_id"].(string)
			}
			global, mapA, mapB := mapping(nil, "1"), mapping(projA, "2"), mapping(projB, "3")
			thrGlobal, thrA, thrB := threshold(nil, "10"), threshold(projA, "20"), threshold(projB, "30")
			scriptID := c.obj("POST", "/v1/rating/module_config/pyscripts/scripts", map[string]any{"name": "secret", "data": "x = 1  # tenant-a pays double"}, 201)["script_id"].(string)

			sorted := func(s ...string) []string { slices.Sort(s); return s }
			for _, tc := range []struct {
				name          string
				as            *client
				mappings, thr []string
				hidden        []string // mapping and threshold ids refused with 404
				source        bool
			}{
				{"admin", c, sorted(global, mapA, mapB), sorted(thrGlobal, thrA, thrB), nil, true},
				{"member-a", memberA, sorted(global, mapA), sorted(thrGlobal, thrA), []string{"mappings/" + mapB, "thresholds/" + thrB}, false},
				{"reader-a", readerA, sorted(global, mapA), sorted(thrGlobal, thrA), []string{"mappings/" + mapB, "thresholds/" + thrB}, false},
				{"member-b", memberB, sorted(global, mapB), sorted(thrGlobal, thrB), []string{"mappings/" + mapA, "thresholds/" + thrA}, false},
				{"reader-b", readerB, sorted(global, mapB), sorted(thrGlobal, thrB), []string{"mappings/" + mapA, "thresholds/" + thrA}, false},
			} {
				t.Run(tc.name, func(t *testing.T) {
					tc.as.t = t
					if got := ids(tc.as.obj("GET", hm+"/mappings?service_id="+svcID, nil, 200), "mappings", "mapping_id"); !slices.Equal(got, tc.mappings) {
						t.Errorf("mappings = %v, want %v", got, tc.mappings)
					}
					if got := ids(tc.as.obj("GET", hm+"/thresholds?service_id="+svcID, nil, 200), "thresholds", "threshold_id"); !slices.Equal(got, tc.thr) {
						t.Errorf("thresholds = %v, want %v", got, tc.thr)
					}
					for _, p := range tc.hidden {
						if st, raw := tc.as.do("GET", hm+"/"+p, nil); st != 404 {
							t.Errorf("GET %s: %d %s, want 404", p, st, raw)
						}
					}
					// The other tenant's rule cannot be asked for by its tenant either,
					// and no tenant changes the configuration.
					if tc.as != c {
						for _, w := range []struct {
							method, path string
							body         any
						}{
							{"POST", hm + "/mappings", map[string]any{"service_id": svcID, "cost": "0", "type": "flat", "tenant_id": projA}},
							{"DELETE", hm + "/mappings/" + global, nil},
							{"PUT", "/v1/rating/module_config/pyscripts/scripts/" + scriptID, map[string]any{"data": "x = 0"}},
						} {
							// A reader is refused by the policy layer, a member
							// by the face, in CloudKitty's words.
							if st, raw := tc.as.do(w.method, w.path, w.body); st != 403 {
								t.Errorf("%s %s: %d %s, want 403", w.method, w.path, st, raw)
							} else if strings.HasPrefix(tc.name, "member") && !strings.Contains(string(raw), "Policy doesn't allow rating:module_config to be performed.") {
								t.Errorf("%s %s: %s", w.method, w.path, raw)
							}
						}
						other := projB
						if slices.Contains(tc.mappings, mapB) {
							other = projA
						}
						if got := tc.as.obj("GET", hm+"/mappings?tenant_id="+other, nil, 200)["mappings"].([]any); len(got) != 0 {
							t.Errorf("mappings of %s = %v", other, got)
						}
					}
					// Scripts are the operators': nobody else reads them at all.
					if !tc.source {
						for _, p := range []string{"/v1/rating/module_config/pyscripts/scripts/" + scriptID, "/v1/rating/module_config/pyscripts/scripts"} {
							if st, raw := tc.as.do("GET", p, nil); st != 403 || strings.Contains(string(raw), "x =") {
								t.Errorf("GET %s: %d %s, want 403", p, st, raw)
							}
						}
						return
					}
					one := tc.as.obj("GET", "/v1/rating/module_config/pyscripts/scripts/"+scriptID, nil, 200)
					list := tc.as.obj("GET", "/v1/rating/module_config/pyscripts/scripts", nil, 200)["scripts"].([]any)
					_, inOne := one["data"]
					_, inList := list[0].(map[string]any)["data"]
					if !inOne || !inList {
						t.Errorf("script source hidden from an admin: get %v, list %v", inOne, inList)
					}
				})
			}
		})
	}
}
