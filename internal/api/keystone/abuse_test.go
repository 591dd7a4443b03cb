package keystone_test

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/api/auth"
	"github.com/skyfold/skyfold/internal/identity"
	"github.com/skyfold/skyfold/internal/store"
	"github.com/skyfold/skyfold/internal/store/storetest"
)

// from sends a request as if from addr.
func (h *harness) from(addr, method, path, token, body string) resp {
	h.t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.RemoteAddr = addr + ":4000"
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		r.Header.Set("X-Auth-Token", token)
	}
	w := httptest.NewRecorder()
	h.h.ServeHTTP(w, r)
	raw, _ := io.ReadAll(w.Result().Body)
	out := resp{status: w.Code, header: w.Header(), raw: string(raw)}
	_ = json.Unmarshal(raw, &out.body)
	return out
}

// TestLockoutPerAddress: wrong passwords from one address lock the user out
// from that address only; an admin elsewhere unlocks through the API; each
// lock and unlock is in the audit log.
func TestLockoutPerAddress(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := newHarness(t, st) // 5 failures lock for a minute
		const attacker, office = "203.0.113.9", "198.51.100.20"
		for i := 0; i < 5; i++ {
			keystoneError(t, h.from(attacker, "POST", "/v3/auth/tokens", "", passwordBody("admin", "default", "guess", "")), 401)
		}
		keystoneError(t, h.from(attacker, "POST", "/v3/auth/tokens", "", passwordBody("admin", "default", adminPW, "")), 401)
		r := h.from(office, "POST", "/v3/auth/tokens", "", passwordBody("admin", "default", adminPW, `{"system":{"all":true}}`))
		if r.status != 201 {
			t.Fatalf("the same user from another address is locked out too: %d %s", r.status, r.raw)
		}
		tok := r.header.Get("X-Subject-Token")
		admin := h.from(office, "GET", "/v3/users?name=admin", tok, "").list("users")[0]["id"].(string)

		// The documented unlock: set the user enabled.
		if r := h.from(office, "PATCH", "/v3/users/"+admin, tok, `{"user":{"enabled":true}}`); r.status != 200 {
			t.Fatalf("unlock: %d %s", r.status, r.raw)
		}
		if r := h.from(attacker, "POST", "/v3/auth/tokens", "", passwordBody("admin", "default", adminPW, "")); r.status != 201 {
			t.Fatalf("still locked after the unlock: %d %s", r.status, r.raw)
		}

		// Locks in a row back off: the second lasts two minutes.
		lock := func() {
			for i := 0; i < 5; i++ {
				h.from(attacker, "POST", "/v3/auth/tokens", "", passwordBody("admin", "default", "guess", ""))
			}
		}
		lock()
		h.clock.Add(61 * time.Second)
		lock() // the first lock ended; this is the second in a row
		h.clock.Add(61 * time.Second)
		keystoneError(t, h.from(attacker, "POST", "/v3/auth/tokens", "", passwordBody("admin", "default", adminPW, "")), 401)
		h.clock.Add(61 * time.Second)
		if r := h.from(attacker, "POST", "/v3/auth/tokens", "", passwordBody("admin", "default", adminPW, "")); r.status != 201 {
			t.Fatalf("second lock lasted over two minutes: %d", r.status)
		}

		page := h.from(office, "GET", "/v3/audit_events?object_type=user&limit=100", h.adminToken(), "")
		var locks, unlocks int
		for _, e := range page.list("audit_events") {
			switch e["action"] {
			case "lockout":
				locks++
				if e["client_ip"] != attacker || e["user_name"] != "admin" {
					t.Errorf("lock event %v", e)
				}
			}
		}
		for _, e := range page.list("audit_events") {
			if e["action"] == "unlock" && e["object_id"] == admin && e["client_ip"] == office {
				unlocks++
			}
		}
		if locks != 3 || unlocks != 1 {
			t.Fatalf("audit: %d locks, %d unlocks: %s", locks, unlocks, page.raw)
		}
	})
}

// TestLockoutExemptAdmin: the option keeps the bootstrap admin out of
// lockout, and only the bootstrap admin.
func TestLockoutExemptAdmin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := newHarness(t, st, func(c *identity.Config, _ *auth.Options) { c.LockoutExemptAdmin = true })
		for i := 0; i < 8; i++ {
			keystoneError(t, h.do("POST", "/v3/auth/tokens", "", passwordBody("admin", "default", "guess", "")), 401)
		}
		h.adminToken()
	})
}

// TestRateLimitPerUser: twenty tokens of one user share one budget, and the
// tokens themselves are limited per user.
func TestRateLimitPerUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		stopped := time.Now()
		h := newHarness(t, st, func(c *identity.Config, o *auth.Options) {
			c.TokenIssueLimit = identity.RateLimit{Requests: 20, Per: time.Minute}
			o.Limiter = identity.NewLimiter(func() time.Time { return stopped })
			o.RateLimit = identity.RateLimit{Requests: 1000, Per: time.Minute}
			o.GroupLimits = map[string]identity.RateLimit{"cloudpods": {Requests: 30, Per: time.Minute}}
		})
		var toks []string
		for i := 0; i < 20; i++ {
			toks = append(toks, h.adminToken())
		}
		r := h.do("POST", "/v3/auth/tokens", "", passwordBody("admin", "default", adminPW, ""))
		if r.status != 429 || r.header.Get("Retry-After") == "" {
			t.Fatalf("21st token in a minute: %d %s", r.status, r.raw)
		}
		limited := 0
		for i := 0; i < 40; i++ {
			if r := h.do("GET", "/api/v2/tasks", toks[i%len(toks)], ""); r.status == 429 {
				limited++
			}
		}
		if limited != 10 {
			t.Fatalf("%d of 40 requests over 20 tokens were limited; want 10 (a budget of 30 per user)", limited)
		}
	})
}
