package aliyun_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/cloud"
	"github.com/skyfold/skyfold/internal/cloud/aliyun"
	"github.com/skyfold/skyfold/internal/cloud/cloudtest"
	aliyunsim "github.com/skyfold/skyfold/internal/sim/aliyun"
)

const testAccountID = "1423762516458388"

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// startSim runs the Aliyun simulator on a loopback httptest server.
func startSim(t testing.TB, tweak func(*aliyunsim.Config)) (*aliyunsim.Server, string) {
	t.Helper()
	cfg := aliyunsim.Config{
		Accounts:   []aliyunsim.Account{{AccessKeyID: testKeyID, AccessKeySecret: testSecret, AccountID: testAccountID, Name: "skyfold-test"}},
		Seed:       1,
		StateDelay: 50 * time.Millisecond,
		Logger:     quiet,
	}
	if tweak != nil {
		tweak(&cfg)
	}
	sim, err := aliyunsim.New(cfg)
	if err != nil {
		t.Fatalf("aliyunsim.New: %v", err)
	}
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(func() {
		srv.Close()
		_ = sim.Close()
	})
	return sim, srv.URL
}

func openSim(t testing.TB, url, secret string) cloud.Provider {
	t.Helper()
	p, err := cloud.Open(context.Background(), "AlibabaCloud", cloud.AccountConfig{AccessKeyID: testKeyID, AccessKeySecret: secret,
		Endpoint: url, DefaultRegion: "cn-hangzhou", Environment: "InternationalCloud", Logger: quiet})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// fastRetry retries quickly enough for tests.
var fastRetry = cloud.RetryPolicy{MaxAttempts: 12, BaseDelay: 10 * time.Millisecond, MaxDelay: 500 * time.Millisecond,
	MaxRetryAfter: 2 * time.Second, Logger: quiet}

func TestConformance(t *testing.T) {
	_, url := startSim(t, nil)
	cloudtest.Run(t, func(t *testing.T) cloud.Provider {
		return cloud.WithRetry(openSim(t, url, testSecret), fastRetry)
	}, cloudtest.Options{
		Region:          "cn-hangzhou",
		PublicBandwidth: 5,
		PollInterval:    25 * time.Millisecond,
		WaitTimeout:     30 * time.Second,
		InvalidCredentials: func(t *testing.T) cloud.Provider {
			return cloud.WithRetry(openSim(t, url, "EXAMPLEwrongSECRETwrongSECRET01"), fastRetry)
		},
	})
}

// TestThrottledBatch runs a batch of work against a simulator that throttles
// hard and fails some calls: through WithRetry everything completes, and
// the instance count at the end is exact (no loss, no duplicates).
func TestThrottledBatch(t *testing.T) {
	_, url := startSim(t, func(c *aliyunsim.Config) {
		c.RateLimit = 15
		c.FailRate = 0.15
		c.StateDelay = -1
	})
	retries := &countRetries{}
	p := cloud.WithRetry(openSim(t, url, testSecret), cloud.RetryPolicy{MaxAttempts: 30, BaseDelay: 20 * time.Millisecond,
		MaxDelay: 400 * time.Millisecond, MaxRetryAfter: time.Second, Rate: 60, Burst: 10, Logger: slog.New(retries)})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r, err := p.Region("cn-hangzhou")
	if err != nil {
		t.Fatal(err)
	}
	zones, err := r.Zones(ctx)
	if err != nil || len(zones) == 0 {
		t.Fatalf("Zones: %v", err)
	}
	imgs, err := r.Images(ctx, cloud.ImageQuery{}, cloud.PageRequest{Size: 1})
	if err != nil || len(imgs.Items) == 0 {
		t.Fatalf("Images: %v", err)
	}
	types, err := r.InstanceTypes(ctx)
	if err != nil || len(types) == 0 {
		t.Fatalf("InstanceTypes: %v", err)
	}
	vpc, err := r.CreateVPC(ctx, cloud.VPCSpec{Name: "throttle", CIDR: "10.0.0.0/16", ClientToken: "throttle-vpc"})
	if err != nil {
		t.Fatalf("CreateVPC: %v", err)
	}
	sn, err := r.CreateSubnet(ctx, cloud.SubnetSpec{VPCID: vpc.ID, ZoneID: zones[0].ID, CIDR: "10.0.1.0/24", ClientToken: "throttle-sn"})
	if err != nil {
		t.Fatalf("CreateSubnet: %v", err)
	}
	sg, err := r.CreateSecurityGroup(ctx, cloud.SecurityGroupSpec{VPCID: vpc.ID, Name: "throttle", ClientToken: "throttle-sg"})
	if err != nil {
		t.Fatalf("CreateSecurityGroup: %v", err)
	}
	const batches, per = 12, 5
	tags := map[string]string{"test": "throttled-batch"}
	for i := range batches {
		res, err := r.CreateInstances(ctx, cloud.CreateInstancesRequest{ZoneID: zones[0].ID, InstanceType: types[0].ID,
			ImageID: imgs.Items[0].ID, SubnetID: sn.ID, SecurityGroupIDs: []string{sg.ID}, Amount: per, MinAmount: per,
			Tags: tags, ClientToken: fmt.Sprintf("throttle-batch-%d", i)})
		if err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		if len(res.InstanceIDs) != per {
			t.Fatalf("batch %d made %d instances", i, len(res.InstanceIDs))
		}
		// Interleave reads, as a sync would.
		if _, err := r.ListInstances(ctx, cloud.InstanceQuery{IDs: res.InstanceIDs}, cloud.PageRequest{}); err != nil {
			t.Fatalf("batch %d list: %v", i, err)
		}
	}
	all, err := cloud.Collect(ctx, 7, func(ctx context.Context, pr cloud.PageRequest) (cloud.Page[cloud.Instance], error) {
		return r.ListInstances(ctx, cloud.InstanceQuery{Tags: tags}, pr)
	})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	seen := map[string]bool{}
	for _, in := range all {
		seen[in.ID] = true
	}
	if len(all) != batches*per || len(seen) != batches*per {
		t.Fatalf("instances at the end: %d listed, %d distinct; want %d", len(all), len(seen), batches*per)
	}
	if retries.n.Load() == 0 {
		t.Errorf("no call was retried: the simulator did not throttle or fail")
	}
	t.Logf("%d retries (throttled or failed calls)", retries.n.Load())
}

// countRetries is a slog handler counting the retry wrapper's retry lines.
type countRetries struct{ n atomic.Int64 }

func (c *countRetries) Enabled(context.Context, slog.Level) bool { return true }
func (c *countRetries) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "cloud: retrying" {
		c.n.Add(1)
	}
	return nil
}
func (c *countRetries) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *countRetries) WithGroup(string) slog.Handler      { return c }

