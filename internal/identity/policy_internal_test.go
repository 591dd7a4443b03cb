package identity

import (
	"context"
	"strings"
	"testing"
	"time"
)

func tokenWith(scope string, roles ...string) *Token {
	t := &Token{ID: "t", UserID: "u", UserDomainID: "dU", Scope: scope}
	switch scope {
	case ScopeProject:
		t.ProjectID, t.DomainID = "p1", "d1"
	case ScopeDomain:
		t.DomainID = "d1"
	}
	for _, r := range roles {
		t.Roles = append(t.Roles, RoleRef{ID: r + "-id", Name: r})
	}
	return t
}

func TestDefaultPolicies(t *testing.T) {
	set := newPolicySet(DefaultPolicies())
	sys := Grant{Breadth: BreadthSystem}
	dom := Grant{Breadth: BreadthDomain, DomainID: "d1"}
	prj := Grant{Breadth: BreadthProject, DomainID: "d1", ProjectID: "p1"}
	none := Grant{}
	admProject := tokenWith(ScopeProject, "admin")
	admProject.AdminProject = true
	cases := []struct {
		tok    *Token
		action string
		want   Grant
	}{
		{tokenWith(ScopeSystem, "admin"), "identity/users/create", sys},
		{tokenWith(ScopeDomain, "admin"), "identity/users/create", dom},
		{tokenWith(ScopeProject, "admin"), "identity/users/create", prj},
		{admProject, "identity/domains/create", sys},
		{tokenWith(ScopeProject, "member"), "compute/servers/create", prj},
		{tokenWith(ScopeProject, "member"), "identity/projects/list", prj},
		{tokenWith(ScopeProject, "member"), "identity/projects/update", none},
		{tokenWith(ScopeProject, "member"), "identity/grants/create", none},
		{tokenWith(ScopeProject, "member"), "identity/application_credentials/create", prj},
		{tokenWith(ScopeProject, "reader"), "compute/servers/list", prj},
		{tokenWith(ScopeProject, "reader"), "compute/servers/get", prj},
		{tokenWith(ScopeProject, "reader"), "compute/servers/delete", none},
		{tokenWith(ScopeProject, "reader"), "compute/tasks/cancel", none},
		{tokenWith(ScopeSystem, "reader"), "finops/budgets/list", sys},
		{tokenWith(ScopeNone), "compute/servers/list", none},
		{tokenWith(ScopeProject, "auditor"), "compute/servers/list", none},
		{tokenWith(ScopeProject, "reader", "member"), "compute/servers/delete", prj},
	}
	for _, c := range cases {
		a, err := SplitAction(c.action)
		if err != nil {
			t.Fatal(err)
		}
		g, ok := set.authorize(c.tok, a)
		if g != c.want || ok != (c.want.Breadth != BreadthNone) {
			t.Errorf("%s %v %s: got %+v %v, want %+v", c.tok.Scope, c.tok.RoleNames(), c.action, g, ok, c.want)
		}
	}
}

func TestPolicyScopeCapsBreadth(t *testing.T) {
	set := newPolicySet([]Policy{{Name: "dom-auditor", Scope: "domain", Roles: []string{"auditor"}, Enabled: true,
		Rules: []string{"!finops/secrets/*", "*/*/list"}}})
	a, _ := SplitAction("compute/servers/list")
	// A system token with a domain-scoped policy reaches only the user's domain.
	g, ok := set.authorize(tokenWith(ScopeSystem, "auditor"), a)
	if !ok || g.Breadth != BreadthDomain || g.DomainID != "dU" {
		t.Fatalf("system token: %+v", g)
	}
	g, ok = set.authorize(tokenWith(ScopeProject, "auditor"), a)
	if !ok || g.Breadth != BreadthProject || g.ProjectID != "p1" {
		t.Fatalf("project token: %+v", g)
	}
	a, _ = SplitAction("finops/secrets/list")
	if _, ok := set.authorize(tokenWith(ScopeSystem, "auditor"), a); ok {
		t.Fatal("the deny rule comes first and must win")
	}
	// Disabled policies grant nothing.
	set = newPolicySet([]Policy{{Name: "off", Scope: "system", Roles: []string{"admin"}, Rules: []string{"*/*/*"}}})
	if _, ok := set.authorize(tokenWith(ScopeSystem, "admin"), a); ok {
		t.Fatal("disabled policy allowed")
	}
}

func TestGrantNarrowAndCovers(t *testing.T) {
	tok := tokenWith(ScopeSystem, "admin")
	g := Grant{Breadth: BreadthSystem}
	if !g.Covers("dX", "pX") || !g.CoversDomain("dX") {
		t.Fatal("system covers all")
	}
	d, ok := g.Narrow(BreadthDomain, tok)
	if !ok || d.DomainID != "dU" || d.Covers("dX", "") || !d.Covers("dU", "p") {
		t.Fatalf("narrow to domain: %+v", d)
	}
	p := Grant{Breadth: BreadthProject, DomainID: "d1", ProjectID: "p1"}
	if _, ok := p.Narrow(BreadthDomain, tok); ok {
		t.Fatal("a project grant cannot widen")
	}
	if p.Covers("d1", "") || !p.Covers("d1", "p1") || p.CoversDomain("d1") {
		t.Fatal("project grant coverage")
	}
	if (Grant{}).Covers("", "") {
		t.Fatal("an empty grant covers nothing")
	}
}

