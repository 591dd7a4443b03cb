package identity

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestAuditTextIsStorable(t *testing.T) {
	cases := map[string]string{
		"/v3/users/abc":           "/v3/users/abc",
		"/v3/users/a\x00b":        `/v3/users/a\u0000b`,
		"tab\there":               `tab\u0009here`,
		"bad \xff byte":           "bad \uFFFD byte",
		strings.Repeat("x", 2000): strings.Repeat("x", auditMaxText) + "…",
	}
	for in, want := range cases {
		got := auditText(in)
		if got != want {
			t.Errorf("auditText(%.40q) = %.60q, want %.60q", in, got, want)
		}
		if !utf8.ValidString(got) || strings.ContainsRune(got, 0) {
			t.Errorf("auditText(%.40q) is not storable: %q", in, got)
		}
	}
}