// TestListingNamesEveryPage: a first page of a listing whose total ECS
// reports carries the tokens of every later page, so that ForEachPage can
// fetch them at once and still see every instance exactly once.
func TestListingNamesEveryPage(t *testing.T) {
	sim, url := startSim(t, nil)
	if err := sim.Populate(testKeyID, aliyunsim.PopulateOptions{Instances: 250, Regions: []string{"cn-hangzhou"}}); err != nil {
		t.Fatalf("Populate: %v", err)
	}
	p, err := aliyun.Open(context.Background(), cloud.AccountConfig{AccessKeyID: testKeyID, AccessKeySecret: testSecret,
		Endpoint: url, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	r, _ := p.Region("cn-hangzhou")
	ctx := context.Background()
	first, err := r.ListInstances(ctx, cloud.InstanceQuery{}, cloud.PageRequest{Size: 100})
	if err != nil {
		t.Fatal(err)
	}
	if first.Total != 250 || len(first.Items) != 100 || first.NextToken != "2" || !slices.Equal(first.Rest, []string{"2", "3"}) {
		t.Fatalf("first page: total %d, %d items, next %q, rest %v", first.Total, len(first.Items), first.NextToken, first.Rest)
	}
	second, err := r.ListInstances(ctx, cloud.InstanceQuery{}, cloud.PageRequest{Size: 100, Token: "2"})
	if err != nil || len(second.Rest) != 0 {
		t.Fatalf("a later page names no others: %v %v", second.Rest, err)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	if err := cloud.ForEachPage(ctx, 100, 4, func(ctx context.Context, pr cloud.PageRequest) (cloud.Page[cloud.Instance], error) {
		return r.ListInstances(ctx, cloud.InstanceQuery{}, pr)
	}, func(pg cloud.Page[cloud.Instance]) error {
		mu.Lock()
		defer mu.Unlock()
		for _, in := range pg.Items {
			seen[in.ID]++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 250 {
		t.Fatalf("saw %d distinct instances, want 250", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("%s listed %d times", id, n)
		}
	}
	byID, err := r.ListInstances(ctx, cloud.InstanceQuery{IDs: []string{first.Items[0].ID, first.Items[1].ID}}, cloud.PageRequest{})
	if err != nil || len(byID.Items) != 2 || len(byID.Rest) != 0 {
		t.Fatalf("a listing by ids is paged by offset, not by number: %d items, rest %v, %v", len(byID.Items), byID.Rest, err)
	}
}

// BenchmarkListInstances100k lists 100,000 simulated instances end to end
// (SDK, HTTP, signature checks, JSON) with pages of 100.
func BenchmarkListInstances100k(b *testing.B) {
	const n = 100000
	sim, url := startSim(b, func(c *aliyunsim.Config) {
		c.Accounts[0].MaxInstances = n
		c.Accounts[0].MaxVCPUs = 100 * n
	})
	if err := sim.Populate(testKeyID, aliyunsim.PopulateOptions{Instances: n, Regions: []string{"cn-hangzhou"}}); err != nil {
		b.Fatalf("Populate: %v", err)
	}
	p, err := aliyun.Open(context.Background(), cloud.AccountConfig{AccessKeyID: testKeyID, AccessKeySecret: testSecret,
		Endpoint: url, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	r, _ := p.Region("cn-hangzhou")
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		count := 0
		for _, err := range cloud.All(ctx, 100, func(ctx context.Context, pr cloud.PageRequest) (cloud.Page[cloud.Instance], error) {
			return r.ListInstances(ctx, cloud.InstanceQuery{}, pr)
		}) {
			if err != nil {
				b.Fatal(err)
			}
			count++
		}
		if count != n {
			b.Fatalf("listed %d, want %d", count, n)
		}
	}
	b.ReportMetric(float64(n), "instances/op")
}
