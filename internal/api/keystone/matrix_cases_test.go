package keystone_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/skyfold/skyfold/internal/identity"
)

var (
	projTargets  = []string{"a", "b", "x"}
	domTargets   = []string{"home", "other"}
	userTargets  = []string{"self", "peer", "xpeer"}
	peerTargets  = []string{"peer", "xpeer"}
	taskTargets  = []string{"a", "b", "x", "sys"}
	taskCancelTg = []string{"a", "b", "x"}
)

// Rows shared by many operations.
var (
	// reading an object of a project: the system, its domain's admin, the
	// project's own users.
	readProject = W("200 200 200", "200 200 403", "200 403 403", "200 403 403", "200 403 403")
	// writing identity objects of a domain: the system and the domain's admin.
	writeDomain2 = W("204 204", "204 403", "403 403", "403 403", "403 403")
	// reading a user: self always; the domain's admin; the system.
	readUser = W("200 200 200", "200 200 403", "200 403 403", "200 403 403", "200 403 403")
	// system-only writes.
	systemOnly = func(code string) map[string]string { return W(code, "403", "403", "403", "403") }
)

// grant path builders: each returns the path for a persona and target.
type grantKind struct {
	id      string
	targets []string
	// path of the fixture assignment that exists (for HEAD/GET/list checks)
	existing func(w *world, p *persona, t string) (path string)
	// path of a new assignment to a fresh actor (PUT); made to exist for DELETE
	fresh func(w *world, p *persona, t string, create bool) (path string)
	list  func(w *world, p *persona, t string) string
	write map[string]string
	read  map[string]string
}

func (w *world) grantKinds() []grantKind {
	ctx := context.Background()
	role := func(name string) string { return w.h.roleID(name) }
	// fresh makes a new user or group in domain d and, when create is set,
	// gives it reader on the target first.
	freshActor := func(kind string, d int, targetType, targetID string, inherited, create bool) string {
		var id string
		if kind == "users" {
			id = w.newUser(d).ID
		} else {
			id = w.newGroup(d).ID
		}
		if create {
			at := identity.ActorUser
			if kind == "groups" {
				at = identity.ActorGroup
			}
			w.h.must(w.h.svc.GrantRole(ctx, identity.Assignment{ActorType: at, ActorID: id, TargetType: targetType,
				TargetID: targetID, RoleID: role("reader"), Inherited: inherited}))
		}
		return id
	}
	projWrite := W("204 204 204", "204 204 403", "403 403 403", "403 403 403", "403 403 403")
	projRead := W("204 204 204", "204 204 403", "204 403 403", "204 403 403", "204 403 403")
	domWrite := writeDomain2
	domRead := W("204 204", "204 403", "403 403", "403 403", "403 403")
	sysWrite := systemOnly("204")
	var kinds []grantKind
	for _, actor := range []string{"users", "groups"} {
		actor := actor
		fixtureActor := func(w *world, p *persona, t string) string {
			d := w.domainIdx(p, t)
			if actor == "groups" {
				return w.grp[d].ID
			}
			switch t {
			case "a", "x":
				return w.users[fmt.Sprintf("d%d-mem", d)].ID
			case "b":
				return w.peer[d].ID
			}
			return w.users[fmt.Sprintf("d%d-adm", d)].ID
		}
		projRole := "member"
		kinds = append(kinds, grantKind{
			id: "project-" + strings.TrimSuffix(actor, "s"), targets: projTargets,
			existing: func(w *world, p *persona, t string) string {
				return fmt.Sprintf("/v3/projects/%s/%s/%s/roles/%s", w.project(p, t).ID, actor, fixtureActor(w, p, t), role(projRole))
			},
			fresh: func(w *world, p *persona, t string, create bool) string {
				pr := w.project(p, t)
				return fmt.Sprintf("/v3/projects/%s/%s/%s/roles/%s", pr.ID, actor, freshActor(actor, w.domainIdx(p, t), "project", pr.ID, false, create), role("reader"))
			},
			list: func(w *world, p *persona, t string) string {
				return fmt.Sprintf("/v3/projects/%s/%s/%s/roles", w.project(p, t).ID, actor, fixtureActor(w, p, t))
			},
			write: projWrite, read: projRead,
		})
		domRole := "admin"
		if actor == "groups" {
			domRole = "reader"
		}
		kinds = append(kinds, grantKind{
			id: "domain-" + strings.TrimSuffix(actor, "s"), targets: domTargets,
			existing: func(w *world, p *persona, t string) string {
				d := w.domainIdx(p, t)
				return fmt.Sprintf("/v3/domains/%s/%s/%s/roles/%s", w.dom[d].ID, actor, fixtureActor(w, p, t), role(domRole))
			},
			fresh: func(w *world, p *persona, t string, create bool) string {
				d := w.domainIdx(p, t)
				return fmt.Sprintf("/v3/domains/%s/%s/%s/roles/%s", w.dom[d].ID, actor, freshActor(actor, d, "domain", w.dom[d].ID, false, create), role("reader"))
			},
			list: func(w *world, p *persona, t string) string {
				d := w.domainIdx(p, t)
				return fmt.Sprintf("/v3/domains/%s/%s/%s/roles", w.dom[d].ID, actor, fixtureActor(w, p, t))
			},
			write: domWrite, read: domRead,
		})
		kinds = append(kinds, grantKind{
			id: "inherited-" + strings.TrimSuffix(actor, "s"), targets: domTargets,
			existing: func(w *world, p *persona, t string) string {
				d := w.domainIdx(p, t)
				a := w.peer[d].ID
				if actor == "groups" {
					a = w.grp[d].ID
				}
				return fmt.Sprintf("/v3/OS-INHERIT/domains/%s/%s/%s/roles/%s/inherited_to_projects", w.dom[d].ID, actor, a, role("reader"))
			},
			fresh: func(w *world, p *persona, t string, create bool) string {
				d := w.domainIdx(p, t)
				return fmt.Sprintf("/v3/OS-INHERIT/domains/%s/%s/%s/roles/%s/inherited_to_projects", w.dom[d].ID, actor, freshActor(actor, d, "domain", w.dom[d].ID, true, create), role("reader"))
			},
			list: func(w *world, p *persona, t string) string {
				d := w.domainIdx(p, t)
				a := w.peer[d].ID
				if actor == "groups" {
					a = w.grp[d].ID
				}
				return fmt.Sprintf("/v3/OS-INHERIT/domains/%s/%s/%s/roles/inherited_to_projects", w.dom[d].ID, actor, a)
			},
			write: domWrite, read: domRead,
		})
		kinds = append(kinds, grantKind{
			id: "system-" + strings.TrimSuffix(actor, "s"), targets: nil,
			existing: func(w *world, p *persona, t string) string {
				if actor == "groups" {
					return fmt.Sprintf("/v3/system/groups/%s/roles/%s", w.sysGroup.ID, role("reader"))
				}
				return fmt.Sprintf("/v3/system/users/%s/roles/%s", w.sysUser.ID, role("admin"))
			},
			fresh: func(w *world, p *persona, t string, create bool) string {
				return fmt.Sprintf("/v3/system/%s/%s/roles/%s", actor, freshActor(actor, 1, "system", identity.SystemTarget, false, create), role("reader"))
			},
			list: func(w *world, p *persona, t string) string {
				if actor == "groups" {
					return "/v3/system/groups/" + w.sysGroup.ID + "/roles"
				}
				return "/v3/system/users/" + w.sysUser.ID + "/roles"
			},
			write: sysWrite, read: sysWrite,
		})
	}
	return kinds
}

