package auth_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/skyfold/skyfold/internal/api"
	"github.com/skyfold/skyfold/internal/api/auth"
	"github.com/skyfold/skyfold/internal/identity"
	"github.com/skyfold/skyfold/internal/listing"
	"github.com/skyfold/skyfold/internal/secret"
	"github.com/skyfold/skyfold/internal/store/storetest"
)

const adminPW = "admin-password"

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type env struct {
	svc    *identity.Service
	srv    *api.Server
	h      http.Handler
	admin  string // system admin token
	member string // member of project web
	reader string // reader of project web
	domAdm string // admin of domain acme
	web    *identity.Project
	acme   *identity.Domain
}

type listOut struct {
	Body struct {
		Breadth  string   `json:"breadth"`
		Domain   string   `json:"domain"`
		Project  string   `json:"project"`
		Projects []string `json:"projects"`
		User     string   `json:"user"`
	}
}

type createIn struct {
	Body struct {
		Name string `json:"name" minLength:"1"`
	}
}

type createOut struct {
	Body struct {
		ID string `json:"id"`
	}
}

func newEnv(t testing.TB, opts auth.Options, prefixes ...string) *env {
	t.Helper()
	st := storetest.Open(t, "sqlite")
	box, _ := secret.NewBox(secret.GenerateKey())
	svc := identity.New(st.DB, box, identity.Config{KDF: identity.TestKDF})
	ctx := context.Background()
	if _, err := svc.Bootstrap(ctx, identity.BootstrapOptions{AdminPassword: adminPW}); err != nil {
		t.Fatal(err)
	}
	e := &env{svc: svc}
	e.acme, _ = svc.CreateDomain(ctx, identity.Domain{Name: "acme", Enabled: true})
	e.web, _ = svc.CreateProject(ctx, identity.Project{DomainID: e.acme.ID, Name: "web", Enabled: true})
	role := func(name string) string { r, _ := svc.FindRole(ctx, "", name); return r.ID }
	user := func(name, roleName, targetType, targetID string, sc identity.ScopeRequest) string {
		u, err := svc.CreateUser(ctx, identity.UserCreate{DomainID: e.acme.ID, Name: name, Password: "pw", Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.GrantRole(ctx, identity.Assignment{ActorType: "user", ActorID: u.ID, TargetType: targetType, TargetID: targetID, RoleID: role(roleName)}); err != nil {
			t.Fatal(err)
		}
		_, raw, err := svc.Authenticate(ctx, identity.AuthRequest{Methods: []string{"password"},
			Password: &identity.PasswordAuth{UserID: u.ID, Password: "pw"}, Scope: sc})
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	e.member = user("mem", "member", "project", e.web.ID, identity.ScopeRequest{Kind: "project", ProjectID: e.web.ID})
	e.reader = user("rdr", "reader", "project", e.web.ID, identity.ScopeRequest{Kind: "project", ProjectID: e.web.ID})
	e.domAdm = user("dadm", "admin", "domain", e.acme.ID, identity.ScopeRequest{Kind: "domain", DomainID: e.acme.ID})
	_, e.admin, _ = svc.Authenticate(ctx, identity.AuthRequest{Methods: []string{"password"},
		Password: &identity.PasswordAuth{UserName: "admin", DomainID: "default", Password: adminPW},
		Scope:    identity.ScopeRequest{Kind: "system"}})

	opts.Identity = svc
	e.srv = api.New(api.Options{Logger: quiet})
	auth.Install(e.srv, opts)
	if len(prefixes) == 0 {
		prefixes = []string{"/v3", "/api/v2", "/api/v1", "/api", "/v1", "/x"}
	}
	for _, p := range prefixes {
		id := strings.ReplaceAll(strings.Trim(p, "/"), "/", "-")
		api.Register(e.srv, auth.Policy(huma.Operation{OperationID: "list-" + id, Method: http.MethodGet, Path: p + "/things"}, "test/things/list"),
			func(ctx context.Context, _ *struct{}) (*listOut, error) {
				c := auth.From(ctx)
				out := &listOut{}
				out.Body.Breadth, out.Body.Domain, out.Body.Project = c.Grant.Breadth.String(), c.Grant.DomainID, c.Grant.ProjectID
				out.Body.Projects, _ = c.ProjectIDs(ctx)
				out.Body.User = c.UserID()
				return out, nil
			})
		api.Register(e.srv, auth.Policy(huma.Operation{OperationID: "create-" + id, Method: http.MethodPost, Path: p + "/things"}, "test/things/create"),
			func(ctx context.Context, in *createIn) (*createOut, error) {
				auth.Note(ctx, auth.Object{Type: "things", ID: "t-" + in.Body.Name, Name: in.Body.Name, DomainID: "dX", ProjectID: "pX"})
				out := &createOut{}
				out.Body.ID = "t-" + in.Body.Name
				return out, nil
			})
		api.Register(e.srv, huma.Operation{OperationID: "undeclared-" + id, Method: http.MethodGet, Path: p + "/undeclared"},
			func(ctx context.Context, _ *struct{}) (*listOut, error) { return &listOut{}, nil })
		api.Register(e.srv, auth.Public(huma.Operation{OperationID: "public-" + id, Method: http.MethodGet, Path: p + "/public"}),
			func(ctx context.Context, _ *struct{}) (*listOut, error) {
				out := &listOut{}
				if c := auth.From(ctx); c != nil {
					out.Body.User = c.UserID()
				}
				return out, nil
			})
	}
	e.h = e.srv.Handler()
	return e
}

type resp struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (e *env) do(t testing.TB, method, path string, hdr map[string]string, body string) resp {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.RemoteAddr = "192.0.2.10:5555"
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	raw, _ := io.ReadAll(w.Result().Body)
	out := resp{status: w.Code, header: w.Header(), raw: string(raw)}
	_ = json.Unmarshal(raw, &out.body)
	return out
}

func tok(t string) map[string]string { return map[string]string{"X-Auth-Token": t} }

func TestUnauthenticatedAnswersInEachFace(t *testing.T) {
	e := newEnv(t, auth.Options{})
	checks := map[string]func(m map[string]any) bool{
		"/v3": func(m map[string]any) bool {
			er, _ := m["error"].(map[string]any)
			return er != nil && er["code"] == float64(401) && er["title"] == "Unauthorized"
		},
		"/api/v2": func(m map[string]any) bool {
			er, _ := m["error"].(map[string]any)
			return er != nil && er["class"] == "UnauthorizedError"
		},
		"/api/v1": func(m map[string]any) bool { return m["msg"] == "unauthorized" && m["code"] == float64(401) },
		"/api":    func(m map[string]any) bool { return m["success"] == false && m["error_type"] == "AuthenticationError" },
		"/v1":     func(m map[string]any) bool { return m["faultcode"] == "Client" },
		"/x":      func(m map[string]any) bool { return m["status"] == float64(401) },
	}
	for prefix, ok := range checks {
		for _, hdr := range []map[string]string{
			nil,
			tok("garbage"),
			{"Authorization": "Bearer not.a.token"},
			{"Authorization": "Bearer"},
		} {
			r := e.do(t, "GET", prefix+"/things", hdr, "")
			if r.status != 401 || !ok(r.body) {
				t.Errorf("%s %v: %d %s", prefix, hdr, r.status, r.raw)
			}
		}
		// Public operations need no token, and ignore a bad one.
		if r := e.do(t, "GET", prefix+"/public", tok("garbage"), ""); r.status != 200 {
			t.Errorf("%s public: %d", prefix, r.status)
		}
	}
	if r := e.do(t, "GET", "/v3/things", nil, ""); !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Keystone uri=") {
		t.Errorf("keystone 401 without WWW-Authenticate: %v", r.header)
	}
	// A 401 comes before the body is even validated.
	if r := e.do(t, "POST", "/api/things", nil, `{"name":""}`); r.status != 401 {
		t.Errorf("unauthenticated bad body: %d", r.status)
	}
}

func TestBothTokenHeaders(t *testing.T) {
	e := newEnv(t, auth.Options{})
	for _, hdr := range []map[string]string{
		tok(e.member),
		{"Authorization": "Bearer " + e.member},
		{"Authorization": "bearer  " + e.member},
	} {
		r := e.do(t, "GET", "/api/v2/things", hdr, "")
		if r.status != 200 || r.body["breadth"] != "project" || r.body["project"] != e.web.ID {
			t.Errorf("%v: %d %s", hdr, r.status, r.raw)
		}
	}
	if r := e.do(t, "GET", "/api/v2/things", map[string]string{"Authorization": "Basic YTpi"}, ""); r.status != 401 {
		t.Errorf("basic auth: %d", r.status)
	}
	// The public face sees the caller when a valid token is sent.
	if r := e.do(t, "GET", "/v3/public", tok(e.member), ""); r.body["user"] == "" {
		t.Errorf("public with token: %s", r.raw)
	}
}

func TestPolicyAndScope(t *testing.T) {
	e := newEnv(t, auth.Options{})
	cases := []struct {
		name, token, path string
		status            int
		breadth           string
		projects          int // -1: all (nil)
	}{
		{"admin default", e.admin, "/api/v2/things", 200, "system", -1},
		{"admin scope=domain", e.admin, "/api/v2/things?scope=domain", 200, "domain", 1}, // the admin's own domain: project system
		{"domain admin", e.domAdm, "/api/v2/things", 200, "domain", 1},
		{"domain admin scope=system", e.domAdm, "/api/v2/things?scope=system", 403, "", 0},
		{"domain admin scope=project", e.domAdm, "/api/v2/things?scope=project", 403, "", 0}, // a domain token names no project
		{"member", e.member, "/api/v2/things?scope=project", 200, "project", 1},
		{"member scope=domain", e.member, "/api/v2/things?scope=domain", 403, "", 0},
		{"reader", e.reader, "/api/v2/things", 200, "project", 1},
	}
	for _, c := range cases {
		r := e.do(t, "GET", c.path, tok(c.token), "")
		if r.status != c.status {
			t.Errorf("%s: %d %s", c.name, r.status, r.raw)
			continue
		}
		if c.status != 200 {
			continue
		}
		ps, _ := r.body["projects"].([]any)
		if r.body["breadth"] != c.breadth || (c.projects == -1) != (r.body["projects"] == nil) || (c.projects >= 0 && len(ps) != c.projects && c.breadth != "project") {
			t.Errorf("%s: %s", c.name, r.raw)
		}
	}
	// Readers cannot mutate; members can (outside identity).
	if r := e.do(t, "POST", "/api/v2/things", tok(e.reader), `{"name":"a"}`); r.status != 403 || r.body["error"].(map[string]any)["class"] != "ForbiddenError" {
		t.Errorf("reader create: %d %s", r.status, r.raw)
	}
	if r := e.do(t, "POST", "/api/v2/things", tok(e.member), `{"name":"a"}`); r.status != 200 {
		t.Errorf("member create: %d %s", r.status, r.raw)
	}
	// An operation that declares no policy is open to system admins only.
	if r := e.do(t, "GET", "/api/v2/undeclared", tok(e.domAdm), ""); r.status != 403 {
		t.Errorf("undeclared, domain admin: %d", r.status)
	}
	if r := e.do(t, "GET", "/api/v2/undeclared", tok(e.admin), ""); r.status != 200 {
		t.Errorf("undeclared, system admin: %d", r.status)
	}
	if r := e.do(t, "GET", "/api/v2/undeclared", nil, ""); r.status != 401 {
		t.Errorf("undeclared, anonymous: %d", r.status)
	}
}

func TestRateLimit(t *testing.T) {
	stopped := time.Now() // no budget refills while the test runs
	e := newEnv(t, auth.Options{
		Limiter:     identity.NewLimiter(func() time.Time { return stopped }),
		RateLimit:   identity.RateLimit{Requests: 100, Per: time.Minute},
		GroupLimits: map[string]identity.RateLimit{"cloudlens": {Requests: 5, Per: time.Minute}, "cloudkitty": {}},
	})
	for i := 0; i < 5; i++ {
		if r := e.do(t, "GET", "/api/things", tok(e.member), ""); r.status != 200 {
			t.Fatalf("request %d: %d", i+1, r.status)
		}
	}
	r := e.do(t, "GET", "/api/things", tok(e.member), "")
	if r.status != 429 || r.body["error_type"] != "RateLimitError" || r.body["success"] != false {
		t.Fatalf("6th: %d %s", r.status, r.raw)
	}
	if ra := r.header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Fatalf("Retry-After: %q", ra)
	}
	// Another token has its own budget; so has another face.
	if r := e.do(t, "GET", "/api/things", tok(e.reader), ""); r.status != 200 {
		t.Fatalf("other token: %d", r.status)
	}
	if r := e.do(t, "GET", "/api/v2/things", tok(e.member), ""); r.status != 200 {
		t.Fatalf("other face: %d", r.status)
	}
	// Without a token the client IP is the key; Keystone's envelope.
	for i := 0; i < 100; i++ {
		e.do(t, "GET", "/v3/public", nil, "")
	}
	r = e.do(t, "GET", "/v3/public", nil, "")
	if r.status != 429 || r.body["error"].(map[string]any)["code"] != float64(429) || r.header.Get("Retry-After") == "" {
		t.Fatalf("per IP: %d %s", r.status, r.raw)
	}
	// A face set to off is not limited.
	for i := 0; i < 200; i++ {
		if r := e.do(t, "GET", "/v1/things", tok(e.member), ""); r.status != 200 {
			t.Fatalf("unlimited face: %d", r.status)
		}
	}
}

func TestAuditOfMutatingCalls(t *testing.T) {
	e := newEnv(t, auth.Options{})
	r := e.do(t, "POST", "/api/v2/things", map[string]string{"X-Auth-Token": e.member, "X-Request-Id": "req-42"}, `{"name":"box"}`)
	if r.status != 200 {
		t.Fatal(r.raw)
	}
	e.do(t, "POST", "/api/v2/things", map[string]string{"X-Auth-Token": e.reader, "X-Request-Id": "req-43"}, `{"name":"box"}`)
	e.do(t, "GET", "/api/v2/things", tok(e.member), "")
	page, err := e.svc.ListAudit(context.Background(), identity.AuditFilter{}, listing.Params{Limit: 100}, identity.Grant{Breadth: identity.BreadthSystem})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 2 {
		t.Fatalf("want the two POSTs, got %+v", page.Items)
	}
	denied, ok := page.Items[0], page.Items[1]
	if ok.RequestID != "req-42" || ok.Result != "success" || ok.Status != 200 || ok.ObjectType != "things" || ok.ObjectID != "t-box" ||
		ok.Action != "create" || ok.Service != "test" || ok.ClientIP != "192.0.2.10" || ok.UserName != "mem" || ok.ProjectID != "pX" || ok.DomainID != "dX" {
		t.Fatalf("audit event %+v", ok)
	}
	if denied.RequestID != "req-43" || denied.Result != "failure" || denied.Status != 403 || denied.UserName != "rdr" || denied.ProjectID != e.web.ID {
		t.Fatalf("denied event %+v", denied)
	}
	b, _ := json.Marshal(page.Items)
	for _, secretText := range []string{e.member, e.reader, "pw"} {
		if strings.Contains(string(b), secretText) && secretText != "pw" {
			t.Fatal("audit log holds a token")
		}
	}
}

func TestInstallAfterRegisterPanics(t *testing.T) {
	s := api.New(api.Options{Logger: quiet})
	api.Register(s, huma.Operation{OperationID: "x", Method: "GET", Path: "/x"}, func(ctx context.Context, _ *struct{}) (*listOut, error) { return nil, nil })
	defer func() {
		if recover() == nil {
			t.Fatal("Install after Register must panic")
		}
	}()
	auth.Install(s, auth.Options{Identity: &identity.Service{}})
}

func TestPolicyPanicsOnBadAction(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("bad action accepted")
		}
	}()
	auth.Policy(huma.Operation{}, "compute/tasks")
}

