package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/skyfold/skyfold/internal/app"
	"github.com/skyfold/skyfold/internal/config"
	"github.com/skyfold/skyfold/internal/store/storetest"
)

// faces maps a path prefix onto the face that serves it; longer prefixes
// first, since /api/v1 and /api/v2 both start with /api.
var faces = []struct{ prefix, name string }{
	{"/api/v1/", "bridgx"}, {"/api/v2/", "cloudpods"}, {"/v3/", "keystone"}, {"/v3", "keystone"}, {"/v1/", "cloudkitty"}, {"/v1", "cloudkitty"},
}

func faceOf(path string) string {
	for _, f := range faces {
		if path == f.prefix || strings.HasPrefix(path, f.prefix) {
			return f.name
		}
	}
	return ""
}

// TestOpenAPIDescribesEveryResponse builds the whole server and fails on
// any operation of the four faces whose success answer the document leaves
// blank: no success response, a body without a schema, or a schema with a
// part that says nothing of what it holds (what an untyped Go value such
// as map[string]any or any becomes). A success response without content
// is allowed only as 204, the one status that promises no body, and for
// HEAD, which never has one. An object whose other keys are deliberately
// open says so (additionalProperties: true) and passes; what map[string]any
// becomes (additionalProperties: {}) does not.
func TestOpenAPIDescribesEveryResponse(t *testing.T) {
	doc := openAPIDocument(t)
	paths, _ := doc["paths"].(map[string]any)
	schemas, _ := dig(doc, "components", "schemas").(map[string]any)
	if len(paths) == 0 || len(schemas) == 0 {
		t.Fatalf("the document has %d paths and %d schemas", len(paths), len(schemas))
	}
	seen := map[string]int{}
	bad := map[string][]string{}
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
			seen[face]++
			name := strings.ToUpper(method) + " " + path
			if id, _ := op["operationId"].(string); id != "" {
				name += " (" + id + ")"
			}
			for _, problem := range responseProblems(method, op, schemas) {
				bad[face] = append(bad[face], name+": "+problem)
			}
		}
	}
	for _, face := range []string{"bridgx", "cloudpods", "keystone", "cloudkitty"} {
		if seen[face] == 0 {
			t.Errorf("%s: no operations in the document", face)
		}
		if len(bad[face]) == 0 {
			continue
		}
		sort.Strings(bad[face])
		t.Errorf("%s: %d of %d operations have an undescribed success response:\n  %s",
			face, len(bad[face]), seen[face], strings.Join(bad[face], "\n  "))
	}
}

// TestBlankSchemaParts checks the check itself on hand-made documents.
func TestBlankSchemaParts(t *testing.T) {
	schemas := map[string]any{
		"Typed":   map[string]any{"type": "object", "properties": map[string]any{"a": map[string]any{"type": "string"}}},
		"Untyped": map[string]any{"type": "object", "properties": map[string]any{"data": map[string]any{}}},
		"Loop":    map[string]any{"type": "object", "properties": map[string]any{"next": map[string]any{"$ref": "#/components/schemas/Loop"}}},
		"Free":    map[string]any{"type": "object", "additionalProperties": map[string]any{}},
	}
	ref := func(n string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + n} }
	cases := []struct {
		schema map[string]any
		want   []string
	}{
		{ref("Typed"), nil},
		{ref("Loop"), nil},
		{ref("Untyped"), []string{"data"}},
		{map[string]any{"type": "array", "items": ref("Untyped")}, []string{"[].data"}},
		{ref("Free"), []string{"{}"}},
		{map[string]any{}, []string{"(the body)"}},
	}
	for _, c := range cases {
		if got := blankParts(c.schema, schemas); !slices.Equal(got, c.want) {
			t.Errorf("blankParts(%v) = %v, want %v", c.schema, got, c.want)
		}
	}
	op := map[string]any{"responses": map[string]any{"200": map[string]any{"description": "OK"}}}
	if got := responseProblems("get", op, schemas); len(got) != 1 {
		t.Errorf("a 200 without content passed: %v", got)
	}
	op = map[string]any{"responses": map[string]any{"204": map[string]any{"description": "No Content"}}}
	if got := responseProblems("get", op, schemas); len(got) != 0 {
		t.Errorf("a 204 failed: %v", got)
	}
	op = map[string]any{"responses": map[string]any{"default": map[string]any{"description": "Error"}}}
	if got := responseProblems("get", op, schemas); len(got) != 1 {
		t.Errorf("an operation without a success response passed: %v", got)
	}
}

