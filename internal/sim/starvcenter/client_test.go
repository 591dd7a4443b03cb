package starvcentersim_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	sim "github.com/skyfold/skyfold/internal/sim/starvcenter"
)

const (
	tokenA     = "test-token-a"
	tokenB     = "test-token-b"
	adminToken = "test-admin-token"
)

// clock is a test clock moved by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2024, 5, 20, 9, 30, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// mustOpen starts a simulator with two tenant tokens, an admin token and a
// test clock; tasks take 10 s of that clock.
func mustOpen(tb testing.TB, mod ...func(*sim.Config)) (*sim.Server, *clock) {
	tb.Helper()
	clk := newClock()
	cfg := sim.Config{Tokens: []string{tokenA, tokenB}, AdminToken: adminToken, Seed: 42, Now: clk.Now,
		TaskDuration: 10 * time.Second, Logger: slog.New(slog.DiscardHandler)}
	for _, m := range mod {
		m(&cfg)
	}
	s, err := sim.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s, clk
}

// client speaks the wire protocol to a Handler in process.
type client struct {
	tb    testing.TB
	h     http.Handler
	token string
}

func newClient(tb testing.TB, s *sim.Server, token string) *client {
	return &client{tb: tb, h: s.Handler(), token: token}
}

// on returns the client reporting to tb (a subtest).
func (c *client) on(tb testing.TB) *client {
	cp := *c
	cp.tb = tb
	return &cp
}

// rawCall sends KEY_PARAM exactly as given (already encoded) and returns the
// HTTP status and the decoded envelope.
func (c *client) rawCall(method, path, keyParam string, hasParam bool) (int, *sim.Response) {
	c.tb.Helper()
	target := sim.BasePath + "/" + strings.TrimPrefix(path, "/")
	var body string
	if hasParam {
		body = url.Values{sim.FormParam: {keyParam}}.Encode()
	}
	var req *http.Request
	if hasParam && (method == http.MethodPost || method == http.MethodPut) {
		req = httptest.NewRequest(method, target, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		if hasParam {
			target += "?" + body
		}
		req = httptest.NewRequest(method, target, nil)
	}
	if c.token != "" {
		req.Header.Set(sim.HeaderToken, c.token)
	}
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	resp, err := sim.DecodeResponse(rec.Body.Bytes())
	if err != nil {
		c.tb.Fatalf("%s %s: %v (body %q)", method, path, err, rec.Body.String())
	}
	return rec.Code, resp
}

// call sends param (nil: no KEY_PARAM) and returns the envelope.
func (c *client) call(method, path string, param map[string]any) *sim.Response {
	c.tb.Helper()
	if param == nil {
		_, r := c.rawCall(method, path, "", false)
		return r
	}
	p, err := sim.EncodeParam(param)
	if err != nil {
		c.tb.Fatal(err)
	}
	_, r := c.rawCall(method, path, p, true)
	return r
}

// ok calls and fails the test unless result is 0.
func (c *client) ok(method, path string, param map[string]any) *sim.Response {
	c.tb.Helper()
	r := c.call(method, path, param)
	if r.Result != sim.ResultOK {
		c.tb.Fatalf("%s %s %v: result %s: %s", method, path, param, r.Result, r.ResultInfo)
	}
	return r
}

// refused calls and fails the test unless result is code and resultinfo
// contains every part.
func (c *client) refused(code, method, path string, param map[string]any, parts ...string) *sim.Response {
	c.tb.Helper()
	r := c.call(method, path, param)
	if r.Result != code {
		c.tb.Fatalf("%s %s %v: result %s (%s), want %s", method, path, param, r.Result, r.ResultInfo, code)
	}
	for _, p := range parts {
		if !strings.Contains(r.ResultInfo, p) {
			c.tb.Fatalf("%s %s: resultinfo %q does not contain %q", method, path, r.ResultInfo, p)
		}
	}
	return r
}

func dataObj(tb testing.TB, r *sim.Response) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Data, &m); err != nil {
		tb.Fatalf("data %s: %v", r.Data, err)
	}
	return m
}

func dataList(tb testing.TB, r *sim.Response) []map[string]any {
	tb.Helper()
	var l []map[string]any
	if err := json.Unmarshal(r.Data, &l); err != nil {
		tb.Fatalf("data %s: %v", r.Data, err)
	}
	return l
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

// world is a tenant with a VPC and a running VM.
type world struct {
	c          *client
	vpc, vm    string
	vmIP, task string
}

// makeWorld creates a VPC and a VM for the client's tenant and lets the VM
// finish installing.
func makeWorld(tb testing.TB, c *client, clk *clock) world {
	tb.Helper()
	w := world{c: c}
	w.vpc = str(dataObj(tb, c.ok("POST", "cloudnetwork/vpc/create", map[string]any{"vpc.name": "net"})), "vpc.id")
	l := dataList(tb, c.ok("POST", "cloudvm/create", map[string]any{
		"vm.name": "web", "vm.vcpu.num": "2", "vm.memory.mem": "2048", "vnic.portgroupid": w.vpc}))
	w.vm, w.task = str(l[0], "vm.id"), str(l[0], "jobstartid")
	clk.Advance(11 * time.Second)
	vm := dataObj(tb, c.ok("GET", "cloudvm/"+w.vm, nil))
	if str(vm, "vm.state") != "1" {
		tb.Fatalf("vm state %s after install, want 1", str(vm, "vm.state"))
	}
	w.vmIP = str(vm, "vm.ip")
	return w
}
