package identity_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/identity"
	"github.com/skyfold/skyfold/internal/secret"
	"github.com/skyfold/skyfold/internal/store"
	"github.com/skyfold/skyfold/internal/store/storetest"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now().UTC()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var testBox = func() *secret.Box {
	b, err := secret.NewBox(secret.GenerateKey())
	if err != nil {
		panic(err)
	}
	return b
}()

type fixture struct {
	svc   *identity.Service
	st    *store.Store
	clock *clock
	admin string // admin user id
	sysPj string // admin project id
}

const adminPW = "correct horse battery staple"

func newFixture(t *testing.T, st *store.Store, mod ...func(*identity.Config)) *fixture {
	t.Helper()
	c := newClock()
	cfg := identity.Config{KDF: identity.TestKDF, Now: c.Now, LockoutFailures: 3, LockoutDuration: 10 * time.Minute}
	for _, m := range mod {
		m(&cfg)
	}
	svc := identity.New(st.DB, testBox, cfg)
	res, err := svc.Bootstrap(context.Background(), identity.BootstrapOptions{AdminPassword: adminPW})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: svc, st: st, clock: c, admin: res.AdminUserID, sysPj: res.AdminProjectID}
}

func pw(name, domain, password string) identity.AuthRequest {
	return identity.AuthRequest{Methods: []string{"password"},
		Password: &identity.PasswordAuth{UserName: name, DomainID: domain, Password: password}}
}

func (f *fixture) login(t *testing.T, req identity.AuthRequest) (*identity.Token, string) {
	t.Helper()
	tok, raw, err := f.svc.Authenticate(context.Background(), req)
	if err != nil {
		t.Fatalf("authenticate: %v", err)
	}
	return tok, raw
}

func (f *fixture) role(t *testing.T, name string) string {
	t.Helper()
	r, err := f.svc.FindRole(context.Background(), "", name)
	if err != nil {
		t.Fatal(err)
	}
	return r.ID
}

