package apitest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/app"
	"github.com/skyfold/skyfold/internal/config"
	"github.com/skyfold/skyfold/internal/store/storetest"
)

const adminPassword = "Suite-admin-Pass-1"

// server is one running Skyfold and what the suites learned of it.
type server struct {
	t    *testing.T
	base string
	doc  map[string]any
}

// startServer runs a whole Skyfold in-process on a fresh store of kind.
func startServer(t *testing.T, kind string) *server {
	t.Helper()
	t.Setenv("SKYFOLD_ADMIN_PASSWORD", adminPassword)
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.DB = storetest.NewDSN(t, kind)
	cfg.Listen = "127.0.0.1:0"
	cfg.TaskLease = 2 * time.Second
	// The suites send thousands of calls as a handful of users: limits and
	// lockouts have their own tests.
	cfg.RateLimit, cfg.TokenIssueLimit, cfg.LockoutFailures = "off", "off", 0
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Listen(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		_ = a.Close()
	})
	s := &server{t: t, base: "http://" + a.Addr()}
	r := s.send(request{method: "GET", path: "/openapi.json"})
	if r.status != http.StatusOK {
		t.Fatalf("/openapi.json: %d", r.status)
	}
	if err := json.Unmarshal(r.raw, &s.doc); err != nil {
		t.Fatalf("/openapi.json: %v", err)
	}
	return s
}

// request is one call: raw is sent as is when set, else body as JSON.
type request struct {
	method, path string
	token        string
	body         any
	raw          []byte
	contentType  string
	requestID    string
}

type response struct {
	status    int
	raw       []byte
	header    http.Header
	requestID string
}

// json decodes the answer as an object; nil when it is not one.
func (r response) json() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(r.raw, &m)
	return m
}

func (s *server) send(q request) response {
	s.t.Helper()
	var rd io.Reader
	switch {
	case q.raw != nil:
		rd = bytes.NewReader(q.raw)
	case q.body != nil:
		b, err := json.Marshal(q.body)
		if err != nil {
			s.t.Fatalf("%s %s: %v", q.method, q.path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(q.method, s.base+q.path, rd)
	if err != nil {
		s.t.Fatalf("%s %s: %v", q.method, q.path, err)
	}
	ct := q.contentType
	if ct == "" && rd != nil {
		ct = "application/json"
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if q.token != "" {
		req.Header.Set("X-Auth-Token", q.token)
	}
	if q.requestID != "" {
		req.Header.Set("X-Request-Id", q.requestID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", q.method, q.path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, raw: raw, header: resp.Header, requestID: resp.Header.Get("X-Request-Id")}
}

// must sends q and fails the test unless the answer has status want.
func (s *server) must(q request, want int) map[string]any {
	s.t.Helper()
	r := s.send(q)
	if r.status != want {
		s.t.Fatalf("%s %s: %d, want %d: %.400s", q.method, q.path, r.status, want, r.raw)
	}
	m := r.json()
	if tok := r.header.Get("X-Subject-Token"); tok != "" && m != nil {
		m["__token"] = tok
	}
	return m
}

// login returns a token for a user of a domain, scoped to a project id,
// a domain id, or the system when both are empty.
func (s *server) login(user, domainID, password, projectID, scopeDomainID string) string {
	s.t.Helper()
	var scope map[string]any
	switch {
	case projectID != "":
		scope = map[string]any{"project": map[string]any{"id": projectID}}
	case scopeDomainID != "":
		scope = map[string]any{"domain": map[string]any{"id": scopeDomainID}}
	default:
		scope = map[string]any{"system": map[string]any{"all": true}}
	}
	body := map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{
			"user": map[string]any{"name": user, "domain": map[string]any{"id": domainID}, "password": password}}},
		"scope": scope}}
	r := s.send(request{method: "POST", path: "/v3/auth/tokens", body: body})
	if r.status != http.StatusCreated {
		s.t.Fatalf("login %s: %d %.300s", user, r.status, r.raw)
	}
	return r.header.Get("X-Subject-Token")
}

// adminLogin returns the bootstrap admin's token on the system project.
func (s *server) adminLogin() string {
	s.t.Helper()
	m := s.must(request{method: "POST", path: "/v3/auth/tokens", body: map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{
			"user": map[string]any{"name": "admin", "domain": map[string]any{"name": "Default"}, "password": adminPassword}}},
		"scope": map[string]any{"project": map[string]any{"name": "system", "domain": map[string]any{"name": "Default"}}},
	}}}, http.StatusCreated)
	return m["__token"].(string)
}

// operation is one operation of the document.
type operation struct {
	id, method, path, face string
	op                     map[string]any
}

func (o operation) String() string { return o.method + " " + o.path + " (" + o.id + ")" }

// faceOf names the face that serves path; longer prefixes first.
func faceOf(path string) string {
	for _, f := range []struct{ prefix, name string }{
		{"/api/v1/", "bridgx"}, {"/api/v2/", "cloudpods"}, {"/v3/", "keystone"}, {"/v3", "keystone"}, {"/v1/", "cloudkitty"}, {"/v1", "cloudkitty"},
	} {
		if path == f.prefix || strings.HasPrefix(path, f.prefix) {
			return f.name
		}
	}
	return ""
}

// operations lists the document's operations of the four faces, in a
// stable order.
func (s *server) operations() []operation {
	paths, _ := s.doc["paths"].(map[string]any)
	var out []operation
	for path, item := range paths {
		face := faceOf(path)
		if face == "" {
			continue
		}
		for method, o := range item.(map[string]any) {
			op, ok := o.(map[string]any)
			if !ok || !slices.Contains([]string{"get", "put", "post", "delete", "patch", "head"}, method) {
				continue
			}
			id, _ := op["operationId"].(string)
			out = append(out, operation{id: id, method: strings.ToUpper(method), path: path, face: face, op: op})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].path != out[j].path {
			return out[i].path < out[j].path
		}
		return out[i].method < out[j].method
	})
	return out
}

func isWrite(method string) bool {
	return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE"
}

// resolve follows a $ref into the document's schemas.
func (s *server) resolve(sc map[string]any) map[string]any {
	for i := 0; i < 8 && sc != nil; i++ {
		ref, _ := sc["$ref"].(string)
		if ref == "" {
			return sc
		}
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		sc, _ = dig(s.doc, "components", "schemas", name).(map[string]any)
	}
	return sc
}

func dig(m any, keys ...string) any {
	v := m
	for _, k := range keys {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[k]
	}
	return v
}

// requestSchema is the JSON schema of the operation's body, or nil.
func (s *server) requestSchema(o operation) map[string]any {
	sc, _ := dig(o.op, "requestBody", "content", "application/json", "schema").(map[string]any)
	return s.resolve(sc)
}
