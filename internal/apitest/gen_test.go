package apitest_test

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// field is one value a request body can carry, found by walking its schema
// (or the sample body of an operation the document leaves undescribed).
type field struct {
	path     []string // keys from the body's root; "0" is an array's first item
	kind     string   // string, integer, number, boolean, object, array
	enum     []any
	required bool // required by its parent object
	numeric  bool // a string holding a number (a decimal price, a level)
}

func (f field) name() string { return strings.Join(f.path, ".") }

// fixtures are ids of objects made before the walk, for path parameters
// and for fields that name another object.
type fixtures map[string]string

// bodyMaker builds plausible request bodies and lists their fields.
type bodyMaker struct {
	s   *server
	fx  fixtures
	seq *int
}

func (b bodyMaker) unique(prefix string) string {
	*b.seq++
	return fmt.Sprintf("%s%d", prefix, *b.seq)
}

// schemaType is the schema's type, with "null" dropped from a list.
func schemaType(sc map[string]any) string {
	switch t := sc["type"].(type) {
	case string:
		return t
	case []any:
		for _, x := range t {
			if s, _ := x.(string); s != "" && s != "null" {
				return s
			}
		}
	}
	if _, ok := sc["properties"]; ok {
		return "object"
	}
	return ""
}

// plausible is a valid-looking value for a string field called name.
func (b bodyMaker) plausible(name string) string {
	n := strings.ToLower(name)
	for key, id := range b.fx {
		if n == key {
			return id
		}
	}
	switch {
	case n == "domain_id" || n == "domain":
		return b.fx["domain_id"]
	case n == "project_id" || n == "tenant_id" || n == "tenant" || n == "default_project_id" || n == "project":
		return b.fx["project_id"]
	case strings.Contains(n, "password"):
		return "Suite-Pass-12345"
	case strings.Contains(n, "email"):
		return b.unique("user") + "@example.com"
	case strings.Contains(n, "url"):
		return "http://127.0.0.1:9/"
	case n == "cost" || n == "level" || n == "price":
		return "1.5"
	case n == "start" || n == "end" || strings.HasSuffix(n, "_at") || strings.Contains(n, "time"):
		return "2030-01-01T00:00:00Z"
	case n == "scope":
		return "project"
	case n == "name" || strings.HasSuffix(n, "_name"):
		return b.unique("bi-")
	}
	return b.unique("v")
}

// value builds a valid-looking value for a schema; name is the key it sits
// under.
func (b bodyMaker) value(sc map[string]any, name string, depth int) any {
	sc = b.s.resolve(sc)
	if sc == nil {
		return b.plausible(name)
	}
	if e, _ := sc["enum"].([]any); len(e) > 0 {
		return e[0]
	}
	switch schemaType(sc) {
	case "string":
		if f, _ := sc["format"].(string); f == "date-time" {
			return "2030-01-01T00:00:00Z"
		}
		v := b.plausible(name)
		if ml, ok := sc["maxLength"].(float64); ok && len(v) > int(ml) {
			v = v[:int(ml)]
		}
		return v
	case "integer", "number":
		if mn, ok := sc["minimum"].(float64); ok && mn > 1 {
			return mn
		}
		return 1
	case "boolean":
		return true
	case "array":
		if depth > 3 {
			return []any{}
		}
		items, _ := sc["items"].(map[string]any)
		return []any{b.value(items, name, depth+1)}
	case "object":
		out := map[string]any{}
		if depth > 3 {
			return out
		}
		props, _ := sc["properties"].(map[string]any)
		for _, r := range required(sc) {
			p, _ := props[r].(map[string]any)
			out[r] = b.value(p, r, depth+1)
		}
		// The usual identity fields too, so that a create is valid and a
		// bad value elsewhere is what the answer is about.
		for _, r := range []string{"name", "domain_id", "scope"} {
			if p, ok := props[r].(map[string]any); ok {
				if _, done := out[r]; !done {
					out[r] = b.value(p, r, depth+1)
				}
			}
		}
		return out
	}
	return b.plausible(name)
}

func required(sc map[string]any) []string {
	var out []string
	rs, _ := sc["required"].([]any)
	for _, r := range rs {
		if s, ok := r.(string); ok {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// fields lists the leaves and containers of a schema, each once, up to a
// depth, in a stable order.
func (b bodyMaker) fields(sc map[string]any) []field {
	var out []field
	var walk func(sc map[string]any, at []string, req bool, depth int)
	walk = func(sc map[string]any, at []string, req bool, depth int) {
		sc = b.s.resolve(sc)
		if sc == nil || depth > 4 {
			return
		}
		t := schemaType(sc)
		e, _ := sc["enum"].([]any)
		if len(at) > 0 && t != "" {
			out = append(out, field{path: append([]string(nil), at...), kind: t, enum: e, required: req})
		}
		switch t {
		case "object":
			props, _ := sc["properties"].(map[string]any)
			names := make([]string, 0, len(props))
			for n := range props {
				names = append(names, n)
			}
			sort.Strings(names)
			req := required(sc)
			for _, n := range names {
				p, _ := props[n].(map[string]any)
				walk(p, append(at, n), contains(req, n), depth+1)
			}
		case "array":
			items, _ := sc["items"].(map[string]any)
			walk(items, append(at, "0"), false, depth+1)
		}
	}
	walk(sc, nil, false, 0)
	return out
}

// sampleFields lists the fields of a sample body, typed by their values.
func sampleFields(v any, at []string) []field {
	var out []field
	switch x := v.(type) {
	case map[string]any:
		if len(at) > 0 {
			out = append(out, field{path: append([]string(nil), at...), kind: "object", required: true})
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			out = append(out, sampleFields(x[k], append(append([]string(nil), at...), k))...)
		}
	case []any:
		out = append(out, field{path: append([]string(nil), at...), kind: "array", required: true})
		if len(x) > 0 {
			out = append(out, sampleFields(x[0], append(append([]string(nil), at...), "0"))...)
		}
	case string:
		_, err := strconv.ParseFloat(x, 64)
		out = append(out, field{path: append([]string(nil), at...), kind: "string", required: true, numeric: err == nil})
	case float64, int, json.Number:
		out = append(out, field{path: append([]string(nil), at...), kind: "number", required: true})
	case bool:
		out = append(out, field{path: append([]string(nil), at...), kind: "boolean", required: true})
	}
	return out
}

// clone deep-copies a JSON value.
func clone(v any) any {
	raw, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(raw, &out)
	return out
}

// set puts v at path in body, making the objects on the way; del removes
// the key instead when v is deleteMarker. It reports whether the path
// could be reached.
func set(body any, path []string, v any) bool {
	cur := body
	for i, k := range path {
		last := i == len(path)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				if v == deleteMarker {
					delete(c, k)
				} else {
					c[k] = v
				}
				return true
			}
			next, ok := c[k]
			if !ok || next == nil {
				if path[i+1] == "0" {
					next = []any{map[string]any{}}
				} else {
					next = map[string]any{}
				}
				c[k] = next
			}
			cur = next
		case []any:
			if len(c) == 0 {
				return false
			}
			if last {
				if v != deleteMarker {
					c[0] = v
				}
				return true
			}
			if c[0] == nil {
				c[0] = map[string]any{}
			}
			cur = c[0]
		default:
			return false
		}
	}
	return false
}

type marker struct{}

var deleteMarker any = marker{}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