// world adds a domain with a project and a user holding role on it.
func (f *fixture) world(t *testing.T, domain, project, user, role string) (*identity.Domain, *identity.Project, *identity.User) {
	t.Helper()
	ctx := context.Background()
	d, err := f.svc.CreateDomain(ctx, identity.Domain{Name: domain, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.svc.CreateProject(ctx, identity.Project{DomainID: d.ID, Name: project, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	u, err := f.svc.CreateUser(ctx, identity.UserCreate{DomainID: d.ID, Name: user, Password: "pw-" + user, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if role != "" {
		if err := f.svc.GrantRole(ctx, identity.Assignment{ActorType: identity.ActorUser, ActorID: u.ID,
			TargetType: identity.TargetProject, TargetID: p.ID, RoleID: f.role(t, role)}); err != nil {
			t.Fatal(err)
		}
	}
	return d, p, u
}

func TestBootstrapIsIdempotentAndPrintsGeneratedPasswordOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		var console bytes.Buffer
		var wg sync.WaitGroup
		results := make([]identity.BootstrapResult, 3)
		errsOut := make([]error, 3)
		// Three "processes" start at once on one database.
		for i := range results {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				svc := identity.New(st.DB, testBox, identity.Config{KDF: identity.TestKDF})
				var buf bytes.Buffer
				results[i], errsOut[i] = svc.Bootstrap(ctx, identity.BootstrapOptions{Console: &buf})
				if results[i].AdminCreated {
					console.Write(buf.Bytes())
				}
			}(i)
		}
		wg.Wait()
		created := 0
		for i, r := range results {
			if errsOut[i] != nil {
				t.Fatalf("bootstrap %d: %v", i, errsOut[i])
			}
			if r.AdminCreated {
				created++
				if !r.PasswordGenerated {
					t.Fatal("no password was given, one must be generated")
				}
			}
		}
		if created != 1 {
			t.Fatalf("admin created %d times", created)
		}
		out := console.String()
		if !strings.Contains(out, "shown only this once") {
			t.Fatalf("console: %q", out)
		}
		// The printed password works.
		lines := strings.Split(out, "\n")
		var password string
		for i, l := range lines {
			if strings.Contains(l, "with this password") && i+2 < len(lines) {
				password = strings.TrimSpace(lines[i+2])
			}
		}
		svc := identity.New(st.DB, testBox, identity.Config{KDF: identity.TestKDF})
		var again bytes.Buffer
		r, err := svc.Bootstrap(ctx, identity.BootstrapOptions{Console: &again})
		if err != nil || r.AdminCreated || again.Len() != 0 {
			t.Fatalf("second start: %+v %v %q", r, err, again.String())
		}
		tok, _, err := svc.Authenticate(ctx, identity.AuthRequest{Methods: []string{"password"},
			Password: &identity.PasswordAuth{UserName: "admin", DomainName: "Default", Password: password},
			Scope:    identity.ScopeRequest{Kind: identity.ScopeSystem}})
		if err != nil {
			t.Fatalf("login with the printed password: %v", err)
		}
		if !tok.HasRole("admin") || tok.Breadth() != identity.BreadthSystem {
			t.Fatalf("token %+v", tok)
		}
		// Admin also holds admin on project system, which acts on the system.
		tok, _, err = svc.Authenticate(ctx, identity.AuthRequest{Methods: []string{"password"},
			Password: &identity.PasswordAuth{UserName: "admin", DomainID: "default", Password: password}})
		if err != nil || tok.Scope != identity.ScopeProject || !tok.AdminProject || tok.Breadth() != identity.BreadthSystem {
			t.Fatalf("default project token %+v %v", tok, err)
		}
		roles, _ := svc.ListRoles(ctx, "")
		if len(roles) != 3 {
			t.Fatalf("roles %+v", roles)
		}
		ps, _ := svc.ListPolicies(ctx)
		if len(ps) != 3 {
			t.Fatalf("policies %+v", ps)
		}
	})
}

func TestAuthenticateScopes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		d, p, u := f.world(t, "acme", "web", "alice", "member")
		other, err := f.svc.CreateProject(ctx, identity.Project{DomainID: d.ID, Name: "db", Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		base := pw("alice", d.ID, "pw-alice")

		tok, _ := f.login(t, base)
		if tok.Scope != identity.ScopeNone || len(tok.Roles) != 0 {
			t.Fatalf("no scope asked, no default project: unscoped, got %+v", tok)
		}
		req := base
		req.Scope = identity.ScopeRequest{Kind: identity.ScopeProject, ProjectID: p.ID}
		tok, raw := f.login(t, req)
		if tok.ProjectID != p.ID || tok.DomainID != d.ID || !tok.HasRole("member") || tok.Breadth() != identity.BreadthProject {
			t.Fatalf("project by id: %+v", tok)
		}
		got, err := f.svc.Validate(raw)
		if err != nil || got.ProjectID != p.ID || got.UserName != "alice" || !got.IssuedAt.Equal(tok.IssuedAt) {
			t.Fatalf("validate: %+v %v", got, err)
		}
		req.Scope = identity.ScopeRequest{Kind: identity.ScopeProject, ProjectName: "web", ProjectDomainName: "acme"}
		if tok, _ = f.login(t, req); tok.ProjectID != p.ID {
			t.Fatalf("project by name: %+v", tok)
		}
		// No role on project db, on the domain, or on the system: 401.
		for _, sc := range []identity.ScopeRequest{
			{Kind: identity.ScopeProject, ProjectID: other.ID},
			{Kind: identity.ScopeProject, ProjectID: "nope"},
			{Kind: identity.ScopeDomain, DomainID: d.ID},
			{Kind: identity.ScopeSystem},
		} {
			req.Scope = sc
			if _, _, err := f.svc.Authenticate(ctx, req); !errs.Is(err, errs.Unauthorized) {
				t.Fatalf("scope %+v: want 401, got %v", sc, err)
			}
		}
		// A domain role allows a domain-scoped token; an inherited one
		// reaches every project of the domain.
		if err := f.svc.GrantRole(ctx, identity.Assignment{ActorType: identity.ActorUser, ActorID: u.ID,
			TargetType: identity.TargetDomain, TargetID: d.ID, RoleID: f.role(t, "reader"), Inherited: true}); err != nil {
			t.Fatal(err)
		}
		req.Scope = identity.ScopeRequest{Kind: identity.ScopeProject, ProjectID: other.ID}
		if tok, _ = f.login(t, req); tok.ProjectID != other.ID || !tok.HasRole("reader") || tok.HasRole("member") {
			t.Fatalf("inherited: %+v", tok)
		}
		req.Scope = identity.ScopeRequest{Kind: identity.ScopeDomain, DomainName: "acme"}
		if _, _, err := f.svc.Authenticate(ctx, req); !errs.Is(err, errs.Unauthorized) {
			t.Fatalf("an inherited assignment does not apply to the domain itself: %v", err)
		}
		// Group roles count.
		g, err := f.svc.CreateGroup(ctx, identity.Group{DomainID: d.ID, Name: "ops"})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.AddMember(ctx, g.ID, u.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.GrantRole(ctx, identity.Assignment{ActorType: identity.ActorGroup, ActorID: g.ID,
			TargetType: identity.TargetDomain, TargetID: d.ID, RoleID: f.role(t, "admin")}); err != nil {
			t.Fatal(err)
		}
		if tok, _ = f.login(t, req); tok.Scope != identity.ScopeDomain || !tok.HasRole("admin") {
			t.Fatalf("group domain role: %+v", tok)
		}
		// Default project: used when no scope is asked.
		pid := p.ID
		if _, err := f.svc.UpdateUser(ctx, u.ID, identity.UserPatch{DefaultProjectID: &pid}); err != nil {
			t.Fatal(err)
		}
		if tok, _ = f.login(t, base); tok.ProjectID != p.ID {
			t.Fatalf("default project: %+v", tok)
		}
		req = base
		req.Scope.Unscoped = true
		if tok, _ = f.login(t, req); tok.Scope != identity.ScopeNone {
			t.Fatalf("explicit unscoped: %+v", tok)
		}
		// Rescope with the token method: same expiry, same user.
		_, raw = f.login(t, base)
		f.clock.Add(time.Minute)
		req = identity.AuthRequest{Methods: []string{"token"}, Token: &identity.TokenAuth{Token: raw},
			Scope: identity.ScopeRequest{Kind: identity.ScopeProject, ProjectID: other.ID}}
		first, _ := f.svc.Validate(raw)
		tok, _ = f.login(t, req)
		if tok.ProjectID != other.ID || !tok.ExpiresAt.Equal(first.ExpiresAt) || tok.AuditChainID != first.ID {
			t.Fatalf("rescope: %+v", tok)
		}
	})
}

// TestFailuresLookTheSame: wrong password, unknown user, disabled user,
// locked user and disabled domain give one identical error.
func TestFailuresLookTheSame(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		d, _, u := f.world(t, "acme", "web", "alice", "member")
		_, _, _ = f.world(t, "other", "x", "bob", "member")
		off := false
		if _, err := f.svc.UpdateUser(ctx, u.ID, identity.UserPatch{Enabled: &off}); err != nil {
			t.Fatal(err)
		}
		od, _ := f.svc.FindDomain(ctx, "", "other")
		if _, err := f.svc.UpdateDomain(ctx, od.ID, identity.DomainPatch{Enabled: &off}); err != nil {
			t.Fatal(err)
		}
		var msgs []string
		for _, req := range []identity.AuthRequest{
			pw("admin", "default", "wrong"),
			pw("nobody", "default", "x"),
			pw("alice", d.ID, "pw-alice"), // disabled
			pw("bob", od.ID, "pw-bob"),    // domain disabled
			pw("admin", "nodomain", adminPW),
		} {
			_, _, err := f.svc.Authenticate(ctx, req)
			if !errs.Is(err, errs.Unauthorized) {
				t.Fatalf("%+v: %v", req.Password, err)
			}
			msgs = append(msgs, err.Error())
		}
		for _, m := range msgs[1:] {
			if m != msgs[0] {
				t.Fatalf("errors differ: %q vs %q", m, msgs[0])
			}
		}
	})
}

