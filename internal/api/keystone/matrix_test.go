package keystone_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/skyfold/skyfold/internal/identity"
	"github.com/skyfold/skyfold/internal/store"
	"github.com/skyfold/skyfold/internal/store/storetest"
	"github.com/skyfold/skyfold/internal/task"
)

// The isolation matrix: two domains with two projects each; in each domain
// an admin of the domain (adm), an admin of project a (padm), a member of
// project a (mem) and a reader of project a (rdr); the bootstrap system
// admin (sys); and no token at all (anon). Every operation the server
// registers is called by every persona against objects of its own project
// (a), of the other project of its domain (b) and of the other domain (x) —
// or its own user, a peer in its domain and a peer in the other domain —
// and each answer, and what each list shows, is checked against the table.

type persona struct {
	name  string
	kind  string // sys adm padm mem rdr anon
	home  int    // 1 or 2
	user  *identity.User
	scope identity.ScopeRequest
	token string
}

type world struct {
	h        *harness
	dom      [3]*identity.Domain
	pa, pb   [3]*identity.Project
	peer     [3]*identity.User // member of project b
	grp      [3]*identity.Group
	sysGroup *identity.Group
	users    map[string]*identity.User // persona name → user
	taskA    [3]string
	taskB    [3]string
	sysTask  string
	peerAC   [3]string // an application credential of each peer
	sysUser  *identity.User
	seq      atomic.Int64
	personas []*persona
}

const userPW = "pw-matrix"

func (w *world) next(prefix string) string { return fmt.Sprintf("%s-%d", prefix, w.seq.Add(1)) }

func (w *world) newUser(d int) *identity.User {
	u, err := w.h.svc.CreateUser(context.Background(), identity.UserCreate{DomainID: w.dom[d].ID, Name: w.next("u"), Password: userPW, Enabled: true})
	w.h.must(err)
	return u
}

func (w *world) newGroup(d int) *identity.Group {
	g, err := w.h.svc.CreateGroup(context.Background(), identity.Group{DomainID: w.dom[d].ID, Name: w.next("g")})
	w.h.must(err)
	return g
}

func (w *world) newProject(d int) *identity.Project {
	p, err := w.h.svc.CreateProject(context.Background(), identity.Project{DomainID: w.dom[d].ID, Name: w.next("p"), Enabled: true})
	w.h.must(err)
	return p
}

func (w *world) grant(actorType, actorID, targetType, targetID, role string, inherited bool) {
	w.h.must(w.h.svc.GrantRole(context.Background(), identity.Assignment{ActorType: actorType, ActorID: actorID,
		TargetType: targetType, TargetID: targetID, RoleID: w.h.roleID(role), Inherited: inherited}))
}

func (w *world) tokenFor(u *identity.User, sc identity.ScopeRequest) string {
	_, raw, err := w.h.svc.Authenticate(context.Background(), identity.AuthRequest{Methods: []string{"password"},
		Password: &identity.PasswordAuth{UserID: u.ID, Password: userPW}, Scope: sc})
	w.h.must(err)
	return raw
}

func (w *world) peerToken(d int) string {
	return w.tokenFor(w.peer[d], identity.ScopeRequest{Kind: "project", ProjectID: w.pb[d].ID})
}

func (w *world) newTask(domainID, projectID string) string {
	t, err := w.h.tasks.Submit(context.Background(), task.Spec{Type: task.ProbeType, ObjectType: "system", DomainID: domainID,
		ProjectID: projectID, Params: task.ProbeParams{Stages: 1}})
	w.h.must(err)
	return t.ID
}