func TestRuleValidation(t *testing.T) {
	for _, bad := range []string{"", "a/b", "a/b/c/d", "a//c", "!/b/c"} {
		if _, err := compileRule(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if err := ValidatePolicy(Policy{Name: "x", Scope: "galaxy"}); err == nil {
		t.Error("bad scope accepted")
	}
}

func TestPasswordHash(t *testing.T) {
	h := newHasher(TestKDF)
	ctx := context.Background()
	enc, err := h.Hash(ctx, "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=64,t=1,p=1$") || strings.Contains(enc, "s3cret") {
		t.Fatalf("hash %q", enc)
	}
	ok, rehash, _ := h.Verify(ctx, enc, "s3cret")
	if !ok || rehash {
		t.Fatal("verify")
	}
	if ok, _, _ := h.Verify(ctx, enc, "s3creT"); ok {
		t.Fatal("wrong password matched")
	}
	for _, bad := range []string{"", "plain", "$argon2id$v=19$m=1,t=1,p=1$AAAA$AAAA", "$2a$10$abc"} {
		if ok, _, _ := h.Verify(ctx, bad, ""); ok {
			t.Fatalf("%q matched", bad)
		}
	}
	// A hash made with other parameters still verifies, and asks for a rehash.
	strong := newHasher(KDFParams{MemoryKiB: 128, Time: 1, Threads: 1})
	ok, rehash, _ = strong.Verify(ctx, enc, "s3cret")
	if !ok || !rehash {
		t.Fatalf("upgrade: %v %v", ok, rehash)
	}
}

func TestRateLimiter(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	l := NewLimiter(func() time.Time { return now })
	lim := RateLimit{Requests: 100, Per: time.Minute}
	for i := 0; i < 100; i++ {
		if ok, _ := l.Allow("g", "k", lim); !ok {
			t.Fatalf("request %d refused", i+1)
		}
	}
	ok, wait := l.Allow("g", "k", lim)
	if ok || wait <= 0 || wait > time.Second {
		t.Fatalf("101st: %v %s", ok, wait)
	}
	if ok, _ := l.Allow("g", "other", lim); !ok {
		t.Fatal("another key has its own budget")
	}
	if ok, _ := l.Allow("h", "k", lim); !ok {
		t.Fatal("another group has its own budget")
	}
	now = now.Add(wait)
	if ok, _ := l.Allow("g", "k", lim); !ok {
		t.Fatal("allowed again after Retry-After")
	}
	if ok, _ := l.Allow("g", "k", lim); ok {
		t.Fatal("only one more")
	}
	now = now.Add(2 * time.Minute)
	l.Allow("x", "y", lim) // sweeps
	if n := l.Len(); n != 1 {
		t.Fatalf("idle keys kept: %d", n)
	}
	if ok, _ := l.Allow("g", "k", RateLimit{}); !ok {
		t.Fatal("no limit")
	}
}

func TestParseRateLimit(t *testing.T) {
	good := map[string]RateLimit{
		"100/1m": {100, time.Minute}, "20/s": {20, time.Second}, "5000/1h": {5000, time.Hour}, "off": {}, " 7 / 10s ": {7, 10 * time.Second},
	}
	for s, want := range good {
		got, err := ParseRateLimit(s)
		if err != nil || got != want {
			t.Errorf("%q: %v %v", s, got, err)
		}
	}
	for _, s := range []string{"", "100", "x/1m", "0/1m", "-1/1m", "10/forever", "10/0s"} {
		if _, err := ParseRateLimit(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
	m, err := ParseRateLimits("keystone=300/1m, cloudkitty=off")
	if err != nil || m["keystone"].Requests != 300 || !m["cloudkitty"].Unlimited() {
		t.Fatalf("%v %v", m, err)
	}
	if _, err := ParseRateLimits("keystone"); err == nil {
		t.Fatal("missing =")
	}
}

// FuzzTokenParse feeds arbitrary strings to the token parser: it must never
// panic, and nothing but a token it signed may validate.
func FuzzTokenParse(f *testing.F) {
	// Fixed times: every fuzz worker must sign the same seed.
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { return t0.Add(time.Minute) }
	s := newSigner()
	s.setKeys("k1", map[string][]byte{"k1": []byte("0123456789abcdef0123456789abcdef")})
	good, err := s.sign(&Token{ID: "j", UserID: "u", Scope: ScopeProject, ProjectID: "p", DomainID: "d",
		IssuedAt: t0, ExpiresAt: t0.Add(time.Hour), Roles: []RoleRef{{"r", "admin"}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add("")
	f.Add("a.b.c")
	f.Add("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1In0.")
	f.Add(good[:len(good)-1])
	f.Fuzz(func(t *testing.T, raw string) {
		tok, err := s.parse(raw, now())
		if err == nil {
			if raw != good {
				// A different string can only validate if it carries the
				// same signed content (JWT allows no such variant here).
				t.Fatalf("unexpected token validated: %q", raw)
			}
			if tok.UserID != "u" || tok.ProjectID != "p" {
				t.Fatalf("wrong content %+v", tok)
			}
		}
	})
}

// FuzzParsePHC: the hash parser never panics and rejects parameters that
// would make verification absurdly expensive.
func FuzzParsePHC(f *testing.F) {
	h := newHasher(TestKDF)
	enc, _ := h.Hash(context.Background(), "x")
	f.Add(enc)
	f.Add("$argon2id$v=19$m=99999999,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parsePHC(s)
		if err != nil {
			return
		}
		if p.params.MemoryKiB > 1<<21 || p.params.Time > 64 || p.params.Threads == 0 || len(p.key) > 64 {
			t.Fatalf("accepted %+v", p.params)
		}
	})
}

func FuzzParseRateLimit(f *testing.F) {
	for _, s := range []string{"100/1m", "off", "1/1ns", "9999999999/1h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseRateLimit(s)
		if err == nil && !l.Unlimited() && (l.Requests < 1 || l.Per < time.Millisecond) {
			t.Fatalf("%q → %+v", s, l)
		}
	})
}