func TestLockout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st) // 3 failures lock for 10 minutes
		d, p, _ := f.world(t, "acme", "web", "alice", "member")
		good := pw("alice", d.ID, "pw-alice")
		good.Scope = identity.ScopeRequest{Kind: identity.ScopeProject, ProjectID: p.ID}
		bad := pw("alice", d.ID, "nope")

		// Two failures, then a success: the count resets.
		for i := 0; i < 2; i++ {
			if _, _, err := f.svc.Authenticate(ctx, bad); !errs.Is(err, errs.Unauthorized) {
				t.Fatal(err)
			}
		}
		f.login(t, good)
		for i := 0; i < 2; i++ {
			_, _, _ = f.svc.Authenticate(ctx, bad)
		}
		f.login(t, good) // still 2 < 3 after the reset
		for i := 0; i < 3; i++ {
			_, _, _ = f.svc.Authenticate(ctx, bad)
		}
		_, _, lockedErr := f.svc.Authenticate(ctx, good)
		if !errs.Is(lockedErr, errs.Unauthorized) {
			t.Fatalf("locked user must fail with the right password: %v", lockedErr)
		}
		_, _, badErr := f.svc.Authenticate(ctx, bad)
		if lockedErr.Error() != badErr.Error() {
			t.Fatalf("lockout must not be told apart: %q vs %q", lockedErr, badErr)
		}
		f.clock.Add(9 * time.Minute)
		if _, _, err := f.svc.Authenticate(ctx, good); err == nil {
			t.Fatal("still locked after 9 minutes")
		}
		f.clock.Add(2 * time.Minute)
		f.login(t, good)
		// An admin can unlock at once.
		for i := 0; i < 3; i++ {
			_, _, _ = f.svc.Authenticate(ctx, bad)
		}
		u, _ := f.svc.FindUser(ctx, "", "alice", d.ID)
		if err := f.svc.Unlock(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		f.login(t, good)
	})
}

