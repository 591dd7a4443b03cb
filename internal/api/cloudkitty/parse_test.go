package cloudkitty

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/rating/hashmap"
)

func TestParseTime(t *testing.T) {
	want := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, s := range []string{
		"2024-01-02T03:04:05", "2024-01-02T03:04:05Z", "2024-01-02 03:04:05", "2024-01-02 03:04:05+00:00",
		"2024-01-02T11:04:05+08:00", "2024-01-02T11:04:05 08:00", "2024-01-02T11:04:05+0800", "2024-01-02T03:04:05.000000",
		" 2024-01-02T03:04:05Z ",
	} {
		got, err := ParseTime(s)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, %v", s, got, err)
		}
	}
	if got, err := ParseTime("2024-01-02"); err != nil || !got.Equal(time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("date only = %v, %v", got, err)
	}
	for _, s := range []string{"", "yesterday", "2024-13-01T00:00:00", "1969-12-31T23:59:59", "2024-01-02T03:04:05+25:00", "2024-01-02X03:04:05"} {
		if _, err := ParseTime(s); err == nil {
			t.Errorf("ParseTime(%q) accepted", s)
		}
	}
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2024-01-02T03:04:05", "2024-01-02 03:04:05+00:00", "2024-01-02", "2024-01-02T03:04:05.123456789Z", "x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTime(s)
		if err != nil {
			return
		}
		if got.Location() != time.UTC || got.Year() < 1970 || got.Year() > 9999 {
			t.Fatalf("ParseTime(%q) = %v", s, got)
		}
		again, err := ParseTime(ckTime(got))
		if err != nil || !again.Equal(got.Truncate(time.Microsecond)) {
			t.Fatalf("round trip of %q: %v, %v", s, again, err)
		}
	})
}

func TestParseGroupBy(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "tenant_id": "tenant_id", "res_type, tenant_id": "res_type,tenant_id", "tenant_id,,tenant_id,": "tenant_id",
	} {
		got, err := ParseGroupBy(in)
		if err != nil || strings.Join(got, ",") != want {
			t.Errorf("ParseGroupBy(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"project", "tenant_id,foo", strings.Repeat("a,", 200)} {
		if _, err := ParseGroupBy(in); err == nil {
			t.Errorf("ParseGroupBy(%q) accepted", in)
		}
	}
}

func FuzzParseGroupBy(f *testing.F) {
	for _, s := range []string{"tenant_id,res_type", "res_type", " , ", "foo"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseGroupBy(s)
		if err != nil {
			return
		}
		if len(got) > 2 {
			t.Fatalf("%q: %v", s, got)
		}
		for i, g := range got {
			if g != groupTenant && g != groupResType || slices.Contains(got[i+1:], g) {
				t.Fatalf("%q: %v", s, got)
			}
		}
	})
}

// FuzzRuleBody feeds hashmap mapping and threshold bodies to the decoder.
func FuzzRuleBody(f *testing.F) {
	for _, s := range []string{
		`{"service_id":"s","cost":0.001,"type":"flat"}`, `{"field_id":"f","value":"v","cost":"2","type":"rate","start":"2099-01-01T00:00:00"}`,
		`{"level":"50","cost":0.98,"group_id":null}`, `{"cost":1e400}`, `[]`, `{"start":"x"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		b, err := parseRuleBody(raw)
		if err != nil {
			return
		}
		var m hashmap.Mapping
		if err := b.mapping(&m, true); err == nil && !m.Start.IsZero() && m.Start.Year() < 1970 {
			t.Fatalf("start %v", m.Start)
		}
		var th hashmap.Threshold
		_ = b.threshold(&th, false)
	})
}