func openAPIDocument(t *testing.T) map[string]any {
	t.Helper()
	t.Setenv("SKYFOLD_ADMIN_PASSWORD", "openapi-Check-1")
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.DB = storetest.NewDSN(t, storetest.Kinds()[0])
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	srv := httptest.NewServer(a.Server.Handler())
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/openapi.json: %d %v", resp.StatusCode, err)
	}
	return doc
}

// responseProblems lists what is missing from an operation's success
// responses.
func responseProblems(method string, op, schemas map[string]any) []string {
	responses, _ := op["responses"].(map[string]any)
	var out []string
	success := 0
	for code, r := range responses {
		if !strings.HasPrefix(code, "2") {
			continue
		}
		success++
		content, _ := r.(map[string]any)["content"].(map[string]any)
		if len(content) == 0 {
			if code != "204" && method != "head" {
				out = append(out, code+" has no content")
			}
			continue
		}
		for ctype, mt := range content {
			s, _ := mt.(map[string]any)["schema"].(map[string]any)
			if s == nil {
				out = append(out, code+" "+ctype+" has no schema")
				continue
			}
			for _, p := range blankParts(s, schemas) {
				out = append(out, code+" "+ctype+": "+p+" has a blank schema")
			}
		}
	}
	if success == 0 {
		out = append(out, "no success response")
	}
	sort.Strings(out)
	return out
}

// blankParts lists the parts of a schema that do not say what they hold,
// by their path in the body.
func blankParts(s, schemas map[string]any) []string {
	var out []string
	var walk func(s map[string]any, at string, refs []string)
	walk = func(s map[string]any, at string, refs []string) {
		if ref, _ := s["$ref"].(string); ref != "" {
			name := strings.TrimPrefix(ref, "#/components/schemas/")
			if slices.Contains(refs, name) {
				return
			}
			target, _ := schemas[name].(map[string]any)
			if target == nil {
				out = append(out, label(at)+" (unknown "+ref+")")
				return
			}
			walk(target, at, append(refs, name))
			return
		}
		described := false
		for _, k := range []string{"type", "oneOf", "anyOf", "allOf", "enum", "const"} {
			if _, ok := s[k]; ok {
				described = true
			}
		}
		if !described {
			out = append(out, label(at))
			return
		}
		for _, k := range []string{"oneOf", "anyOf", "allOf"} {
			alts, _ := s[k].([]any)
			for _, a := range alts {
				if m, ok := a.(map[string]any); ok {
					walk(m, at, refs)
				}
			}
		}
		props, _ := s["properties"].(map[string]any)
		for name, p := range props {
			if m, ok := p.(map[string]any); ok {
				walk(m, join(at, name), refs)
			}
		}
		if items, ok := s["items"].(map[string]any); ok {
			walk(items, at+"[]", refs)
		}
		if ap, ok := s["additionalProperties"].(map[string]any); ok {
			walk(ap, at+"{}", refs)
		}
	}
	walk(s, "", nil)
	sort.Strings(out)
	return out
}

func join(at, name string) string {
	if at == "" {
		return name
	}
	return at + "." + name
}

func label(at string) string {
	if at == "" {
		return "(the body)"
	}
	return at
}

func dig(m map[string]any, keys ...string) any {
	var v any = m
	for _, k := range keys {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[k]
	}
	return v
}
