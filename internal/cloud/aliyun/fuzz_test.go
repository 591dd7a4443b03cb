package aliyun

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/cloud"
)

func FuzzClassify(f *testing.F) {
	for _, c := range []string{"Throttling.User", "InvalidAccessKeyId.NotFound", "QuotaExceed.ElasticQuota",
		"InvalidInstanceId.NotFound", "Account.Arrearage", "InvalidCidrBlock.Malformed", "DryRunOperation", "", "<nil>",
		"Forbidden.RAM", "IncorrectInstanceStatus", "xx.notfound", "THROTTLING", "\xff"} {
		f.Add(c, 400)
	}
	f.Fuzz(func(t *testing.T, code string, status int) {
		k := classify(code, status)
		if k == nil {
			t.Fatalf("classify(%q, %d) = nil", code, status)
		}
		if k == errDryRunPassed && code != "DryRunOperation" {
			t.Fatalf("classify(%q) = dry run", code)
		}
		if k2 := classify(code, status); k2 != k {
			t.Fatalf("classify(%q) not deterministic", code)
		}
		if k != errDryRunPassed && cloud.DomainCode(k) == "" {
			t.Fatalf("no domain code for %v", k)
		}
	})
}

func FuzzParseEndpoint(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1:8080", "https://ecs.aliyuncs.com", "127.0.0.1:9", "http://[::1]:80/",
		"ftp://x", "http://h:0", "http://u@h", "", " http://h ", "http://h:", "http://%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ep, err := parseEndpoint(s)
		if err != nil {
			return
		}
		if ep.Scheme != "http" && ep.Scheme != "https" {
			t.Fatalf("scheme %q from %q", ep.Scheme, s)
		}
		if ep.Host == "" || strings.ContainsAny(ep.Host, "/?#@ ") {
			t.Fatalf("host %q from %q", ep.Host, s)
		}
		again, err := parseEndpoint(ep.URL())
		if err != nil || again != ep {
			t.Fatalf("round trip of %q: %v, %v", ep.URL(), again, err)
		}
	})
}

func FuzzParseRetryAfter(f *testing.F) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, s := range []string{"2", "0", "-1", "1.5", "NaN", "Inf", "1e400", "Wed, 01 Jan 2025 00:00:05 GMT", "soon"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d := parseRetryAfter(s, now)
		if d < 0 || d > time.Hour {
			t.Fatalf("parseRetryAfter(%q) = %v", s, d)
		}
	})
}

func FuzzNormalizeDecimal(f *testing.F) {
	for _, s := range []string{"1,234.50", "12", "-0", "1.5E+3", "1e-3", "abc", "", "0.1e1", "+3", "1e999", "--1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := normalizeDecimal(s)
		if !ok {
			return
		}
		if !plainDecimal.MatchString(d) {
			t.Fatalf("normalizeDecimal(%q) = %q: not a plain decimal", s, d)
		}
		if again, ok := normalizeDecimal(d); !ok || again != d {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, d, again)
		}
	})
}

func FuzzParseDatapoints(f *testing.F) {
	f.Add(`[{"timestamp":1700000000000,"instanceId":"i-1","Average":1.5,"Maximum":2,"Minimum":1}]`)
	f.Add(`[{"timestamp":"x"}]`)
	f.Add(`null`)
	f.Add(`{`)
	f.Fuzz(func(t *testing.T, s string) {
		pts, err := parseDatapoints(s)
		if err != nil {
			return
		}
		for id, ps := range pts {
			if id == "" {
				t.Fatal("empty instance id")
			}
			for i := 1; i < len(ps); i++ {
				if ps[i].Time.Before(ps[i-1].Time) {
					t.Fatal("points out of order")
				}
			}
		}
	})
}

func FuzzParseBillTags(f *testing.F) {
	f.Add("key:env value:prod; key:team value:core")
	f.Add("key: value:")
	f.Add(";;;")
	f.Fuzz(func(t *testing.T, s string) {
		for k := range parseBillTags(s) {
			if k == "" {
				t.Fatalf("empty tag key from %q", s)
			}
		}
	})
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2024-08-15T02:44Z", "2024-08-15T02:44:22Z", "2024-08-15 02:44:22", "1700000000000", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm := parseTime(s)
		if !tm.IsZero() && tm.Location() != time.UTC {
			t.Fatalf("parseTime(%q) not UTC", s)
		}
	})
}

func TestClassifyTable(t *testing.T) {
	cases := map[string]error{
		"Throttling": cloud.ErrThrottled, "Throttling.User": cloud.ErrThrottled,
		"InvalidAccessKeyId.NotFound": cloud.ErrInvalidCredential, "SignatureDoesNotMatch": cloud.ErrInvalidCredential,
		"InvalidAccessKeySecret": cloud.ErrInvalidCredential, "InvalidVpcId.NotFound": cloud.ErrNotFound,
		"QuotaExceed.ElasticQuota": cloud.ErrQuotaExceeded, "Vpc.QuotaExceeded": cloud.ErrQuotaExceeded,
		"InvalidAccount.NotEnoughBalance": cloud.ErrInsufficientBalance, "Account.Arrearage": cloud.ErrInsufficientBalance,
		"InvalidParameter.Foo": cloud.ErrInvalidParameter, "MissingVpcId": cloud.ErrInvalidParameter,
		"InvalidCidrBlock.Malformed": cloud.ErrInvalidParameter, "DryRunOperation": errDryRunPassed,
	}
	for code, want := range cases {
		if got := classify(code, 400); !errors.Is(got, want) {
			t.Errorf("classify(%q) = %v, want %v", code, got, want)
		}
	}
	if got := classify("", 503); got != cloud.ErrUnavailable {
		t.Errorf("classify(503) = %v", got)
	}
}

func TestNormalizeDecimal(t *testing.T) {
	cases := map[string]string{"1,234.50": "1234.50", "1.5E+3": "1500", "1e-3": "0.001", "-0": "0", "+7": "7", "0.10": "0.10"}
	for in, want := range cases {
		if got, ok := normalizeDecimal(in); !ok || got != want {
			t.Errorf("normalizeDecimal(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if got, _ := sumDecimals("1.10", "2.005", "0"); got != "3.105" {
		t.Errorf("sumDecimals = %q", got)
	}
}

// FuzzDecodeListing: whatever a listing's body holds, decoding it never
// panics, and an error is the driver's provider error.
func FuzzDecodeListing(f *testing.F) {
	for _, s := range []string{
		`{"TotalCount":1,"Instances":{"Instance":[{"InstanceId":"i-1","Cpu":2,"Tags":{"Tag":[{"TagKey":"a","TagValue":"b"}]}}]}}`,
		`{"TotalCount":"3","Disks":{"Disk":[{"DiskId":"d-1","Size":"40"}]}}`,
		`{"Instances":{"Instance":null}}`, `{"Cpu":1e400}`, `[1,2]`, `{`, ``, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, out := range []any{&ecsInstancePage{}, &ecsDiskPage{}} {
			if err := decodeBody("ecs.Describe", b, out); err != nil {
				var ce *cloud.Error
				if !errors.As(err, &ce) || ce.Kind != cloud.ErrProvider {
					t.Fatalf("decode error %v is not a provider error", err)
				}
			}
		}
	})
}
