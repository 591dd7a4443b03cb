package cloud_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/cloud"
	"github.com/skyfold/skyfold/internal/errs"
)

func TestLookupAliases(t *testing.T) {
	cases := map[string]string{
		"Aliyun": "Aliyun", "alibabacloud": "Aliyun", "ALIBABACLOUD": "Aliyun",
		"Aws": "Aws", "AWSCloud": "Aws", "qcloud": "Qcloud", "TencentCloud": "Qcloud",
		"Huawei": "Huawei", "huaweicloud": "Huawei", "Baidu": "Baidu", "BaiduCloud": "Baidu",
		"StarVCenter": "StarVCenter", "openstack": "OpenStack",
	}
	for in, want := range cases {
		info, ok := cloud.Lookup(in)
		if !ok || info.Name != want {
			t.Errorf("Lookup(%q) = %q, %v; want %q", in, info.Name, ok, want)
		}
	}
	if _, ok := cloud.Lookup("Azure"); ok {
		t.Errorf("Lookup(Azure) found a provider")
	}
	sv, _ := cloud.Lookup("StarVCenter")
	if !sv.IsOnPremise || sv.IsPublicCloud {
		t.Errorf("StarVCenter attributes %+v", sv)
	}
	if got := len(cloud.Providers()); got < 7 {
		t.Errorf("Providers() lists %d, want at least 7", got)
	}
}

func TestOpenWithoutDriver(t *testing.T) {
	_, err := cloud.Open(context.Background(), "TencentCloud", cloud.AccountConfig{})
	if !errors.Is(err, cloud.ErrNotSupported) || errs.CodeOf(err) != errs.NotSupported {
		t.Errorf("Open(TencentCloud) = %v; want not supported", err)
	}
	_, err = cloud.Open(context.Background(), "NoSuchCloud", cloud.AccountConfig{})
	if !errors.Is(err, cloud.ErrInvalidParameter) {
		t.Errorf("Open(NoSuchCloud) = %v; want invalid parameter", err)
	}
}

func TestErrorKindsAndDomainCodes(t *testing.T) {
	cases := []struct {
		kind error
		code errs.Code
	}{
		{cloud.ErrNotSupported, errs.NotSupported}, {cloud.ErrNotFound, errs.NotFound},
		{cloud.ErrInvalidCredential, errs.Unauthorized}, {cloud.ErrForbidden, errs.Forbidden},
		{cloud.ErrThrottled, errs.Throttled}, {cloud.ErrQuotaExceeded, errs.Quota},
		{cloud.ErrInsufficientBalance, errs.Quota}, {cloud.ErrShortage, errs.Quota}, {cloud.ErrInvalidParameter, errs.Invalid},
		{cloud.ErrConflict, errs.Conflict}, {cloud.ErrUnavailable, errs.Unavailable}, {cloud.ErrProvider, errs.Unavailable},
	}
	for _, c := range cases {
		e := &cloud.Error{Kind: c.kind, Provider: "Aliyun", Op: "ecs.X", Code: "Some.Code", Message: "msg", RequestID: "rid-1",
			RetryAfter: time.Second, Err: errors.New("cause")}
		wrapped := fmt.Errorf("sync region cn-hangzhou: %w", e)
		if !errors.Is(wrapped, c.kind) {
			t.Errorf("%v: errors.Is failed", c.kind)
		}
		if errs.CodeOf(wrapped) != c.code {
			t.Errorf("%v: errs.CodeOf = %q, want %q", c.kind, errs.CodeOf(wrapped), c.code)
		}
		if cloud.Kind(wrapped) != c.kind || cloud.RequestID(wrapped) != "rid-1" {
			t.Errorf("%v: Kind/RequestID = %v/%q", c.kind, cloud.Kind(wrapped), cloud.RequestID(wrapped))
		}
		for _, other := range []error{cloud.ErrNotFound, cloud.ErrThrottled} {
			if other != c.kind && errors.Is(wrapped, other) {
				t.Errorf("%v also matches %v", c.kind, other)
			}
		}
		d := errs.As(wrapped)
		if d.RetryAfter != time.Second || d.Message == "" || errs.PublicMessage(wrapped) == "internal error" {
			t.Errorf("%v: domain error %+v", c.kind, d)
		}
	}
}

// fakeRegion counts calls and fails as told.
type fakeRegion struct {
	cloud.NotSupportedRegion
	calls atomic.Int32
	fail  func(n int32) error
}