// status200 turns a row of 204s into the 200s of the list form.
func status200(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = strings.ReplaceAll(v, "204", "200")
	}
	return out
}

func (w *world) casesList() []mcase {
	ctx := context.Background()
	var cs []mcase
	add := func(c mcase) { cs = append(cs, c) }
	body := func(method, path, b string) call { return call{method: method, path: path, body: b} }

	// ---- version and tokens ----
	add(mcase{ops: []string{"keystone-version"}, want: map[string]string{"sys": "200", "adm": "200", "padm": "200", "mem": "200", "rdr": "200", "anon": "200"},
		req: func(w *world, p *persona, t string) call { return get("/v3") }})
	add(mcase{ops: []string{"keystone-issue-token"}, want: map[string]string{"sys": "201", "adm": "201", "padm": "201", "mem": "201", "rdr": "201", "anon": "401"},
		req: func(w *world, p *persona, t string) call {
			switch p.kind {
			case "anon":
				return body("POST", "/v3/auth/tokens", passwordBody("d1-mem", w.dom[1].ID, "wrong", ""))
			case "sys":
				return body("POST", "/v3/auth/tokens", passwordBody("admin", "default", adminPW, `{"system":{"all":true}}`))
			}
			sc := projectScope(p.scope.ProjectID)
			if p.scope.Kind == "domain" {
				sc = domainScope(p.scope.DomainID)
			}
			return body("POST", "/v3/auth/tokens", passwordBody(p.user.Name, p.user.DomainID, userPW, sc))
		}})
	subject := func(w *world, p *persona, t string) string {
		switch t {
		case "own":
			return w.ownToken(p)
		case "peer":
			return w.peerToken(p.home)
		}
		return w.peerToken(p.other())
	}
	tokenRow := W("200 200 200", "200 200 403", "200 403 403", "200 403 403", "200 403 403")
	for _, m := range []struct{ op, method string }{{"keystone-validate-token", "GET"}, {"keystone-check-token", "HEAD"}, {"keystone-revoke-token", "DELETE"}} {
		m := m
		want := tokenRow
		if m.method == "DELETE" {
			want = map[string]string{}
			for k, v := range tokenRow {
				want[k] = strings.ReplaceAll(v, "200", "204")
			}
		}
		add(mcase{ops: []string{m.op}, targets: []string{"own", "peer", "xpeer"}, want: want,
			req: func(w *world, p *persona, t string) call {
				return call{method: m.method, path: "/v3/auth/tokens", hdr: map[string]string{"X-Subject-Token": subject(w, p, t)}}
			},
			check: func(t *testing.T, w *world, p *persona, tg string, r resp) {
				if m.method == "GET" && r.str("token", "user", "id") == "" {
					t.Errorf("validate as %s: %s", p.name, r.raw)
				}
			}})
	}
	add(mcase{ops: []string{"keystone-auth-projects"}, want: all("200"), req: func(w *world, p *persona, t string) call { return get("/v3/auth/projects") },
		check: func(t *testing.T, w *world, p *persona, _ string, r resp) {
			got := names(r, "projects", "name", fixtureName)
			want := map[string][]string{"sys": {"system"}, "adm": nil, "padm": {w.pa[p.home].Name}, "mem": {w.pa[p.home].Name}, "rdr": {w.pa[p.home].Name}}[p.kind]
			expectSet(t, "auth/projects of "+p.name, got, want)
		}})
	add(mcase{ops: []string{"keystone-auth-domains"}, want: all("200"), req: func(w *world, p *persona, t string) call { return get("/v3/auth/domains") },
		check: func(t *testing.T, w *world, p *persona, _ string, r resp) {
			var want []string
			if p.kind == "adm" {
				want = []string{w.dom[p.home].Name}
			}
			expectSet(t, "auth/domains of "+p.name, names(r, "domains", "name", fixtureName), want)
		}})
	add(mcase{ops: []string{"keystone-auth-system"}, want: all("200"), req: func(w *world, p *persona, t string) call { return get("/v3/auth/system") },
		check: func(t *testing.T, w *world, p *persona, _ string, r resp) {
			n := len(r.body["system"].([]any))
			if (p.kind == "sys") != (n == 1) {
				t.Errorf("auth/system of %s: %s", p.name, r.raw)
			}
		}})
	add(mcase{ops: []string{"keystone-auth-catalog"}, want: all("200"), req: func(w *world, p *persona, t string) call { return get("/v3/auth/catalog") }})

	// ---- domains ----
	add(mcase{ops: []string{"keystone-list-domains"}, want: all("200"), req: func(w *world, p *persona, t string) call { return get("/v3/domains") },
		check: func(t *testing.T, w *world, p *persona, _ string, r resp) {
			want := []string{w.dom[p.home].Name}
			if p.kind == "sys" {
				want = []string{"Default", "d1", "d2"}
			}
			expectSet(t, "domains of "+p.name, names(r, "domains", "name", fixtureName), want)
		}})
	add(mcase{ops: []string{"keystone-get-domain"}, targets: domTargets, want: W("200 200", "200 403", "200 403", "200 403", "200 403"),
		req: func(w *world, p *persona, t string) call { return get("/v3/domains/" + w.dom[w.domainIdx(p, t)].ID) }})
	add(mcase{ops: []string{"keystone-create-domain"}, want: systemOnly("201"),
		req: func(w *world, p *persona, t string) call {
			return body("POST", "/v3/domains", `{"domain":{"name":`+q(w.next("dom"))+`}}`)
		}})
	add(mcase{ops: []string{"keystone-update-domain"}, targets: domTargets, want: W("200 200", "403 403", "403 403", "403 403", "403 403"),
		req: func(w *world, p *persona, t string) call {
			return body("PATCH", "/v3/domains/"+w.dom[w.domainIdx(p, t)].ID, `{"domain":{"description":"touched"}}`)
		}})
	add(mcase{ops: []string{"keystone-delete-domain"}, want: systemOnly("204"),
		req: func(w *world, p *persona, t string) call {
			d, err := w.h.svc.CreateDomain(ctx, identity.Domain{Name: w.next("victim"), Enabled: false})
			w.h.must(err)
			return call{method: "DELETE", path: "/v3/domains/" + d.ID}
		}})

	// ---- projects ----
	add(mcase{ops: []string{"keystone-list-projects"}, want: all("200"), req: func(w *world, p *persona, t string) call { return get("/v3/projects") },
		check: func(t *testing.T, w *world, p *persona, _ string, r resp) {
			h := p.home
			want := map[string][]string{
				"sys": {"system", "d1a", "d1b", "d2a", "d2b"}, "adm": {w.pa[h].Name, w.pb[h].Name},
				"padm": {w.pa[h].Name}, "mem": {w.pa[h].Name}, "rdr": {w.pa[h].Name},
			}[p.kind]
			expectSet(t, "projects of "+p.name, names(r, "projects", "name", fixtureName), want)
			// domain_id= another domain shows nothing to a domain admin.
			if p.kind == "adm" {
				o := w.h.do("GET", "/v3/projects?domain_id="+w.dom[p.other()].ID, p.token, "")
				if len(o.list("projects")) != 0 {
					t.Errorf("adm filtered by the other domain: %s", o.raw)
				}
			}
		}})
	add(mcase{ops: []string{"keystone-get-project"}, targets: projTargets, want: readProject,
		req: func(w *world, p *persona, t string) call { return get("/v3/projects/" + w.project(p, t).ID) }})
	add(mcase{ops: []string{"keystone-create-project"}, targets: domTargets, want: W("201 201", "201 403", "403 403", "403 403", "403 403"),
		req: func(w *world, p *persona, t string) call {
			return body("POST", "/v3/projects", `{"project":{"name":`+q(w.next("np"))+`,"domain_id":`+q(w.dom[w.domainIdx(p, t)].ID)+`}}`)
		}})
	add(mcase{ops: []string{"keystone-update-project"}, targets: projTargets, want: W("200 200 200", "200 200 403", "403 403 403", "403 403 403", "403 403 403"),
		req: func(w *world, p *persona, t string) call {
			return body("PATCH", "/v3/projects/"+w.project(p, t).ID, `{"project":{"description":`+q("by "+p.name)+`}}`)
		},
		check: func(t *testing.T, w *world, p *persona, tg string, r resp) {
			got, _ := w.h.svc.GetProject(ctx, w.project(p, tg).ID)
			if got.Description != "by "+p.name {
				t.Errorf("update by %s not applied", p.name)
			}
		}})
	add(mcase{ops: []string{"keystone-delete-project"}, targets: domTargets, want: writeDomain2,
		req: func(w *world, p *persona, t string) call {
			return call{method: "DELETE", path: "/v3/projects/" + w.newProject(w.domainIdx(p, t)).ID}
		}})
	add(mcase{ops: []string{"keystone-user-projects"}, targets: userTargets, want: readUser,
		req: func(w *world, p *persona, t string) call { return get("/v3/users/" + w.user(p, t).ID + "/projects") }})

	// ---- users ----
	add(mcase{ops: []string{"keystone-list-users"}, want: all("200"), req: func(w *world, p *persona, t string) call { return get("/v3/users") },
		check: func(t *testing.T, w *world, p *persona, _ string, r resp) {
			keep := func(s string) bool { return strings.HasPrefix(s, "d1-") || strings.HasPrefix(s, "d2-") || s == "admin" }
			var want []string
			for _, k := range []string{"adm", "padm", "mem", "rdr", "peer"} {
				for d := 1; d <= 2; d++ {
					if p.kind == "sys" || (p.kind == "adm" && d == p.home) {
						want = append(want, fmt.Sprintf("d%d-%s", d, k))
					}
				}
			}
			switch p.kind {
			case "sys":
				want = append(want, "admin")
			case "padm", "mem", "rdr":
				want = []string{p.name}
			}
			expectSet(t, "users of "+p.name, names(r, "users", "name", keep), want)
		}})
	add(mcase{ops: []string{"keystone-get-user"}, targets: userTargets, want: readUser,
		req: func(w *world, p *persona, t string) call { return get("/v3/users/" + w.user(p, t).ID) },
		check: func(t *testing.T, _ *world, p *persona, _ string, r resp) {
			if strings.Contains(r.raw, "argon2") || strings.Contains(r.raw, "password_hash") {
				t.Errorf("a user leaks its hash: %s", r.raw)
			}
		}})
	add(mcase{ops: []string{"keystone-create-user"}, targets: domTargets, want: W("201 201", "201 403", "403 403", "403 403", "403 403"),
		req: func(w *world, p *persona, t string) call {
			return body("POST", "/v3/users", `{"user":{"name":`+q(w.next("nu"))+`,"password":"x","domain_id":`+q(w.dom[w.domainIdx(p, t)].ID)+`}}`)
		}})
	add(mcase{ops: []string{"keystone-update-user"}, targets: userTargets, want: W("200 200 200", "200 200 403", "403 403 403", "403 403 403", "403 403 403"),
		req: func(w *world, p *persona, t string) call {
			return body("PATCH", "/v3/users/"+w.user(p, t).ID, `{"user":{"description":`+q("by "+p.name)+`}}`)
		}})
	add(mcase{ops: []string{"keystone-delete-user"}, targets: domTargets, want: writeDomain2,
		req: func(w *world, p *persona, t string) call {
			return call{method: "DELETE", path: "/v3/users/" + w.newUser(w.domainIdx(p, t)).ID}
		}})
	add(mcase{ops: []string{"keystone-change-password"}, targets: []string{"self", "peer"}, want: all("204 403"),
		req: func(w *world, p *persona, t string) call {
			if t == "peer" {
				return body("POST", "/v3/users/"+w.peer[p.home].ID+"/password", `{"user":{"password":"new","original_password":`+q(userPW)+`}}`)
			}
			// "self" is a clone of the persona: changing the password revokes
			// its tokens, and the persona's own must survive for later cases.
			if p.kind == "anon" {
				return body("POST", "/v3/users/"+w.peer[1].ID+"/password", `{"user":{"password":"new","original_password":`+q(userPW)+`}}`)
			}
			clone := w.clone(p)
			return call{method: "POST", path: "/v3/users/" + clone.user.ID + "/password",
				body: `{"user":{"password":"new-pw","original_password":` + q(userPW) + `}}`, hdr: map[string]string{"X-Auth-Token": clone.token}}
		}})

	// ---- groups ----
	add(mcase{ops: []string{"keystone-list-groups"}, want: all("200"), req: func(w *world, p *persona, t string) call { return get("/v3/groups") },
		check: func(t *testing.T, w *world, p *persona, _ string, r resp) {
			want := map[string][]string{"sys": {"auditors", "d1-group", "d2-group"}, "adm": {w.grp[p.home].Name}}[p.kind]
			expectSet(t, "groups of "+p.name, names(r, "groups", "name", fixtureName), want)
		}})
	add(mcase{ops: []string{"keystone-get-group"}, targets: domTargets, want: W("200 200", "200 403", "403 403", "403 403", "403 403"),
		req: func(w *world, p *persona, t string) call { return get("/v3/groups/" + w.grp[w.domainIdx(p, t)].ID) }})
	add(mcase{ops: []string{"keystone-create-group"}, targets: domTargets, want: W("201 201", "201 403", "403 403", "403 403", "403 403"),
		req: func(w *world, p *persona, t string) call {
			return body("POST", "/v3/groups", `{"group":{"name":`+q(w.next("ng"))+`,"domain_id":`+q(w.dom[w.domainIdx(p, t)].ID)+`}}`)
		}})
	add(mcase{ops: []string{"keystone-update-group"}, targets: domTargets, want: W("200 200", "200 403", "403 403", "403 403", "403 403"),
		req: func(w *world, p *persona, t string) call {
			return body("PATCH", "/v3/groups/"+w.grp[w.domainIdx(p, t)].ID, `{"group":{"description":"touched"}}`)
		}})
	add(mcase{ops: []string{"keystone-delete-group"}, targets: domTargets, want: writeDomain2,
		req: func(w *world, p *persona, t string) call {
			return call{method: "DELETE", path: "/v3/groups/" + w.newGroup(w.domainIdx(p, t)).ID}
		}})
	add(mcase{ops: []string{"keystone-group-users"}, targets: domTargets, want: W("200 200", "200 403", "403 403", "403 403", "403 403"),
		req: func(w *world, p *persona, t string) call {
			return get("/v3/groups/" + w.grp[w.domainIdx(p, t)].ID + "/users")
		}})
	add(mcase{ops: []string{"keystone-user-groups"}, targets: userTargets, want: readUser,
		req: func(w *world, p *persona, t string) call { return get("/v3/users/" + w.user(p, t).ID + "/groups") }})
	add(mcase{ops: []string{"keystone-add-group-user"}, targets: domTargets, want: writeDomain2,
		req: func(w *world, p *persona, t string) call {
			d := w.domainIdx(p, t)
			return call{method: "PUT", path: "/v3/groups/" + w.grp[d].ID + "/users/" + w.newUser(d).ID}
		}})
	add(mcase{ops: []string{"keystone-check-group-user"}, targets: domTargets, want: writeDomain2,
		req: func(w *world, p *persona, t string) call {
			d := w.domainIdx(p, t)
			return call{method: "HEAD", path: "/v3/groups/" + w.grp[d].ID + "/users/" + w.peer[d].ID}
		}})
	add(mcase{ops: []string{"keystone-remove-group-user"}, targets: domTargets, want: writeDomain2,
		req: func(w *world, p *persona, t string) call {
			d := w.domainIdx(p, t)
			u := w.newUser(d)
			w.h.must(w.h.svc.AddMember(ctx, w.grp[d].ID, u.ID))
			return call{method: "DELETE", path: "/v3/groups/" + w.grp[d].ID + "/users/" + u.ID}
		}})

	// ---- roles ----
	add(mcase{ops: []string{"keystone-list-roles"}, want: all("200"), req: func(w *world, p *persona, t string) call { return get("/v3/roles") }})
	add(mcase{ops: []string{"keystone-get-role"}, want: all("200"), req: func(w *world, p *persona, t string) call { return get("/v3/roles/" + w.h.roleID("member")) }})
	add(mcase{ops: []string{"keystone-create-role"}, want: systemOnly("201"),
		req: func(w *world, p *persona, t string) call {
			return body("POST", "/v3/roles", `{"role":{"name":`+q(w.next("role"))+`}}`)
		}})
	newRole := func(w *world) string {
		r, err := w.h.svc.CreateRole(ctx, identity.Role{Name: w.next("victim-role")})
		w.h.must(err)
		return r.ID
	}
	add(mcase{ops: []string{"keystone-update-role"}, want: systemOnly("200"),
		req: func(w *world, p *persona, t string) call {
			return body("PATCH", "/v3/roles/"+newRole(w), `{"role":{"description":"x"}}`)
		}})
	add(mcase{ops: []string{"keystone-delete-role"}, want: systemOnly("204"),
		req: func(w *world, p *persona, t string) call {
			return call{method: "DELETE", path: "/v3/roles/" + newRole(w)}
		}})

	// ---- role grants, on every target and actor kind ----
	for _, k := range w.grantKinds() {
		k := k
		one := func(row map[string]string) map[string]string { return row }
		add(mcase{ops: []string{"keystone-grant-" + k.id}, targets: k.targets, want: one(k.write),
			req: func(w *world, p *persona, t string) call { return call{method: "PUT", path: k.fresh(w, p, t, false)} }})
		add(mcase{ops: []string{"keystone-check-grant-" + k.id}, targets: k.targets, want: k.read,
			req: func(w *world, p *persona, t string) call { return call{method: "HEAD", path: k.existing(w, p, t)} }})
		add(mcase{ops: []string{"keystone-get-grant-" + k.id}, targets: k.targets, want: k.read,
			req: func(w *world, p *persona, t string) call { return get(k.existing(w, p, t)) }})
		add(mcase{ops: []string{"keystone-revoke-grant-" + k.id}, targets: k.targets, want: k.write,
			req: func(w *world, p *persona, t string) call { return call{method: "DELETE", path: k.fresh(w, p, t, true)} }})
		add(mcase{ops: []string{"keystone-list-grants-" + k.id}, targets: k.targets, want: status200(k.read),
			req: func(w *world, p *persona, t string) call { return get(k.list(w, p, t)) },
			check: func(t *testing.T, w *world, p *persona, tg string, r resp) {
				if len(r.list("roles")) == 0 {
					t.Errorf("%s as %s: the fixture grant is missing: %s", k.id, p.name, r.raw)
				}
			}})
	}
	add(mcase{ops: []string{"keystone-list-role-assignments"}, targets: []string{"all", "self"}, want: all("200 200"),
		req: func(w *world, p *persona, t string) call {
			if t == "self" && p.user != nil {
				return get("/v3/role_assignments?include_names&user.id=" + p.user.ID)
			}
			return get("/v3/role_assignments?effective")
		},
		check: func(t *testing.T, w *world, p *persona, tg string, r resp) {
			as := r.list("role_assignments")
			if len(as) == 0 {
				t.Errorf("role assignments of %s (%s): none", p.name, tg)
			}
			for _, a := range as {
				sc := a["scope"].(map[string]any)
				var proj, dom string
				if x, ok := sc["project"].(map[string]any); ok {
					proj = x["id"].(string)
				}
				if x, ok := sc["domain"].(map[string]any); ok {
					dom = x["id"].(string)
				}
				if tg == "self" {
					if u, _ := a["user"].(map[string]any); u == nil || u["id"] != p.user.ID || a["role"].(map[string]any)["name"] == nil {
						t.Errorf("own assignments of %s: %v", p.name, a)
					}
					continue
				}
				h := p.home
				ok := true
				switch p.kind {
				case "adm":
					ok = dom == w.dom[h].ID || proj == w.pa[h].ID || proj == w.pb[h].ID || isProjectOf(w, proj, h)
				case "padm", "mem", "rdr":
					ok = proj == w.pa[h].ID
				}
				if !ok {
					t.Errorf("%s sees an assignment outside its grant: %v", p.name, a)
				}
			}
		}})

	// ---- application credentials ----
	add(mcase{ops: []string{"keystone-create-application-credential"}, targets: []string{"self", "peer"},
		want: W("403 403", "403 403", "201 403", "201 403", "201 403"),
		req: func(w *world, p *persona, t string) call {
			u := w.user(p, t)
			return body("POST", "/v3/users/"+u.ID+"/application_credentials", `{"application_credential":{"name":`+q(w.next("ac"))+`}}`)
		},
		check: func(t *testing.T, _ *world, p *persona, _ string, r resp) {
			if r.str("application_credential", "secret") == "" {
				t.Errorf("no secret in the creation answer: %s", r.raw)
			}
		}})
	add(mcase{ops: []string{"keystone-list-application-credentials"}, targets: userTargets, want: readUser,
		req: func(w *world, p *persona, t string) call {
			return get("/v3/users/" + w.user(p, t).ID + "/application_credentials")
		},
		check: func(t *testing.T, _ *world, p *persona, _ string, r resp) {
			if strings.Contains(r.raw, `"secret"`) {
				t.Errorf("a listing shows a secret: %s", r.raw)
			}
		}})
	add(mcase{ops: []string{"keystone-get-application-credential"}, targets: peerTargets, want: W("200 200", "200 403", "403 403", "403 403", "403 403"),
		req: func(w *world, p *persona, t string) call {
			d := w.domainIdx(p, map[string]string{"peer": "home", "xpeer": "other"}[t])
			return get("/v3/users/" + w.peer[d].ID + "/application_credentials/" + w.peerAC[d])
		}})
	add(mcase{ops: []string{"keystone-delete-application-credential"}, targets: peerTargets, want: writeDomain2,
		req: func(w *world, p *persona, t string) call {
			d := w.domainIdx(p, map[string]string{"peer": "home", "xpeer": "other"}[t])
			pt, err := w.h.svc.Validate(w.peerToken(d))
			w.h.must(err)
			ac, _, err := w.h.svc.CreateAppCred(ctx, pt, identity.AppCredCreate{Name: w.next("victim-ac")})
			w.h.must(err)
			return call{method: "DELETE", path: "/v3/users/" + w.peer[d].ID + "/application_credentials/" + ac.ID}
		}})

	// ---- policies ----
	add(mcase{ops: []string{"keystone-list-policies"}, want: all("200"), req: func(w *world, p *persona, t string) call { return get("/v3/policies") }})
	policyID := func(w *world) string {
		ps, err := w.h.svc.ListPolicies(ctx)
		w.h.must(err)
		return ps[0].ID
	}
	add(mcase{ops: []string{"keystone-get-policy"}, want: all("200"), req: func(w *world, p *persona, t string) call { return get("/v3/policies/" + policyID(w)) }})
	newPolicy := func(w *world) string {
		pol, err := w.h.svc.CreatePolicy(ctx, identity.Policy{Name: w.next("pol"), Scope: "project", Roles: []string{"nobody"}, Rules: []string{"x/y/z"}, Enabled: true})
		w.h.must(err)
		return pol.ID
	}
	add(mcase{ops: []string{"keystone-create-policy"}, want: systemOnly("201"),
		req: func(w *world, p *persona, t string) call {
			return body("POST", "/v3/policies", `{"policy":{"name":`+q(w.next("np"))+`,"scope":"project","roles":["nobody"],"rules":["x/y/z"]}}`)
		}})
	add(mcase{ops: []string{"keystone-update-policy"}, want: systemOnly("200"),
		req: func(w *world, p *persona, t string) call {
			return body("PATCH", "/v3/policies/"+newPolicy(w), `{"policy":{"description":"x"}}`)
		}})
	add(mcase{ops: []string{"keystone-delete-policy"}, want: systemOnly("204"),
		req: func(w *world, p *persona, t string) call {
			return call{method: "DELETE", path: "/v3/policies/" + newPolicy(w)}
		}})

	// ---- tasks (/api/v2) ----
	taskOf := func(w *world, p *persona, t string) string {
		switch t {
		case "a":
			return w.taskA[p.home]
		case "b":
			return w.taskB[p.home]
		case "x":
			return w.taskA[p.other()]
		}
		return w.sysTask
	}
	add(mcase{ops: []string{"cloudpods-list-tasks"}, targets: []string{"", "system", "domain", "project"},
		want: W("200 200 200 403", "200 403 200 403", "200 403 403 200", "200 403 403 200", "200 403 403 200"),
		req: func(w *world, p *persona, t string) call {
			if t == "" {
				return get("/api/v2/tasks?limit=0")
			}
			return get("/api/v2/tasks?limit=0&scope=" + t)
		},
		check: func(t *testing.T, w *world, p *persona, tg string, r resp) {
			fixture := map[string]string{w.sysTask: "sys"}
			for d := 1; d <= 2; d++ {
				fixture[w.taskA[d]], fixture[w.taskB[d]] = fmt.Sprintf("d%da", d), fmt.Sprintf("d%db", d)
			}
			got := names(r, "tasks", "id", func(id string) bool { return fixture[id] != "" })
			for i := range got {
				got[i] = fixture[got[i]]
			}
			sort.Strings(got)
			h := fmt.Sprint(p.home)
			want := map[string][]string{
				"sys": {"sys", "d1a", "d1b", "d2a", "d2b"}, "adm": {"d" + h + "a", "d" + h + "b"},
				"padm": {"d" + h + "a"}, "mem": {"d" + h + "a"}, "rdr": {"d" + h + "a"},
			}[p.kind]
			if p.kind == "sys" && tg == "domain" { // the admin's own domain, Default, has no fixture task
				want = nil
			}
			expectSet(t, fmt.Sprintf("tasks of %s scope=%s", p.name, tg), got, want)
		}})
	taskRead := W("200 200 200 200", "200 200 404 404", "200 404 404 404", "200 404 404 404", "200 404 404 404")
	add(mcase{ops: []string{"cloudpods-get-task"}, targets: taskTargets, want: taskRead,
		req: func(w *world, p *persona, t string) call { return get("/api/v2/tasks/" + taskOf(w, p, t)) }})
	add(mcase{ops: []string{"cloudpods-task-logs"}, targets: taskTargets, want: taskRead,
		req: func(w *world, p *persona, t string) call { return get("/api/v2/tasks/" + taskOf(w, p, t) + "/logs") }})
	add(mcase{ops: []string{"cloudpods-cancel-task"}, targets: taskCancelTg,
		want: W("200 200 200", "200 200 404", "200 404 404", "200 404 404", "403 403 403"),
		req: func(w *world, p *persona, t string) call {
			pr := w.project(p, t)
			return call{method: "POST", path: "/api/v2/tasks/" + w.newTask(pr.DomainID, pr.ID) + "/cancel"}
		}})

	// ---- the audit log, last: every earlier mutation is in it ----
	add(mcase{ops: []string{"keystone-list-audit-events"}, want: all("200"),
		req: func(w *world, p *persona, t string) call { return get("/v3/audit_events?limit=1000") },
		check: func(t *testing.T, w *world, p *persona, _ string, r resp) {
			evs := r.list("audit_events")
			if len(evs) == 0 {
				t.Errorf("audit events of %s: none", p.name)
			}
			domains := map[string]bool{}
			for _, e := range evs {
				d, _ := e["domain_id"].(string)
				pj, _ := e["project_id"].(string)
				domains[d] = true
				switch p.kind {
				case "adm":
					if d != w.dom[p.home].ID {
						t.Errorf("%s sees an event of domain %q", p.name, d)
					}
				case "padm", "mem", "rdr":
					if pj != w.pa[p.home].ID {
						t.Errorf("%s sees an event of project %q", p.name, pj)
					}
				}
				for _, tok := range []string{p.token, userPW, adminPW} {
					if tok != "" && strings.Contains(fmt.Sprint(e), tok) {
						t.Errorf("an audit event holds a secret: %v", e)
					}
				}
			}
			if p.kind == "sys" && !(domains[w.dom[1].ID] && domains[w.dom[2].ID]) {
				t.Errorf("sys should see both domains' events: %v", domains)
			}
		}})
	return cs
}

