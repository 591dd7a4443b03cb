package bridgx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/api/bridgx"
	"github.com/skyfold/skyfold/internal/app"
	_ "github.com/skyfold/skyfold/internal/cloud/all"
	"github.com/skyfold/skyfold/internal/config"
	aliyunsim "github.com/skyfold/skyfold/internal/sim/aliyun"
	"github.com/skyfold/skyfold/internal/store/storetest"
)

const (
	adminPassword = "Adm1n-pass-for-tests"
	simKey        = "LTAI5tEXAMPLEKEYID00002"
	simSecret     = "EXAMPLEsecretEXAMPLEsecret0002"
	simAccountID  = "1423762516458389"
)

// client talks to a Skyfold with a token.
type client struct {
	t     *testing.T
	base  string
	token string
}

// call sends a request; body is sent as is when it is a string or []byte,
// else as JSON.
func (c *client) call(method, path string, query url.Values, body any) (int, map[string]any) {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, _ := http.NewRequest(method, u, rd)
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("X-Auth-Token", c.token)
	}
	t0 := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	if d := time.Since(t0); d > 500*time.Millisecond {
		c.t.Logf("slow: %s %s took %s", method, path, d.Round(time.Millisecond))
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	m := map[string]any{}
	if len(raw) > 0 {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			c.t.Fatalf("%s %s: not a JSON object: %s", method, path, raw)
		}
	}
	if tok := resp.Header.Get("X-Subject-Token"); tok != "" {
		m["__token"] = tok
	}
	return resp.StatusCode, m
}

// ok sends a request that must answer 200 with BridgX's success envelope
// and returns data.
func (c *client) ok(method, path string, query url.Values, body any) any {
	c.t.Helper()
	st, m := c.call(method, path, query, body)
	if st != http.StatusOK || m["msg"] != "success" || m["code"] != json.Number("200") {
		c.t.Fatalf("%s %s %v: %d %v", method, path, query, st, m)
	}
	if _, has := m["data"]; !has {
		c.t.Fatalf("%s %s: no data in %v", method, path, m)
	}
	return m["data"]
}

// fails sends a request that must fail with status and BridgX's error
// envelope, and returns the detail.
func (c *client) fails(method, path string, query url.Values, body any, status int, msg string) string {
	c.t.Helper()
	st, m := c.call(method, path, query, body)
	if st != status || m["msg"] != msg || m["code"] != json.Number(itoa(status)) {
		c.t.Fatalf("%s %s %v: got %d %v, want %d %s", method, path, query, st, m, status, msg)
	}
	if d, has := m["data"]; !has || d != nil {
		c.t.Fatalf("%s %s: error data must be null: %v", method, path, m)
	}
	d, _ := m["detail"].(string)
	return d
}

func itoa(n int) string { return strconv.Itoa(n) }

// world is a whole Skyfold in-process with an Aliyun simulator and one
// connected account.
type world struct {
	c   *client
	sim *aliyunsim.Server
	url string
}

func startWorld(t *testing.T, kind string, quota int) *world {
	t.Helper()
	sim, err := aliyunsim.New(aliyunsim.Config{Accounts: []aliyunsim.Account{{AccessKeyID: simKey, AccessKeySecret: simSecret,
		AccountID: simAccountID, Name: "bridgx", MaxInstances: quota}}, StateDelay: 20 * time.Millisecond, Seed: 3,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(func() { srv.Close(); _ = sim.Close() })

	t.Setenv("SKYFOLD_ADMIN_PASSWORD", adminPassword)
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.DB = storetest.NewDSN(t, kind)
	cfg.Listen = "127.0.0.1:0"
	cfg.TaskLease = 2 * time.Second
	cfg.RateLimit = "off"
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
	c := &client{t: t, base: "http://" + a.Addr()}
	st, tok := c.call("POST", "/v3/auth/tokens", nil, map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{
			"user": map[string]any{"name": "admin", "domain": map[string]any{"name": "Default"}, "password": adminPassword}}},
		"scope": map[string]any{"project": map[string]any{"name": "system", "domain": map[string]any{"name": "Default"}}},
	}})
	if st != http.StatusCreated {
		t.Fatalf("token: %d %v", st, tok)
	}
	c.token = tok["__token"].(string)
	st, acct := c.call("POST", "/api/v2/cloudaccounts", nil, map[string]any{"name": "bridgx", "provider": "Aliyun", "access_url": srv.URL,
		"access_key_id": simKey, "access_key_secret": simSecret, "enabled": true,
		"sub_accounts": map[string]any{"cloudregions": []map[string]any{{"id": "Aliyun/cn-qingdao"}, {"id": "Aliyun/cn-hangzhou"}}}})
	if st != http.StatusOK {
		t.Fatalf("connect account: %d %v", st, acct)
	}
	id := acct["id"].(string)
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, m := c.call("GET", "/api/v2/cloudaccounts/"+id, nil, nil)
		if m["sync_status"] == "idle" && m["status"] == "connected" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("first sync: %v", m)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return &world{c: c, sim: sim, url: srv.URL}
}