func (f *fakeRegion) RegionID() string { return "r1" }

func (f *fakeRegion) CreateInstances(_ context.Context, req cloud.CreateInstancesRequest) (cloud.CreateInstancesResult, error) {
	n := f.calls.Add(1)
	if err := f.fail(n); err != nil {
		return cloud.CreateInstancesResult{}, err
	}
	return cloud.CreateInstancesResult{InstanceIDs: []string{"i-1"}}, nil
}

func (f *fakeRegion) Zones(context.Context) ([]cloud.Zone, error) {
	n := f.calls.Add(1)
	return []cloud.Zone{{ID: "z"}}, f.fail(n)
}

func (f *fakeRegion) DeleteVPC(context.Context, string) error { return f.fail(f.calls.Add(1)) }

type fakeProvider struct {
	cloud.NotSupportedProvider
	region *fakeRegion
}

func (p *fakeProvider) Name() string                              { return "Fake" }
func (p *fakeProvider) Capabilities() cloud.Capabilities          { return nil }
func (p *fakeProvider) ValidateCredentials(context.Context) error { return nil }
func (p *fakeProvider) Account(context.Context) (cloud.Account, error) {
	return cloud.Account{ID: "a"}, nil
}
func (p *fakeProvider) Regions(context.Context) ([]cloud.Region, error) { return nil, nil }
func (p *fakeProvider) Region(string) (cloud.RegionClient, error)       { return p.region, nil }
func (p *fakeProvider) Close() error                                    { return nil }

func throttled(hint time.Duration) error {
	return &cloud.Error{Kind: cloud.ErrThrottled, Code: "Throttling.User", RetryAfter: hint}
}

var fast = cloud.RetryPolicy{MaxAttempts: 5, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, MaxRetryAfter: 50 * time.Millisecond}

func wrapped(fail func(n int32) error, policy cloud.RetryPolicy) (*fakeRegion, cloud.RegionClient) {
	fr := &fakeRegion{fail: fail}
	r, _ := cloud.WithRetry(&fakeProvider{region: fr}, policy).Region("r1")
	return fr, r
}

func TestRetryThrottledThenSuccess(t *testing.T) {
	fr, r := wrapped(func(n int32) error {
		if n < 3 {
			return throttled(0)
		}
		return nil
	}, fast)
	if _, err := r.Zones(context.Background()); err != nil || fr.calls.Load() != 3 {
		t.Fatalf("Zones: %v after %d calls; want success after 3", err, fr.calls.Load())
	}
}

func TestRetryGivesUp(t *testing.T) {
	fr, r := wrapped(func(int32) error { return &cloud.Error{Kind: cloud.ErrUnavailable} }, fast)
	if _, err := r.Zones(context.Background()); !errors.Is(err, cloud.ErrUnavailable) || fr.calls.Load() != 5 {
		t.Fatalf("Zones: %v after %d calls; want unavailable after 5", err, fr.calls.Load())
	}
}

func TestNoRetryOfPermanentErrors(t *testing.T) {
	fr, r := wrapped(func(int32) error { return &cloud.Error{Kind: cloud.ErrInvalidParameter} }, fast)
	if _, err := r.Zones(context.Background()); !errors.Is(err, cloud.ErrInvalidParameter) || fr.calls.Load() != 1 {
		t.Fatalf("Zones: %v after %d calls; want one call", err, fr.calls.Load())
	}
}

func TestCreateRetriedOnlyWithToken(t *testing.T) {
	fail := func(n int32) error {
		if n == 1 {
			return &cloud.Error{Kind: cloud.ErrUnavailable}
		}
		return nil
	}
	fr, r := wrapped(fail, fast)
	if _, err := r.CreateInstances(context.Background(), cloud.CreateInstancesRequest{Amount: 1}); err == nil || fr.calls.Load() != 1 {
		t.Fatalf("without token: %v after %d calls; want the error after one call", err, fr.calls.Load())
	}
	fr, r = wrapped(fail, fast)
	res, err := r.CreateInstances(context.Background(), cloud.CreateInstancesRequest{Amount: 1, ClientToken: "tok"})
	if err != nil || len(res.InstanceIDs) != 1 || fr.calls.Load() != 2 {
		t.Fatalf("with token: %v, %v after %d calls; want success after 2", res, err, fr.calls.Load())
	}
}

