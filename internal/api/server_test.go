package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"

	"github.com/skyfold/skyfold/internal/api"
	"github.com/skyfold/skyfold/internal/errs"
)

type echoIn struct {
	Body struct {
		Name string `json:"name" minLength:"2"`
		Size int    `json:"size,omitempty" minimum:"0"`
	}
}

type echoOut struct {
	Body struct {
		Name string `json:"name"`
	}
}

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	s := api.New(api.Options{BodyLimit: 2048})
	for _, prefix := range []string{"/v3", "/api/v2", "/api/v1", "/api", "/v1", "/x"} {
		api.Register(s, huma.Operation{OperationID: "echo" + strings.ReplaceAll(prefix, "/", "-"), Method: http.MethodPost, Path: prefix + "/echo"},
			func(ctx context.Context, in *echoIn) (*echoOut, error) {
				if in.Body.Name == "missing" {
					return nil, errs.NotFoundf("thing", "missing")
				}
				if in.Body.Name == "boom" {
					panic("boom")
				}
				out := &echoOut{}
				out.Body.Name = in.Body.Name
				return out, nil
			})
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, method, url, body string) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(raw) > 0 && json.Unmarshal(raw, &m) != nil {
		t.Fatalf("%s %s: body is not JSON: %s", method, url, raw)
	}
	return resp.StatusCode, resp.Header, m
}