func TestRevocation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st, func(c *identity.Config) { c.RefreshInterval = 50 * time.Millisecond })
		d, p, u := f.world(t, "acme", "web", "alice", "member")
		login := pw("alice", d.ID, "pw-alice")
		login.Scope = identity.ScopeRequest{Kind: identity.ScopeProject, ProjectID: p.ID}

		// A second process on the same database.
		other := identity.New(st.DB, testBox, identity.Config{KDF: identity.TestKDF, Now: f.clock.Now, RefreshInterval: 50 * time.Millisecond})
		if err := other.Load(ctx); err != nil {
			t.Fatal(err)
		}
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); other.Run(runCtx) }()
		defer func() { stop(); <-done }()

		tok, raw := f.login(t, login)
		_, raw2 := f.login(t, login)
		if _, err := other.Validate(raw); err != nil {
			t.Fatalf("the other process validates: %v", err)
		}
		if err := f.svc.RevokeToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Validate(raw); !errs.Is(err, errs.Unauthorized) {
			t.Fatalf("revoked token still valid here: %v", err)
		}
		if _, err := f.svc.Validate(raw2); err != nil {
			t.Fatalf("another token of the same user must stay valid: %v", err)
		}
		// The other process sees the revocation within its refresh interval.
		deadline := time.Now().Add(5 * time.Second)
		for {
			if _, err := other.Validate(raw); err != nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the other process never saw the revocation")
			}
			time.Sleep(10 * time.Millisecond)
		}
		// Rescoped tokens die with their parent.
		_, parent := f.login(t, login)
		child, childRaw := f.login(t, identity.AuthRequest{Methods: []string{"token"}, Token: &identity.TokenAuth{Token: parent}})
		pt, _ := f.svc.Validate(parent)
		if err := f.svc.RevokeToken(ctx, pt); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Validate(childRaw); err == nil {
			t.Fatalf("child %s of a revoked token must be revoked", child.ID)
		}

		// A password change, a role removal, disabling the project or the
		// domain each revoke the tokens they affect.
		cases := []struct {
			name string
			do   func()
		}{
			{"password", func() {
				np := "pw-alice"
				if _, err := f.svc.UpdateUser(ctx, u.ID, identity.UserPatch{Password: &np}); err != nil {
					t.Fatal(err)
				}
			}},
			{"role", func() {
				a := identity.Assignment{ActorType: identity.ActorUser, ActorID: u.ID, TargetType: identity.TargetProject, TargetID: p.ID, RoleID: f.role(t, "member")}
				if err := f.svc.RevokeRole(ctx, a); err != nil {
					t.Fatal(err)
				}
				if err := f.svc.GrantRole(ctx, a); err != nil {
					t.Fatal(err)
				}
			}},
			{"project", func() {
				off, on := false, true
				if _, err := f.svc.UpdateProject(ctx, p.ID, identity.ProjectPatch{Enabled: &off}); err != nil {
					t.Fatal(err)
				}
				if _, err := f.svc.UpdateProject(ctx, p.ID, identity.ProjectPatch{Enabled: &on}); err != nil {
					t.Fatal(err)
				}
			}},
			{"domain", func() {
				off, on := false, true
				if _, err := f.svc.UpdateDomain(ctx, d.ID, identity.DomainPatch{Enabled: &off}); err != nil {
					t.Fatal(err)
				}
				if _, err := f.svc.UpdateDomain(ctx, d.ID, identity.DomainPatch{Enabled: &on}); err != nil {
					t.Fatal(err)
				}
			}},
		}
		for _, c := range cases {
			f.clock.Add(time.Millisecond)
			_, raw := f.login(t, login)
			f.clock.Add(time.Millisecond)
			c.do()
			if _, err := f.svc.Validate(raw); err == nil {
				t.Fatalf("%s: token still valid", c.name)
			}
			f.clock.Add(time.Millisecond)
			_, fresh := f.login(t, login)
			if _, err := f.svc.Validate(fresh); err != nil {
				t.Fatalf("%s: a token issued afterwards must be valid: %v", c.name, err)
			}
		}
	})
}