func TestDeleteNotFoundAfterFailedTryIsDone(t *testing.T) {
	fr, r := wrapped(func(n int32) error {
		if n == 1 {
			return &cloud.Error{Kind: cloud.ErrUnavailable}
		}
		return &cloud.Error{Kind: cloud.ErrNotFound}
	}, fast)
	if err := r.DeleteVPC(context.Background(), "vpc-1"); err != nil || fr.calls.Load() != 2 {
		t.Fatalf("DeleteVPC: %v after %d calls", err, fr.calls.Load())
	}
	_, r = wrapped(func(int32) error { return &cloud.Error{Kind: cloud.ErrNotFound} }, fast)
	if err := r.DeleteVPC(context.Background(), "vpc-1"); !errors.Is(err, cloud.ErrNotFound) {
		t.Fatalf("DeleteVPC of a missing VPC: %v; want not found", err)
	}
}

func TestRetryHonoursHintAndContext(t *testing.T) {
	policy := fast
	policy.MaxRetryAfter = time.Second
	_, r := wrapped(func(n int32) error {
		if n == 1 {
			return throttled(150 * time.Millisecond)
		}
		return nil
	}, policy)
	start := time.Now()
	if _, err := r.Zones(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("retried after %v; want the 150ms hint honoured", d)
	}
	_, r = wrapped(func(int32) error { return throttled(10 * time.Second) }, cloud.RetryPolicy{MaxAttempts: 5, MaxRetryAfter: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err := r.Zones(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, cloud.ErrThrottled) || time.Since(start) > 2*time.Second {
		t.Fatalf("Zones: %v after %v; want the deadline (and the last error) promptly", err, time.Since(start))
	}
}

func TestRateLimit(t *testing.T) {
	policy := fast
	policy.Rate, policy.Burst = 50, 1
	fr, r := wrapped(func(int32) error { return nil }, policy)
	start := time.Now()
	for range 11 {
		if _, err := r.Zones(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d < 180*time.Millisecond || fr.calls.Load() != 11 {
		t.Errorf("11 calls at 50/s took %v; want about 200ms", d)
	}
}

func TestBackoffBounds(t *testing.T) {
	p := cloud.RetryPolicy{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, MaxRetryAfter: 5 * time.Second}
	for n := 1; n < 20; n++ {
		d := p.Backoff(n, 0)
		if d < 50*time.Millisecond || d > time.Second {
			t.Fatalf("Backoff(%d) = %v", n, d)
		}
	}
	if d := p.Backoff(1, 3*time.Second); d < 3*time.Second {
		t.Errorf("hint not honoured: %v", d)
	}
	if d := p.Backoff(1, time.Hour); d > 5*time.Second {
		t.Errorf("hint not capped: %v", d)
	}
}

func TestAllStopsOnRepeatedToken(t *testing.T) {
	calls := 0
	list := func(_ context.Context, pr cloud.PageRequest) (cloud.Page[int], error) {
		calls++
		return cloud.Page[int]{Items: []int{calls}, NextToken: "same"}, nil
	}
	got, err := cloud.Collect(context.Background(), 1, list)
	if err != nil || len(got) != 2 {
		t.Fatalf("Collect = %v, %v; want 2 items then stop", got, err)
	}
}

func TestSecurityGroupRuleKey(t *testing.T) {
	a := cloud.SecurityGroupRule{Direction: cloud.Ingress, Protocol: "TCP", PortRange: "22/22", CIDR: "0.0.0.0/0", Description: "x"}
	b := cloud.SecurityGroupRule{Direction: cloud.Ingress, Protocol: "tcp", PortRange: "22/22", CIDR: "0.0.0.0/0", Action: "Accept"}
	if a.Key() != b.Key() {
		t.Errorf("keys differ: %q vs %q", a.Key(), b.Key())
	}
}

func TestRetryableShortAndParts(t *testing.T) {
	ce := func(kind error) error {
		return fmt.Errorf("create batch: %w", &cloud.Error{Kind: kind, Provider: "Aliyun", Op: "ecs.RunInstances",
			Code: "Some.Code", Message: "line one\n  line two", RequestID: "rid-9"})
	}
	cases := []struct {
		name             string
		err              error
		retryable, short bool
	}{
		{"throttled", ce(cloud.ErrThrottled), true, false},
		{"unavailable", ce(cloud.ErrUnavailable), true, false},
		{"provider", ce(cloud.ErrProvider), false, false},
		{"quota", ce(cloud.ErrQuotaExceeded), false, true},
		{"balance", ce(cloud.ErrInsufficientBalance), false, true},
		{"shortage", ce(cloud.ErrShortage), false, true},
		{"invalid", ce(cloud.ErrInvalidParameter), false, false},
		{"not found", ce(cloud.ErrNotFound), false, false},
		{"conflict", ce(cloud.ErrConflict), false, false},
		{"credential", ce(cloud.ErrInvalidCredential), false, false},
		{"no kind", errors.New("read tcp: connection reset by peer"), false, false},
		{"cancelled", fmt.Errorf("wait: %w", context.Canceled), false, false},
		{"deadline", context.DeadlineExceeded, false, false},
		{"domain invalid", errs.E(errs.Invalid, "bad"), false, false},
		{"domain unavailable", errs.E(errs.Unavailable, "down"), true, false},
		{"nil", nil, false, false},
	}
	for _, c := range cases {
		if got := cloud.Retryable(c.err); got != c.retryable {
			t.Errorf("%s: Retryable = %v, want %v", c.name, got, c.retryable)
		}
		if got := cloud.Short(c.err); got != c.short {
			t.Errorf("%s: Short = %v, want %v", c.name, got, c.short)
		}
	}
	code, msg, rid := cloud.Parts(ce(cloud.ErrQuotaExceeded))
	if code != "Some.Code" || msg != "line one line two" || rid != "rid-9" {
		t.Errorf("Parts = %q, %q, %q", code, msg, rid)
	}
	code, msg, _ = cloud.Parts(&cloud.Error{Kind: cloud.ErrShortage, Err: errors.New("no\taddresses")})
	if code != "resource shortage" || msg != "no addresses" {
		t.Errorf("Parts without a code = %q, %q", code, msg)
	}
	d := cloud.AsDomain(ce(cloud.ErrShortage))
	if d.Code != errs.Quota || !errors.Is(d, cloud.ErrShortage) {
		t.Errorf("AsDomain = %v (%s), want a quota error that keeps its cause", d, d.Code)
	}
	if d := cloud.AsDomain(errors.New("boom")); d.Code != errs.Internal {
		t.Errorf("AsDomain(plain) = %s, want internal", d.Code)
	}
}

func TestRefusedAndDescribe(t *testing.T) {
	ce := func(kind error) error {
		return fmt.Errorf("op: %w", &cloud.Error{Kind: kind, Provider: "Aliyun", Op: "ecs.StartInstance",
			Code: "Some.Code", Message: "line one\n  line two", RequestID: "rid-9"})
	}
	cases := []struct {
		name    string
		err     error
		refused bool
	}{
		{"throttled", ce(cloud.ErrThrottled), false},
		{"unavailable", ce(cloud.ErrUnavailable), false},
		{"provider", ce(cloud.ErrProvider), false},
		{"quota", ce(cloud.ErrQuotaExceeded), true},
		{"shortage", ce(cloud.ErrShortage), true},
		{"invalid", ce(cloud.ErrInvalidParameter), true},
		{"not found", ce(cloud.ErrNotFound), true},
		{"conflict", ce(cloud.ErrConflict), true},
		{"not supported", ce(cloud.ErrNotSupported), true},
		{"credential", ce(cloud.ErrInvalidCredential), true},
		{"forbidden", ce(cloud.ErrForbidden), true},
		{"task wait cut short", &cloud.Error{Kind: cloud.ErrUnavailable, Err: context.DeadlineExceeded}, false},
		{"no kind", errors.New("connection reset"), false},
		{"cancelled", context.Canceled, false},
		{"domain invalid", errs.E(errs.Invalid, "bad"), true},
		{"domain conflict", errs.E(errs.Conflict, "busy"), true},
		{"domain unavailable", errs.E(errs.Unavailable, "down"), false},
		{"nil", nil, false},
	}
	for _, c := range cases {
		if got := cloud.Refused(c.err); got != c.refused {
			t.Errorf("%s: Refused = %v, want %v", c.name, got, c.refused)
		}
	}
	if got, want := cloud.Describe(ce(cloud.ErrInvalidCredential)),
		"aliyun ecs.StartInstance: invalid credential: Some.Code: line one line two (request id rid-9)"; got != want {
		t.Errorf("Describe = %q, want %q (the cloud error alone, on one line)", got, want)
	}
	if got := cloud.Describe(errors.New("dial tcp:\n refused")); got != "dial tcp: refused" {
		t.Errorf("Describe(plain) = %q", got)
	}
}