// TestEnvelopes checks that each face answers errors in its own envelope.
func TestEnvelopes(t *testing.T) {
	srv := newServer(t)
	cases := []struct {
		name, method, path, body string
		status                   int
		check                    func(t *testing.T, m map[string]any)
	}{
		{"keystone invalid json", "POST", "/v3/echo", "{bad", 400, func(t *testing.T, m map[string]any) {
			e := m["error"].(map[string]any)
			if e["code"].(float64) != 400 || e["title"] != "Bad Request" || e["message"] == "" {
				t.Fatalf("%v", m)
			}
		}},
		{"cloudpods validation", "POST", "/api/v2/echo", `{"name":"a"}`, 400, func(t *testing.T, m map[string]any) {
			e := m["error"].(map[string]any)
			if e["class"] != "InputParameterError" || !strings.Contains(e["details"].(string), "name") {
				t.Fatalf("%v", m)
			}
			f := e["fields"].([]any)[0].(map[string]any)
			if f["field"] != "name" {
				t.Fatalf("field %v", f)
			}
		}},
		{"bridgx invalid", "POST", "/api/v1/echo", `{"name":"a"}`, 400, func(t *testing.T, m map[string]any) {
			if m["code"].(float64) != 400 || m["msg"] != "param_invalid" || m["data"] != nil {
				t.Fatalf("%v", m)
			}
		}},
		{"cloudlens not found", "POST", "/api/echo", `{"name":"missing"}`, 404, func(t *testing.T, m map[string]any) {
			if m["success"] != false || m["error_type"] != "NotFoundError" || m["endpoint"] != "echo-api" {
				t.Fatalf("%v", m)
			}
		}},
		{"cloudkitty invalid", "POST", "/v1/echo", `[]`, 400, func(t *testing.T, m map[string]any) {
			if m["faultcode"] != "Client" || m["faultstring"] == "" {
				t.Fatalf("%v", m)
			}
		}},
		{"plain problem", "POST", "/x/echo", `{"name":"a"}`, 400, func(t *testing.T, m map[string]any) {
			if m["status"].(float64) != 400 {
				t.Fatalf("%v", m)
			}
		}},
		{"unknown route", "GET", "/api/v2/nope", "", 404, func(t *testing.T, m map[string]any) {
			if m["error"].(map[string]any)["class"] != "ResourceNotFoundError" {
				t.Fatalf("%v", m)
			}
		}},
		{"wrong method", "GET", "/api/v1/echo", "", 405, func(t *testing.T, m map[string]any) {
			if m["msg"] != "method_not_allowed" {
				t.Fatalf("%v", m)
			}
		}},
		{"oversize body", "POST", "/api/v2/echo", `{"name":"` + strings.Repeat("x", 4096) + `"}`, 413, func(t *testing.T, m map[string]any) {
			if m["error"].(map[string]any)["class"] != "PayloadTooLargeError" {
				t.Fatalf("%v", m)
			}
		}},
		{"panic is 500 without details", "POST", "/v3/echo", `{"name":"boom"}`, 500, func(t *testing.T, m map[string]any) {
			if msg, _ := m["error"].(map[string]any)["message"].(string); !strings.HasPrefix(msg, "internal error (request id ") {
				t.Fatalf("%v", m)
			}
		}},
		{"NUL in a field", "POST", "/api/v2/echo", `{"name":"a\u0000b"}`, 400, func(t *testing.T, m map[string]any) {
			e := m["error"].(map[string]any)
			f := e["fields"].([]any)[0].(map[string]any)
			if f["field"] != "name" || !strings.Contains(f["reason"].(string), "NUL") {
				t.Fatalf("%v", m)
			}
		}},
		{"control character", "POST", "/api/v1/echo", `{"name":"\u001b[31m"}`, 400, func(t *testing.T, m map[string]any) {
			f := m["fields"].([]any)[0].(map[string]any)
			if f["field"] != "name" || !strings.Contains(f["reason"].(string), "U+001B") {
				t.Fatalf("%v", m)
			}
		}},
		{"NUL in the query", "POST", "/v3/echo?x=a%00b", `{"name":"abc"}`, 400, func(t *testing.T, m map[string]any) {
			if !strings.Contains(m["error"].(map[string]any)["message"].(string), "x: contains a NUL") {
				t.Fatalf("%v", m)
			}
		}},
		{"newline and tab are text", "POST", "/api/v1/echo", `{"name":"a\nb\tc"}`, 200, func(t *testing.T, m map[string]any) {
			if m["name"] != "a\nb\tc" {
				t.Fatalf("%v", m)
			}
		}},
		{"ok", "POST", "/api/v1/echo", `{"name":"abc"}`, 200, func(t *testing.T, m map[string]any) {
			if m["name"] != "abc" {
				t.Fatalf("%v", m)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, h, m := do(t, c.method, srv.URL+c.path, c.body)
			if st != c.status {
				t.Fatalf("status %d, want %d: %v", st, c.status, m)
			}
			if h.Get("X-Request-Id") == "" {
				t.Fatal("no X-Request-Id")
			}
			c.check(t, m)
		})
	}
}

// TestContentType checks that a body that is not JSON is refused with 415
// in the face's envelope, never 500.
func TestContentType(t *testing.T) {
	srv := newServer(t)
	for _, c := range []struct {
		path, ct string
		status   int
		check    func(m map[string]any) bool
	}{
		{"/api/v2/echo", "text/plain", 415, func(m map[string]any) bool {
			return m["error"].(map[string]any)["class"] == "UnsupportedMediaTypeError"
		}},
		{"/api/v1/echo", "application/x-www-form-urlencoded", 415, func(m map[string]any) bool { return m["msg"] == "unsupported_media_type" }},
		{"/v1/echo", "application/xml", 415, func(m map[string]any) bool { return m["faultcode"] == "Client" }},
		{"/v3/echo", "application/json; charset=utf-8", 200, func(m map[string]any) bool { return m["name"] == "abc" }},
		{"/v3/echo", "application/merge-patch+json", 200, func(m map[string]any) bool { return m["name"] == "abc" }},
		{"/v3/echo", "", 200, func(m map[string]any) bool { return m["name"] == "abc" }},
	} {
		req, _ := http.NewRequest("POST", srv.URL+c.path, strings.NewReader(`{"name":"abc"}`))
		req.Header.Del("Content-Type")
		if c.ct != "" {
			req.Header.Set("Content-Type", c.ct)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		resp.Body.Close()
		if resp.StatusCode != c.status || !c.check(m) {
			t.Errorf("%s with %q: %d %v, want %d", c.path, c.ct, resp.StatusCode, m, c.status)
		}
	}
}

func TestRequestIDEchoed(t *testing.T) {
	srv := newServer(t)
	req, _ := http.NewRequest("GET", srv.URL+"/healthz", nil)
	req.Header.Set("X-Request-Id", "abc-123")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("X-Request-Id") != "abc-123" {
		t.Fatalf("got %q", resp.Header.Get("X-Request-Id"))
	}
}

func TestOpenAPIAndDocs(t *testing.T) {
	srv := newServer(t)
	st, _, m := do(t, "GET", srv.URL+"/openapi.json", "")
	if st != 200 || !strings.HasPrefix(m["openapi"].(string), "3.1") {
		t.Fatalf("openapi: %d %v", st, m["openapi"])
	}
	raw, _ := json.Marshal(m)
	schemas := m["components"].(map[string]any)["schemas"].(map[string]any)
	// Every $ref must resolve.
	for _, part := range strings.Split(string(raw), `"$ref":"#/components/schemas/`)[1:] {
		name := part[:strings.IndexByte(part, '"')]
		if _, ok := schemas[name]; !ok {
			t.Fatalf("dangling $ref %s", name)
		}
	}
	resp, err := http.Get(srv.URL + "/docs")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "/openapi.json") {
		t.Fatalf("docs: %d", resp.StatusCode)
	}
	for _, bad := range []string{"https://", "http://", "cdn"} {
		if strings.Contains(string(body), bad) {
			t.Fatalf("docs page references %q: it must work offline", bad)
		}
	}
	resp, err = http.Get(srv.URL + "/openapi.yaml")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("openapi.yaml: %v %d", err, resp.StatusCode)
	}
	resp.Body.Close()
}

func TestMetrics(t *testing.T) {
	srv := newServer(t)
	do(t, "POST", srv.URL+"/api/v1/echo", `{"name":"abc"}`)
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `skyfold_http_requests_total{method="POST",route="POST /api/v1/echo",status="200"} 1`) {
		t.Fatalf("metrics missing request counter:\n%s", body)
	}
}

type pathIn struct {
	ID string `path:"id"`
}

func TestPathParameters(t *testing.T) {
	s := api.New(api.Options{})
	api.Register(s, huma.Operation{OperationID: "get-thing", Method: http.MethodGet, Path: "/api/v2/things/{id}"},
		func(ctx context.Context, in *pathIn) (*echoOut, error) {
			out := &echoOut{}
			out.Body.Name = in.ID
			return out, nil
		})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	st, _, m := do(t, "GET", srv.URL+"/api/v2/things/abc", "")
	if st != 200 || m["name"] != "abc" {
		t.Fatalf("%d %v", st, m)
	}
}