func isProjectOf(w *world, projectID string, d int) bool {
	if projectID == "" {
		return false
	}
	p, err := w.h.svc.GetProject(context.Background(), projectID)
	return err == nil && p.DomainID == w.dom[d].ID
}

// clone makes a fresh user holding the persona's role where the persona
// holds it, and logs it in the same way.
func (w *world) clone(p *persona) *persona {
	ctx := context.Background()
	d := p.home
	domainID := w.dom[d].ID
	if p.kind == "sys" {
		domainID = "default"
	}
	u, err := w.h.svc.CreateUser(ctx, identity.UserCreate{DomainID: domainID, Name: w.next("clone"), Password: userPW, Enabled: true})
	w.h.must(err)
	switch p.kind {
	case "sys":
		w.grant("user", u.ID, "system", identity.SystemTarget, "admin", false)
	case "adm":
		w.grant("user", u.ID, "domain", domainID, "admin", false)
	case "padm":
		w.grant("user", u.ID, "project", w.pa[d].ID, "admin", false)
	case "mem":
		w.grant("user", u.ID, "project", w.pa[d].ID, "member", false)
	case "rdr":
		w.grant("user", u.ID, "project", w.pa[d].ID, "reader", false)
	}
	c := &persona{name: u.Name, kind: p.kind, home: d, user: u, scope: p.scope}
	c.token = w.tokenFor(u, p.scope)
	return c
}