func TestExpiry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, func(c *identity.Config) { c.TokenTTL = time.Hour })
		req := pw("admin", "default", adminPW)
		tok, raw := f.login(t, req)
		if d := tok.ExpiresAt.Sub(tok.IssuedAt); d > time.Hour || d < time.Hour-time.Second {
			t.Fatalf("ttl %s", d)
		}
		f.clock.Add(59 * time.Minute)
		if _, err := f.svc.Validate(raw); err != nil {
			t.Fatalf("valid before expiry: %v", err)
		}
		f.clock.Add(2 * time.Minute)
		if _, err := f.svc.Validate(raw); !errs.Is(err, errs.Unauthorized) {
			t.Fatalf("expired token: %v", err)
		}
		// An expired token cannot be rescoped either.
		_, _, err := f.svc.Authenticate(context.Background(), identity.AuthRequest{Methods: []string{"token"}, Token: &identity.TokenAuth{Token: raw}})
		if !errs.Is(err, errs.Unauthorized) {
			t.Fatalf("rescope expired: %v", err)
		}
	})
}

func TestTokensFromAnotherKeyAreRejected(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		_, raw := f.login(t, pw("admin", "default", adminPW))
		// Another deployment (another database, so another signing key).
		st2 := storetest.Open(t, st.Kind)
		g := newFixture(t, st2)
		if _, err := g.svc.Validate(raw); err == nil {
			t.Fatal("a token signed by another deployment validated")
		}
		// Tampering with the payload breaks the signature.
		parts := strings.Split(raw, ".")
		tampered := parts[0] + "." + parts[1][:len(parts[1])-2] + "AA." + parts[2]
		if _, err := f.svc.Validate(tampered); err == nil {
			t.Fatal("tampered token validated")
		}
		for _, bad := range []string{"", "x", "a.b.c", raw + "x", strings.Repeat("a", identity.MaxTokenLength+1)} {
			if _, err := f.svc.Validate(bad); err == nil {
				t.Fatalf("%q validated", bad)
			}
		}
	})
}