func TestParseBearer(t *testing.T) {
	good := map[string]string{
		"Bearer abc.def-ghi_jkl": "abc.def-ghi_jkl",
		"bearer x":               "x",
		"BEARER   y==":           "y==",
		" Bearer z ":             "z",
	}
	for in, want := range good {
		if got, ok := auth.ParseBearer(in); !ok || got != want {
			t.Errorf("%q: %q %v", in, got, ok)
		}
	}
	for _, in := range []string{"", "Bearer", "Bearer ", "Basic abc", "Bearer a b", "Bearer a\tb", "Bearerabc", "Bearer " + strings.Repeat("a", identity.MaxTokenLength+1), "Bearer é"} {
		if got, ok := auth.ParseBearer(in); ok {
			t.Errorf("%q accepted as %q", in, got)
		}
	}
	if tk, present, ok := auth.TokenFromHeaders("abc", "Bearer other"); tk != "abc" || !present || !ok {
		t.Error("X-Auth-Token wins")
	}
	if _, present, _ := auth.TokenFromHeaders("", "Basic abc"); present {
		t.Error("Basic is not a token")
	}
	if _, present, ok := auth.TokenFromHeaders("", "Bearer a b"); !present || ok {
		t.Error("malformed bearer must count as presented and bad")
	}
}

func FuzzParseBearer(f *testing.F) {
	for _, s := range []string{"Bearer abc", "bearer  a.b.c", "Basic x", "", "Bearer \x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		tk, ok := auth.ParseBearer(h)
		if !ok {
			return
		}
		if tk == "" || len(tk) > identity.MaxTokenLength || strings.ContainsAny(tk, " \t\r\n\x00") {
			t.Fatalf("%q → %q", h, tk)
		}
		if !strings.Contains(h, tk) {
			t.Fatalf("%q → %q is not from the header", h, tk)
		}
	})
}

func FuzzTokenFromHeaders(f *testing.F) {
	f.Add("abc", "")
	f.Add("", "Bearer abc")
	f.Add("", "Negotiate x")
	f.Add(" a ", "Bearer")
	f.Fuzz(func(t *testing.T, x, a string) {
		tk, present, ok := auth.TokenFromHeaders(x, a)
		if ok && (!present || tk == "" || strings.ContainsAny(tk, " \t\r\n")) {
			t.Fatalf("%q %q → %q %v %v", x, a, tk, present, ok)
		}
		if x == "" && a == "" && present {
			t.Fatal("nothing presented")
		}
	})
}
