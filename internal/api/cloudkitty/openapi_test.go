package cloudkitty_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestOpenAPIDescribesEveryResponse fails on a CloudKitty operation whose
// success answer the OpenAPI document leaves blank: a body without a
// schema, or a free-form object (what a map[string]any answer shows).
func TestOpenAPIDescribesEveryResponse(t *testing.T) {
	c := startApp(t, "sqlite")
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]map[string]any `json:"schemas"`
		} `json:"components"`
	}
	st, raw := c.do("GET", "/openapi.json", nil)
	if st != 200 {
		t.Fatalf("openapi.json: %d", st)
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	n := 0
	for path, ops := range doc.Paths {
		if !strings.HasPrefix(path, "/v1/") && !strings.HasPrefix(path, "/v2/scope") {
			continue
		}
		for method, rawOp := range ops {
			var op struct {
				Responses map[string]struct {
					Content map[string]struct {
						Schema map[string]any `json:"schema"`
					} `json:"content"`
				} `json:"responses"`
			}
			if err := json.Unmarshal(rawOp, &op); err != nil {
				continue // not an operation (parameters, summary)
			}
			n++
			ok := false
			for code, r := range op.Responses {
				if !strings.HasPrefix(code, "2") {
					continue
				}
				if len(r.Content) == 0 {
					// 204, and 202 for work started, answer no body.
					ok = code == "204" || code == "202"
					continue
				}
				for _, media := range r.Content {
					s := media.Schema
					if ref, _ := s["$ref"].(string); ref != "" {
						s = doc.Components.Schemas[ref[strings.LastIndex(ref, "/")+1:]]
					}
					freeForm := s["type"] == "object" && s["properties"] == nil
					ok = s != nil && !freeForm
				}
			}
			if !ok {
				t.Errorf("%s %s: success response without a schema", strings.ToUpper(method), path)
			}
		}
	}
	if n < 60 {
		t.Errorf("only %d CloudKitty operations in the document", n)
	}
}