func TestAppCredentials(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		d, p, u := f.world(t, "acme", "web", "alice", "member")
		if err := f.svc.GrantRole(ctx, identity.Assignment{ActorType: identity.ActorUser, ActorID: u.ID,
			TargetType: identity.TargetProject, TargetID: p.ID, RoleID: f.role(t, "reader")}); err != nil {
			t.Fatal(err)
		}
		req := pw("alice", d.ID, "pw-alice")
		req.Scope = identity.ScopeRequest{Kind: identity.ScopeProject, ProjectID: p.ID}
		tok, _ := f.login(t, req)
		ac, secretText, err := f.svc.CreateAppCred(ctx, tok, identity.AppCredCreate{Name: "ci", Roles: []identity.RoleRef{{Name: "reader"}}})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(ac.SecretHash, secretText) || !strings.HasPrefix(ac.SecretHash, "$argon2id$") {
			t.Fatal("secret must be stored hashed")
		}
		byID := identity.AuthRequest{Methods: []string{"application_credential"}, AppCred: &identity.AppCredAuth{ID: ac.ID, Secret: secretText}}
		at, _ := f.login(t, byID)
		if at.ProjectID != p.ID || at.HasRole("member") || !at.HasRole("reader") || at.AppCredID != ac.ID || !at.Restricted {
			t.Fatalf("app cred token %+v", at)
		}
		byName := identity.AuthRequest{Methods: []string{"application_credential"},
			AppCred: &identity.AppCredAuth{Name: "ci", UserName: "alice", DomainID: d.ID, Secret: secretText}}
		f.login(t, byName)
		if _, _, err := f.svc.CreateAppCred(ctx, at, identity.AppCredCreate{Name: "nested"}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("restricted credential created another: %v", err)
		}
		bad := byID
		bad.AppCred = &identity.AppCredAuth{ID: ac.ID, Secret: "wrong"}
		if _, _, err := f.svc.Authenticate(ctx, bad); !errs.Is(err, errs.Unauthorized) {
			t.Fatal(err)
		}
		_, raw := f.login(t, byID)
		if err := f.svc.DeleteAppCred(ctx, u.ID, ac.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Validate(raw); err == nil {
			t.Fatal("tokens of a deleted application credential must be revoked")
		}
		if _, _, err := f.svc.Authenticate(ctx, byID); !errs.Is(err, errs.Unauthorized) {
			t.Fatal(err)
		}
	})
}

func TestConflictsAndValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		d, _, _ := f.world(t, "acme", "web", "alice", "")
		if _, err := f.svc.CreateProject(ctx, identity.Project{DomainID: d.ID, Name: "web", Enabled: true}); !errs.Is(err, errs.Conflict) {
			t.Fatalf("duplicate project: %v", err)
		}
		if _, err := f.svc.CreateUser(ctx, identity.UserCreate{DomainID: d.ID, Name: "alice"}); !errs.Is(err, errs.Conflict) {
			t.Fatalf("duplicate user: %v", err)
		}
		// The same name in another domain is fine.
		if _, err := f.svc.CreateProject(ctx, identity.Project{DomainID: "default", Name: "web", Enabled: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.CreateDomain(ctx, identity.Domain{Name: "acme"}); !errs.Is(err, errs.Conflict) {
			t.Fatalf("duplicate domain: %v", err)
		}
		if _, err := f.svc.CreateProject(ctx, identity.Project{DomainID: d.ID, Name: " "}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("blank name: %v", err)
		}
		if err := f.svc.DeleteDomain(ctx, d.ID); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("deleting an enabled domain: %v", err)
		}
		if err := f.svc.DeleteDomain(ctx, "default"); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("deleting the default domain: %v", err)
		}
		if err := f.svc.DeleteProject(ctx, f.sysPj); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("deleting the admin project: %v", err)
		}
		off := false
		if _, err := f.svc.UpdateDomain(ctx, d.ID, identity.DomainPatch{Enabled: &off}); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.DeleteDomain(ctx, d.ID); err != nil {
			t.Fatal(err)
		}
		if ps, _ := f.svc.ListProjects(ctx, identity.ProjectFilter{DomainID: d.ID}); len(ps) != 0 {
			t.Fatalf("projects of a deleted domain: %+v", ps)
		}
		admin, _ := f.svc.FindRole(ctx, "", "admin")
		if err := f.svc.DeleteRole(ctx, admin.ID); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("deleting a built-in role: %v", err)
		}
	})
}

func TestEffectiveAssignments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		d, p, u := f.world(t, "acme", "web", "alice", "")
		p2, _ := f.svc.CreateProject(ctx, identity.Project{DomainID: d.ID, Name: "db", Enabled: true})
		g, _ := f.svc.CreateGroup(ctx, identity.Group{DomainID: d.ID, Name: "ops"})
		_ = f.svc.AddMember(ctx, g.ID, u.ID)
		reader := f.role(t, "reader")
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(f.svc.GrantRole(ctx, identity.Assignment{ActorType: "group", ActorID: g.ID, TargetType: "domain", TargetID: d.ID, RoleID: reader, Inherited: true}))
		must(f.svc.GrantRole(ctx, identity.Assignment{ActorType: "user", ActorID: u.ID, TargetType: "project", TargetID: p.ID, RoleID: f.role(t, "member")}))
		all := identity.Grant{Breadth: identity.BreadthSystem}
		raw, err := f.svc.ListAssignments(ctx, identity.AssignmentFilter{UserID: u.ID}, all)
		must(err)
		if len(raw) != 1 {
			t.Fatalf("direct: %+v", raw)
		}
		eff, err := f.svc.ListAssignments(ctx, identity.AssignmentFilter{UserID: u.ID, Effective: true}, all)
		must(err)
		// member on web, reader on web and db through the group's inherited role.
		if len(eff) != 3 {
			t.Fatalf("effective: %+v", eff)
		}
		eff, _ = f.svc.ListAssignments(ctx, identity.AssignmentFilter{ProjectID: p2.ID, Effective: true}, all)
		if len(eff) != 1 || eff[0].ActorID != u.ID || eff[0].ViaGroupID != g.ID || eff[0].ViaDomainID != d.ID {
			t.Fatalf("effective on db: %+v", eff)
		}
		// Visibility: a project grant sees only its project's assignments.
		vis := identity.Grant{Breadth: identity.BreadthProject, DomainID: d.ID, ProjectID: p2.ID}
		eff, _ = f.svc.ListAssignments(ctx, identity.AssignmentFilter{Effective: true}, vis)
		for _, a := range eff {
			if a.TargetID != p2.ID {
				t.Fatalf("outside the grant: %+v", a)
			}
		}
		ps, err := f.svc.ProjectsOfUser(ctx, u.ID)
		must(err)
		if len(ps) != 2 {
			t.Fatalf("projects of user: %+v", ps)
		}
	})
}