func newWorld(h *harness) *world {
	ctx := context.Background()
	w := &world{h: h, users: map[string]*identity.User{}}
	admin, err := h.svc.FindUser(ctx, "", "admin", "default")
	h.must(err)
	w.sysUser = admin
	for d := 1; d <= 2; d++ {
		dom, err := h.svc.CreateDomain(ctx, identity.Domain{Name: fmt.Sprintf("d%d", d), Enabled: true})
		h.must(err)
		w.dom[d] = dom
		w.pa[d], err = h.svc.CreateProject(ctx, identity.Project{DomainID: dom.ID, Name: fmt.Sprintf("d%da", d), Enabled: true})
		h.must(err)
		w.pb[d], err = h.svc.CreateProject(ctx, identity.Project{DomainID: dom.ID, Name: fmt.Sprintf("d%db", d), Enabled: true})
		h.must(err)
		mk := func(kind string) *identity.User {
			u, err := h.svc.CreateUser(ctx, identity.UserCreate{DomainID: dom.ID, Name: fmt.Sprintf("d%d-%s", d, kind), Password: userPW, Enabled: true})
			h.must(err)
			w.users[u.Name] = u
			return u
		}
		adm, padm, mem, rdr, peer := mk("adm"), mk("padm"), mk("mem"), mk("rdr"), mk("peer")
		w.peer[d] = peer
		w.grant("user", adm.ID, "domain", dom.ID, "admin", false)
		w.grant("user", padm.ID, "project", w.pa[d].ID, "admin", false)
		w.grant("user", mem.ID, "project", w.pa[d].ID, "member", false)
		w.grant("user", rdr.ID, "project", w.pa[d].ID, "reader", false)
		w.grant("user", peer.ID, "project", w.pb[d].ID, "member", false)
		w.grant("user", peer.ID, "domain", dom.ID, "reader", true)
		g, err := h.svc.CreateGroup(ctx, identity.Group{DomainID: dom.ID, Name: fmt.Sprintf("d%d-group", d)})
		h.must(err)
		w.grp[d] = g
		h.must(h.svc.AddMember(ctx, g.ID, peer.ID))
		w.grant("group", g.ID, "project", w.pa[d].ID, "member", false)
		w.grant("group", g.ID, "project", w.pb[d].ID, "member", false)
		w.grant("group", g.ID, "domain", dom.ID, "reader", false)
		w.grant("group", g.ID, "domain", dom.ID, "reader", true)
		w.taskA[d] = w.newTask(dom.ID, w.pa[d].ID)
		w.taskB[d] = w.newTask(dom.ID, w.pb[d].ID)
		peerTok, err := h.svc.Validate(w.peerToken(d))
		h.must(err)
		ac, _, err := h.svc.CreateAppCred(ctx, peerTok, identity.AppCredCreate{Name: "fixture"})
		h.must(err)
		w.peerAC[d] = ac.ID
		w.personas = append(w.personas,
			&persona{name: adm.Name, kind: "adm", home: d, user: adm, scope: identity.ScopeRequest{Kind: "domain", DomainID: dom.ID}},
			&persona{name: padm.Name, kind: "padm", home: d, user: padm, scope: identity.ScopeRequest{Kind: "project", ProjectID: w.pa[d].ID}},
			&persona{name: mem.Name, kind: "mem", home: d, user: mem, scope: identity.ScopeRequest{Kind: "project", ProjectID: w.pa[d].ID}},
			&persona{name: rdr.Name, kind: "rdr", home: d, user: rdr, scope: identity.ScopeRequest{Kind: "project", ProjectID: w.pa[d].ID}},
		)
	}
	var err2 error
	w.sysGroup, err2 = h.svc.CreateGroup(ctx, identity.Group{DomainID: "default", Name: "auditors"})
	h.must(err2)
	w.grant("group", w.sysGroup.ID, "system", identity.SystemTarget, "reader", false)
	w.sysTask = w.newTask("", "")
	for _, p := range w.personas {
		p.token = w.tokenFor(p.user, p.scope)
	}
	sys := &persona{name: "sys", kind: "sys", home: 1, user: admin, scope: identity.ScopeRequest{Kind: "system"}}
	_, sys.token, err = h.svc.Authenticate(ctx, identity.AuthRequest{Methods: []string{"password"},
		Password: &identity.PasswordAuth{UserID: admin.ID, Password: adminPW}, Scope: sys.scope})
	h.must(err)
	w.personas = append([]*persona{sys}, w.personas...)
	w.personas = append(w.personas, &persona{name: "anon", kind: "anon", home: 1})
	return w
}

func (p *persona) other() int { return 3 - p.home }

// ownToken is a second token of the persona (so revoking it leaves the one
// it calls with alone).
func (w *world) ownToken(p *persona) string {
	if p.kind == "sys" {
		_, raw, err := w.h.svc.Authenticate(context.Background(), identity.AuthRequest{Methods: []string{"password"},
			Password: &identity.PasswordAuth{UserID: p.user.ID, Password: adminPW}, Scope: p.scope})
		w.h.must(err)
		return raw
	}
	if p.kind == "anon" {
		return w.peerToken(1)
	}
	return w.tokenFor(p.user, p.scope)
}

func (w *world) project(p *persona, t string) *identity.Project {
	switch t {
	case "a":
		return w.pa[p.home]
	case "b":
		return w.pb[p.home]
	}
	return w.pa[p.other()]
}

func (w *world) domainIdx(p *persona, t string) int {
	if t == "home" || t == "a" || t == "b" {
		return p.home
	}
	return p.other()
}