// waitTask polls task/info until the task has ended.
func (w *world) waitTask(t *testing.T, id string, within time.Duration) map[string]any {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		d := w.c.ok("GET", "/api/v1/task/info/"+id, nil, nil).(map[string]any)
		if st := d["status"]; st != "INIT" && st != "RUNNING" {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %s: %v", id, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// seed is seed 002's examples (testdata), split into sections by their ###
// headings.
type seed struct {
	sections map[string]string // title (without the number) → text
}

var headingRE = regexp.MustCompile(`(?m)^### (?:<span[^>]*>)?\d+\.\s*([^<\n]+?)(?:</span>)?\s*$`)

func loadSeed(t *testing.T) *seed {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "seed002_examples.md"))
	if err != nil {
		t.Fatalf("seed 002's examples: %v", err)
	}
	text := string(raw)
	s := &seed{sections: map[string]string{}}
	locs := headingRE.FindAllStringSubmatchIndex(text, -1)
	for i, l := range locs {
		end := len(text)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		title := strings.TrimSpace(text[l[2]:l[3]])
		s.sections[title] = text[l[1]:end]
	}
	return s
}

func (s *seed) section(t *testing.T, title string) string {
	t.Helper()
	sec, ok := s.sections[title]
	if !ok {
		t.Fatalf("seed 002 has no section %q", title)
	}
	return sec
}

var (
	jsonBlockRE = regexp.MustCompile("(?s)```JSON\\s*(.*?)```")
	rowRE       = regexp.MustCompile(`(?s)<tr>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*</tr>`)
	maskedNumRE = regexp.MustCompile(`(\d+)\*\*(\d+)`)
	commentRE   = regexp.MustCompile(`//[^\n"]*\n`)
)

// requestExample returns a section's request example: a JSON body (raw,
// as printed), or the name/value rows of its table, or a path.
func (s *seed) requestExample(t *testing.T, title string) (body string, params [][2]string, path string) {
	t.Helper()
	sec := s.section(t, title)
	i := strings.Index(sec, "**请求示例**")
	if i < 0 {
		t.Fatalf("%s: no request example", title)
	}
	rest := sec[i+len("**请求示例**"):]
	if j := strings.Index(rest, "**响应示例**"); j >= 0 {
		rest = rest[:j]
	}
	if m := jsonBlockRE.FindStringSubmatch(rest); m != nil {
		return strings.TrimSpace(m[1]), nil, ""
	}
	if strings.Contains(rest, "<table>") {
		for _, r := range rowRE.FindAllStringSubmatch(rest, -1) {
			name, val := strings.TrimSpace(r[1]), strings.TrimSpace(r[2])
			if name == "名称" {
				continue
			}
			params = append(params, [2]string{name, val})
		}
		return "", params, ""
	}
	return "", nil, strings.TrimSpace(rest)
}

// responseExample returns a section's success example, made valid JSON
// (masked digits joined, comments and trailing commas dropped).
func (s *seed) responseExample(t *testing.T, title string) any {
	t.Helper()
	sec := s.section(t, title)
	i := strings.Index(sec, "正常返回结果")
	if i < 0 {
		t.Fatalf("%s: no success example", title)
	}
	m := jsonBlockRE.FindStringSubmatch(sec[i:])
	if m == nil {
		t.Fatalf("%s: no success JSON", title)
	}
	text := maskedNumRE.ReplaceAllString(m[1], "$1$2")
	text = commentRE.ReplaceAllString(text, "\n")
	dec := json.NewDecoder(bytes.NewReader(bridgx.RelaxJSON([]byte(text))))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%s: seed example is not JSON after cleaning: %v\n%s", title, err, text)
	}
	return v
}

// sameShape checks that got has every field golden has, at the same place
// and of the same JSON kind (lists are compared by their first element).
func sameShape(t *testing.T, where string, golden, got any) {
	t.Helper()
	switch g := golden.(type) {
	case map[string]any:
		m, ok := got.(map[string]any)
		if !ok {
			t.Errorf("%s: want an object, got %T %v", where, got, got)
			return
		}
		for k, gv := range g {
			v, has := m[k]
			if !has {
				t.Errorf("%s: field %q missing (have %v)", where, k, keys(m))
				continue
			}
			sameShape(t, where+"."+k, gv, v)
		}
	case []any:
		l, ok := got.([]any)
		if !ok {
			t.Errorf("%s: want a list, got %T", where, got)
			return
		}
		if len(g) > 0 && len(l) > 0 {
			sameShape(t, where+"[0]", g[0], l[0])
		}
	case nil:
		if got != nil && where == "data" {
			t.Errorf("%s: want null, got %v", where, got)
		}
	default:
		if kind(golden) != kind(got) && got != nil {
			t.Errorf("%s: want a %s like %v, got %s %v", where, kind(golden), golden, kind(got), got)
		}
	}
}

func kind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case json.Number, float64:
		return "number"
	case bool:
		return "bool"
	case map[string]any:
		return "object"
	case []any:
		return "list"
	}
	return "null"
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
