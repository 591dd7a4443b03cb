package api

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCheckJSONBody(t *testing.T) {
	long := strings.Repeat("x", MaxStringBytes+1)
	cases := []struct {
		name, body, field, reason string
	}{
		{"clean", `{"name":"abc","n":1,"list":["a","b"]}`, "", ""},
		{"escaped quote and unicode", `{"name":"a\"b \u00e9 \u4e2d"}`, "", ""},
		{"NUL", `{"name":"a\u0000b"}`, "name", "NUL"},
		{"bell in an array", `{"list":["ok","\u0007"]}`, "list[1]", "U+0007"},
		{"DEL raw", "{\"name\":\"a\x7fb\"}", "name", "U+007F"},
		{"NUL in a key", `{"a\u0000":1}`, "a\x00", "field name"},
		{"top-level string", `"\u0001"`, "body", "U+0001"},
		{"invalid UTF-8", "{\"name\":\"a\xffb\"}", "body", "UTF-8"},
		{"too long", `{"desc":"` + long + `"}`, "desc", "bytes long"},
		{"malformed is left to the decoder", `{"name":"\u0000`, "", ""},
		{"a name over 255 characters", `{"user":{"name":"` + strings.Repeat("n", 256) + `"}}`, "user.name", "is 255"},
		{"a name of 255 wide characters", `{"name":"` + strings.Repeat("名", 255) + `"}`, "", ""},
		{"a long description", `{"description":"` + strings.Repeat("d", 4097) + `"}`, "description", "is 4096"},
		{"a long id in a list", `{"ids":["a"],"items":[{"project_id":"` + strings.Repeat("p", 300) + `"}]}`, "items[0].project_id", "is 255"},
		{"a Keystone token is no id", `{"auth":{"identity":{"token":{"id":"` + strings.Repeat("t", 700) + `"}}}}`, "", ""},
		{"other text may be long", `{"data":"` + strings.Repeat("x", 20000) + `"}`, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := checkJSONBody([]byte(c.body))
			if c.field == "" {
				if e != nil {
					t.Fatalf("refused: %v", e)
				}
				return
			}
			if e == nil {
				t.Fatal("accepted")
			}
			if len(e.Fields) != 1 || e.Fields[0].Field != clip(c.field) || !strings.Contains(e.Fields[0].Reason, c.reason) {
				t.Fatalf("got %+v, want field %q with %q", e.Fields, c.field, c.reason)
			}
		})
	}
}

func TestClipKeepsRunes(t *testing.T) {
	s := clip(strings.Repeat("中", 40))
	if !utf8.ValidString(s) || len(s) > 70 {
		t.Fatalf("clip = %q", s)
	}
}

// FuzzCheckJSONBody: the check never panics, and a body it accepts holds no
// string a store could choke on.
func FuzzCheckJSONBody(f *testing.F) {
	for _, s := range []string{`{"a":"b"}`, `{"a":"\u0000"}`, `[1,"\u001f",{"k":["x"]}]`, "\"\xff\"", `{"a":`, `"\ud800"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) > 1<<16 {
			return
		}
		e := checkJSONBody(body)
		if e != nil {
			if len(e.Fields) != 1 || len(e.Fields[0].Field) > 70 {
				t.Fatalf("refusal without one short field: %+v", e)
			}
			return
		}
		var v any
		if json.Unmarshal(body, &v) != nil {
			return
		}
		var walk func(any)
		walk = func(v any) {
			switch x := v.(type) {
			case string:
				if badText(x) != "" {
					t.Fatalf("accepted %q", x)
				}
			case []any:
				for _, y := range x {
					walk(y)
				}
			case map[string]any:
				for k, y := range x {
					walk(k)
					walk(y)
				}
			}
		}
		walk(v)
	})
}
