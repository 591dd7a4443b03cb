package keystone_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/api"
	"github.com/skyfold/skyfold/internal/api/auth"
	"github.com/skyfold/skyfold/internal/api/cloudpods"
	"github.com/skyfold/skyfold/internal/api/keystone"
	"github.com/skyfold/skyfold/internal/identity"
	"github.com/skyfold/skyfold/internal/secret"
	"github.com/skyfold/skyfold/internal/store"
	"github.com/skyfold/skyfold/internal/task"
)

const adminPW = "admin-secret-pw"

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

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

// harness is a Skyfold API server in-process: the identity service, the auth
// middleware, the Keystone face and the task API.
type harness struct {
	t     testing.TB
	st    *store.Store
	svc   *identity.Service
	tasks *task.Service
	srv   *api.Server
	h     http.Handler
	clock *clock
}

type harnessOpt func(*identity.Config, *auth.Options)

func newHarness(t testing.TB, st *store.Store, opts ...harnessOpt) *harness {
	t.Helper()
	c := &clock{t: time.Now().UTC()}
	cfg := identity.Config{KDF: identity.TestKDF, Now: c.Now, LockoutFailures: 5, LockoutDuration: time.Minute}
	var aopts auth.Options
	for _, o := range opts {
		o(&cfg, &aopts)
	}
	box, err := secret.NewBox(secret.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	svc := identity.New(st.DB, box, cfg)
	if _, err := svc.Bootstrap(context.Background(), identity.BootstrapOptions{AdminPassword: adminPW}); err != nil {
		t.Fatal(err)
	}
	srv := api.New(api.Options{Logger: quiet})
	aopts.Identity, aopts.Logger = svc, quiet
	auth.Install(srv, aopts)
	keystone.Register(srv, svc, keystone.Options{})
	tasks := task.NewService(st.DB, nil, task.Config{WorkerID: "test", Logger: quiet})
	tasks.Register(task.ProbeDefinition())
	cloudpods.RegisterTasks(srv, tasks)
	return &harness{t: t, st: st, svc: svc, tasks: tasks, srv: srv, h: srv.Handler(), clock: c}
}

type resp struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (r resp) str(path ...string) string {
	var v any = r.body
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	s, _ := v.(string)
	return s
}

func (r resp) list(key string) []map[string]any {
	var out []map[string]any
	arr, _ := r.body[key].([]any)
	for _, x := range arr {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func (h *harness) do(method, path, token, body string) resp {
	return h.doH(method, path, token, body, nil)
}

func (h *harness) doH(method, path, token, body string, hdr map[string]string) resp {
	h.t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.RemoteAddr = "198.51.100.7:4000"
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		r.Header.Set("X-Auth-Token", token)
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.h.ServeHTTP(w, r)
	raw, _ := io.ReadAll(w.Result().Body)
	out := resp{status: w.Code, header: w.Header(), raw: string(raw)}
	_ = json.Unmarshal(raw, &out.body)
	return out
}

func passwordBody(user, domainID, password, scope string) string {
	b := `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":` + q(user) +
		`,"domain":{"id":` + q(domainID) + `},"password":` + q(password) + `}}}`
	if scope != "" {
		b += `,"scope":` + scope
	}
	return b + `}}`
}

func q(s string) string { b, _ := json.Marshal(s); return string(b) }

// login issues a token over HTTP and returns it.
func (h *harness) login(user, domainID, password, scope string) string {
	h.t.Helper()
	r := h.do("POST", "/v3/auth/tokens", "", passwordBody(user, domainID, password, scope))
	if r.status != 201 {
		h.t.Fatalf("login %s: %d %s", user, r.status, r.raw)
	}
	return r.header.Get("X-Subject-Token")
}

func (h *harness) adminToken() string {
	return h.login("admin", "default", adminPW, `{"system":{"all":true}}`)
}

func projectScope(id string) string { return `{"project":{"id":` + q(id) + `}}` }
func domainScope(id string) string  { return `{"domain":{"id":` + q(id) + `}}` }

func (h *harness) roleID(name string) string {
	h.t.Helper()
	r, err := h.svc.FindRole(context.Background(), "", name)
	if err != nil {
		h.t.Fatal(err)
	}
	return r.ID
}

func (h *harness) must(err error) {
	h.t.Helper()
	if err != nil {
		h.t.Fatal(err)
	}
}