func (w *world) user(p *persona, t string) *identity.User {
	switch t {
	case "self":
		if p.user == nil {
			return w.peer[1]
		}
		return p.user
	case "peer":
		return w.peer[p.home]
	}
	return w.peer[p.other()]
}

type call struct {
	method, path, body string
	hdr                map[string]string
}

type mcase struct {
	ops     []string
	targets []string
	want    map[string]string // persona kind → one status per target; "anon" defaults to 401s
	req     func(w *world, p *persona, t string) call
	check   func(t *testing.T, w *world, p *persona, target string, r resp)
}

// W is the table row: sys, adm, padm, mem, rdr.
func W(sys, adm, padm, mem, rdr string) map[string]string {
	return map[string]string{"sys": sys, "adm": adm, "padm": padm, "mem": mem, "rdr": rdr}
}

func all(s string) map[string]string { return W(s, s, s, s, s) }

func get(path string) call { return call{method: "GET", path: path} }

// names returns the values of key in a list, restricted to the fixture's
// names (objects made by other cases are ignored).
func names(r resp, list, key string, keep func(string) bool) []string {
	var out []string
	for _, m := range r.list(list) {
		if s, _ := m[key].(string); keep(s) {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

func expectSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s: sees %v, want %v", what, got, want)
	}
}

func fixtureName(s string) bool {
	return s == "system" || s == "Default" || s == "auditors" || (len(s) >= 2 && s[0] == 'd' && (s[1] == '1' || s[1] == '2'))
}

func TestIsolationMatrix(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := newHarness(t, st)
		w := newWorld(h)
		covered := map[string]bool{}
		for _, c := range w.casesList() {
			for _, op := range c.ops {
				covered[op] = true
			}
			targets := c.targets
			if targets == nil {
				targets = []string{""}
			}
			for _, p := range w.personas {
				want, ok := c.want[p.kind]
				if !ok && p.kind == "anon" {
					want = strings.TrimSpace(strings.Repeat("401 ", len(targets)))
					ok = true
				}
				if !ok {
					t.Fatalf("%v: no expectation for %s", c.ops, p.kind)
				}
				codes := strings.Fields(want)
				if len(codes) != len(targets) {
					t.Fatalf("%v: %s expects %d codes, has %d targets", c.ops, p.kind, len(codes), len(targets))
				}
				for i, tg := range targets {
					cl := c.req(w, p, tg)
					hdr := map[string]string{}
					for k, v := range cl.hdr {
						hdr[k] = v
					}
					r := h.doH(cl.method, cl.path, p.token, cl.body, hdr)
					if fmt.Sprint(r.status) != codes[i] {
						t.Errorf("%s %s %s as %s (target %s): got %d, want %s: %s", c.ops[0], cl.method, cl.path, p.name, tg, r.status, codes[i], r.raw)
						continue
					}
					if r.status == 401 || r.status == 403 {
						// Denials speak the face's envelope.
						if strings.HasPrefix(cl.path, "/v3") {
							if e, _ := r.body["error"].(map[string]any); e == nil || e["code"] != float64(r.status) {
								t.Errorf("%s as %s: not a Keystone error: %s", c.ops[0], p.name, r.raw)
							}
						} else if e, _ := r.body["error"].(map[string]any); e == nil || e["class"] == nil {
							t.Errorf("%s as %s: not a Cloudpods error: %s", c.ops[0], p.name, r.raw)
						}
					}
					if c.check != nil && r.status < 300 {
						c.check(t, w, p, tg, r)
					}
				}
			}
		}
		// Every operation the server registers is in the matrix.
		for path, item := range h.srv.API.OpenAPI().Paths {
			ops := []struct {
				method string
				id     string
			}{}
			if item.Get != nil {
				ops = append(ops, struct{ method, id string }{"GET", item.Get.OperationID})
			}
			if item.Post != nil {
				ops = append(ops, struct{ method, id string }{"POST", item.Post.OperationID})
			}
			if item.Put != nil {
				ops = append(ops, struct{ method, id string }{"PUT", item.Put.OperationID})
			}
			if item.Patch != nil {
				ops = append(ops, struct{ method, id string }{"PATCH", item.Patch.OperationID})
			}
			if item.Delete != nil {
				ops = append(ops, struct{ method, id string }{"DELETE", item.Delete.OperationID})
			}
			if item.Head != nil {
				ops = append(ops, struct{ method, id string }{"HEAD", item.Head.OperationID})
			}
			for _, o := range ops {
				if !covered[o.id] {
					t.Errorf("operation %s (%s %s) is not in the isolation matrix", o.id, o.method, path)
				}
			}
		}
	})
}
