package processor_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/cost"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/inventory"
	"github.com/skyfold/skyfold/internal/money"
	"github.com/skyfold/skyfold/internal/rating"
	"github.com/skyfold/skyfold/internal/rating/collector"
	"github.com/skyfold/skyfold/internal/rating/hashmap"
	"github.com/skyfold/skyfold/internal/rating/processor"
	"github.com/skyfold/skyfold/internal/rating/script"
	ratingstore "github.com/skyfold/skyfold/internal/rating/store"
	"github.com/skyfold/skyfold/internal/store"
	"github.com/skyfold/skyfold/internal/store/storetest"
	"github.com/skyfold/skyfold/internal/task"
)

var monthStart = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// flaky fails one metric's collection while fail is set.
type flaky struct {
	collector.Collector
	metric string
	fail   atomic.Bool
}

func (f *flaky) Open(ctx context.Context, scope string, ms []*collector.Metric, b, e time.Time) (collector.Window, error) {
	w, err := f.Collector.Open(ctx, scope, ms, b, e)
	if err != nil {
		return nil, err
	}
	return &flakyWindow{Window: w, f: f}, nil
}

type flakyWindow struct {
	collector.Window
	f *flaky
}

func (w *flakyWindow) Collect(ctx context.Context, m *collector.Metric, b, e time.Time, dst []rating.DataPoint) ([]rating.DataPoint, error) {
	if w.f.fail.Load() && m.Name == w.f.metric {
		return dst, errors.New("metric backend timed out")
	}
	return w.Window.Collect(ctx, m, b, e, dst)
}

type env struct {
	t     *testing.T
	st    *store.Store
	svc   *processor.Service
	rs    *ratingstore.Store
	costs *cost.Service
	clock *clock
	flaky *flaky
}

func newEnv(t *testing.T, st *store.Store) *env {
	t.Helper()
	ck := &clock{t: monthStart.Add(5 * time.Hour)}
	inv := inventory.New(st.DB, nil, nil, inventory.Config{Now: ck.Now})
	fl := &flaky{Collector: collector.NewInventory(inv), metric: "volume.size"}
	rs := ratingstore.New(st.DB, ratingstore.Config{Now: ck.Now})
	costs := cost.New(st.DB)
	cfg := processor.DefaultConfig()
	cfg.Now = ck.Now
	cfg.Workers = 2
	cfg.Logger = slog.New(slog.DiscardHandler)
	cfg.Leases = task.NewLeases(st.DB, "test-processor", 0)
	svc, err := processor.New(rs, costs, []collector.Collector{fl}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, st: st, svc: svc, rs: rs, costs: costs, clock: ck, flaky: fl}
}

func (e *env) resource(id string, kind inventory.Kind, project string, created time.Time, deleted *time.Time, mut func(*inventory.Resource)) {
	e.t.Helper()
	r := &inventory.Resource{ID: id, Kind: kind, CloudaccountID: "acc", CloudproviderID: "prov", CloudregionID: "reg",
		ExternalID: "ext-" + id, Name: id, Status: "running", ProjectID: project, Tags: json.RawMessage(`{"team":"a"}`),
		Data: json.RawMessage(`{"category":"cloud_ssd"}`), CreatedAt: created, UpdatedAt: created, SyncedAt: created, DeletedAt: deleted}
	if mut != nil {
		mut(r)
	}
	if _, err := e.st.DB.NewInsert().Model(r).Exec(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.st.DB.NewRaw("INSERT INTO resource_data (id, data) VALUES (?, ?)", r.ID, string(r.Data)).Exec(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

// documentedRules installs CloudKitty's documented example: 0.001 per GiB,
// 2 % off from 50 GiB, 5 % off from 200 GiB, and enables hashmap.
func (e *env) documentedRules() {
	e.t.Helper()
	ctx := context.Background()
	svc, err := e.rs.CreateService(ctx, "volume.size")
	if err != nil {
		e.t.Fatal(err)
	}
	grp, err := e.rs.CreateGroup(ctx, "volume_thresholds")
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.rs.CreateMapping(ctx, hashmap.Mapping{ServiceID: svc.ID, Type: hashmap.TypeFlat, Cost: money.MustParse("0.001"), GroupID: grp.ID}); err != nil {
		e.t.Fatal(err)
	}
	for lvl, c := range map[string]string{"50": "0.98", "200": "0.95"} {
		if _, err := e.rs.CreateThreshold(ctx, hashmap.Threshold{ServiceID: svc.ID, Level: money.MustParse(lvl), Type: hashmap.TypeRate,
			Cost: money.MustParse(c), GroupID: grp.ID}); err != nil {
			e.t.Fatal(err)
		}
	}
	on := true
	if _, err := e.svc.ConfigureModule(ctx, "hashmap", &on, nil); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) process() processor.CycleStats {
	e.t.Helper()
	st, err := e.svc.ProcessOnce(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

func (e *env) records(service string) []cost.Record {
	e.t.Helper()
	f := cost.Filter{Sources: []string{processor.Source}}
	if service != "" {
		f.ServiceNames = []string{service}
	}
	recs, err := e.costs.Query(context.Background(), nil, f)
	if err != nil {
		e.t.Fatal(err)
	}
	return recs
}

// perPeriod lists "resource begin qty price" for every sub-period of the records.
func perPeriod(recs []cost.Record) map[string]string {
	out := map[string]string{}
	for _, r := range recs {
		for i := range r.Periods {
			b, _ := r.Period(i)
			out[fmt.Sprintf("%s %s %s", r.ServiceName, r.ResourceID, b.Format("15:04"))] = r.PeriodQuantity.String() + " " + r.PeriodCost.String()
		}
	}
	return out
}

func TestDocumentedExampleThroughProcessor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		e.documentedRules()
		before := monthStart.AddDate(0, 0, -10)
		for id, gib := range map[string]int{"d20": 20, "d80": 80, "d250": 250} {
			e.resource(id, inventory.KindDisk, "p1", before, nil, func(r *inventory.Resource) { r.SizeGB = gib })
		}
		e.resource("vm1", inventory.KindServer, "p1", before, nil, func(r *inventory.Resource) { r.CPU, r.MemoryMB, r.InstanceType = 2, 4096, "m1.small" })

		stats := e.process()
		// now = 05:00, wait 2 periods: 00:00, 01:00 and 02:00 are due.
		if stats.NewScopes != 1 || stats.Processed != 1 || stats.Periods != 3 {
			t.Fatalf("stats = %+v", stats)
		}
		got := perPeriod(e.records("volume.size"))
		for _, h := range []string{"00:00", "01:00", "02:00"} {
			for id, want := range map[string]string{"d20": "20 0.02", "d80": "80 0.0784", "d250": "250 0.2375"} {
				if g := got["volume.size "+id+" "+h]; g != want {
					t.Errorf("%s at %s: %q, want %q", id, h, g, want)
				}
			}
		}
		if len(got) != 9 {
			t.Errorf("%d disk periods, want 9: %v", len(got), got)
		}
		// One record per disk for the three periods, with FOCUS totals.
		recs := e.records("volume.size")
		if len(recs) != 3 {
			t.Fatalf("%d disk records, want 3 (runs of identical periods)", len(recs))
		}
		for _, r := range recs {
			if r.Periods != 3 || !r.ChargePeriodStart.Equal(monthStart) || !r.ChargePeriodEnd.Equal(monthStart.Add(3*time.Hour)) {
				t.Errorf("record %s: %d periods %s..%s", r.ResourceID, r.Periods, r.ChargePeriodStart, r.ChargePeriodEnd)
			}
			if r.ResourceID == "d80" && (r.EffectiveCost.String() != "0.2352" || r.PricingQuantity.String() != "240" ||
				r.SubAccountID != "p1" || r.PricingUnit != "GiB-hour" || r.BillingCurrency != "USD" || r.ServiceCategory != "Storage" ||
				r.SkuID != "cloud_ssd" || r.ProviderName != "Skyfold" || !r.BillingPeriodStart.Equal(monthStart)) {
				t.Errorf("d80 record: %+v", r)
			}
		}
		// Instances are collected but unpriced (no rule for them).
		if inst := perPeriod(e.records("instance")); inst["instance vm1 01:00"] != "1 0" {
			t.Errorf("instance: %v", inst)
		}
		if mem := perPeriod(e.records("memory")); mem["memory vm1 01:00"] != "4 0" {
			t.Errorf("memory GiB-hours: %v", mem)
		}
		totals, err := e.costs.Sums(context.Background(), cost.Filter{Begin: monthStart, End: monthStart.AddDate(0, 1, 0)}, cost.BySubAccount)
		if err != nil {
			t.Fatal(err)
		}
		if len(totals) != 1 || totals[0].Cost.Value.String() != "1.0077" { // 3 × (0.02 + 0.0784 + 0.2375)
			t.Errorf("totals = %+v", totals)
		}
		// A window holding only the middle period counts one period.
		mid, err := e.costs.Sums(context.Background(), cost.Filter{Begin: monthStart.Add(time.Hour), End: monthStart.Add(2 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if mid[0].Cost.String() != "0.3359 USD" {
			t.Errorf("middle period = %s, want 0.3359 USD", mid[0].Cost)
		}

		// The next period extends the same records instead of adding rows.
		e.clock.Set(monthStart.Add(6 * time.Hour))
		stats = e.process()
		if stats.Periods != 1 || stats.Inserted != 0 || stats.Extended != 6 { // 3 disks + instance, cpu, memory
			t.Fatalf("second cycle: %+v", stats)
		}
		if recs := e.records("volume.size"); len(recs) != 3 || recs[0].Periods != 4 {
			t.Fatalf("after extension: %d records, %d periods", len(recs), recs[0].Periods)
		}
		// Nothing due: nothing done.
		if stats := e.process(); stats.Processed != 0 || stats.Periods != 0 {
			t.Fatalf("idle cycle: %+v", stats)
		}
	})
}

func TestPartialPeriodsAndPriceChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		e.documentedRules()
		created := monthStart.Add(90 * time.Minute)
		deleted := monthStart.Add(150 * time.Minute)
		e.resource("short", inventory.KindDisk, "p2", created, &deleted, func(r *inventory.Resource) { r.SizeGB = 100 })
		e.process()
		got := perPeriod(e.records("volume.size"))
		// 100 GiB for half of 01:00 and half of 02:00: 50 GiB-hours, 2 % off.
		want := map[string]string{"volume.size short 01:00": "50 0.049", "volume.size short 02:00": "50 0.049"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("got %v, want %v", got, want)
		}
	})
}

func TestFailingMetricIsIsolatedAndRetried(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st)
		e.documentedRules()
		before := monthStart.AddDate(0, 0, -1)
		e.resource("d80", inventory.KindDisk, "p1", before, nil, func(r *inventory.Resource) { r.SizeGB = 80 })
		e.resource("vm1", inventory.KindServer, "p1", before, nil, func(r *inventory.Resource) { r.CPU = 4 })

		e.flaky.fail.Store(true)
		stats := e.process()
		if stats.MetricFailures != 1 || stats.Processed != 1 {
			t.Fatalf("stats = %+v", stats)
		}
		// The other metrics of the scope and periods are rated...
		if cpu := perPeriod(e.records("cpu")); len(cpu) != 3 || cpu["cpu vm1 02:00"] != "4 0" {
			t.Fatalf("cpu = %v", cpu)
		}
		if disks := e.records("volume.size"); len(disks) != 0 {
			t.Fatalf("failing metric rated: %v", disks)
		}
		// ...the scope moved on, and the failure is on its state.
		states, _, err := e.svc.ScopeStates(ctx, ratingstore.ScopeFilter{IDs: []string{"p1"}})
		if err != nil {
			t.Fatal(err)
		}
		s := states[0]
		if s.LastProcessed == nil || !s.LastProcessed.Equal(monthStart.Add(2*time.Hour)) {
			t.Fatalf("last processed = %v", s.LastProcessed)
		}
		if len(s.Failures) != 1 || s.Failures[0].Metric != "volume.size" || !s.Failures[0].RetryFrom.Equal(monthStart) ||
			s.Failures[0].Error != "metric backend timed out" || s.Failures[0].Attempts != 1 {
			t.Fatalf("failures = %+v", s.Failures)
		}

		// Still failing next cycle: retried, attempts counted, others go on.
		e.clock.Set(monthStart.Add(6 * time.Hour))
		e.process()
		states, _, _ = e.svc.ScopeStates(ctx, ratingstore.ScopeFilter{IDs: []string{"p1"}})
		if f := states[0].Failures; len(f) != 1 || f[0].Attempts != 2 || !f[0].RetryFrom.Equal(monthStart) {
			t.Fatalf("failures after retry = %+v", f)
		}
		if cpu := e.records("cpu"); len(cpu) != 1 || cpu[0].Periods != 4 {
			t.Fatalf("cpu records = %+v", cpu)
		}

		// Recovered: the backlog and the new period are rated, in one record.
		e.flaky.fail.Store(false)
		e.clock.Set(monthStart.Add(7 * time.Hour))
		e.process()
		states, _, _ = e.svc.ScopeStates(ctx, ratingstore.ScopeFilter{IDs: []string{"p1"}})
		if len(states[0].Failures) != 0 {
			t.Fatalf("failures after recovery = %+v", states[0].Failures)
		}
		disks := e.records("volume.size")
		if len(disks) != 1 || disks[0].Periods != 5 || disks[0].EffectiveCost.String() != "0.392" {
			t.Fatalf("disk records = %+v", disks)
		}
	})
}

func TestFailingScriptKeepsProcessing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st)
		e.documentedRules()
		if _, err := e.rs.CreateScript(ctx, script.Script{Name: "broken", Data: "x = 1\ny = data['nope']\n"}); err != nil {
			t.Fatal(err)
		}
		on := true
		if _, err := e.svc.ConfigureModule(ctx, "pyscripts", &on, nil); err != nil {
			t.Fatal(err)
		}
		e.resource("d80", inventory.KindDisk, "p1", monthStart.AddDate(0, 0, -1), nil, func(r *inventory.Resource) { r.SizeGB = 80 })
		stats := e.process()
		if stats.Periods != 3 || stats.ModuleErrors != 3 {
			t.Fatalf("stats = %+v", stats)
		}
		if got := perPeriod(e.records("volume.size")); got["volume.size d80 01:00"] != "80 0.0784" {
			t.Fatalf("hashmap price lost: %v", got)
		}
		info, err := e.svc.Module("pyscripts")
		if err != nil {
			t.Fatal(err)
		}
		le := info.State.LastError
		if le == nil || le.Line != 2 || le.Source != "broken" {
			t.Fatalf("module state = %+v", info.State)
		}
	})
}

func TestResetAndDeactivate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st)
		e.documentedRules()
		e.resource("d80", inventory.KindDisk, "p1", monthStart.AddDate(0, 0, -1), nil, func(r *inventory.Resource) { r.SizeGB = 80 })
		e.resource("d81", inventory.KindDisk, "p2", monthStart.AddDate(0, 0, -1), nil, func(r *inventory.Resource) { r.SizeGB = 80 })
		e.process()
		if err := e.svc.ResetScope(ctx, "p1", monthStart.Add(time.Hour+30*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if d := e.records("volume.size"); len(d) != 2 || d[0].Periods+d[1].Periods != 4 {
			t.Fatalf("after reset: %+v", d)
		}
		if _, err := e.svc.SetScopeActive(ctx, "p2", false); err != nil {
			t.Fatal(err)
		}
		e.clock.Set(monthStart.Add(6 * time.Hour))
		stats := e.process()
		// p1 rates 01:00 again up to 03:00; p2 is inactive.
		if stats.Processed != 1 || stats.Periods != 3 {
			t.Fatalf("stats = %+v", stats)
		}
		for _, r := range e.records("volume.size") {
			want := map[string]int{"d80": 4, "d81": 3}[r.ResourceID]
			if r.Periods != want {
				t.Errorf("%s: %d periods, want %d", r.ResourceID, r.Periods, want)
			}
		}
		if err := e.svc.ResetScope(ctx, "nope", monthStart); err == nil {
			t.Fatal("reset of an unknown scope succeeded")
		}
	})
}

func TestScopeHeldByAnotherProcess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st)
		e.documentedRules()
		e.resource("d80", inventory.KindDisk, "p1", monthStart.AddDate(0, 0, -1), nil, func(r *inventory.Resource) { r.SizeGB = 80 })
		e.resource("d81", inventory.KindDisk, "p2", monthStart.AddDate(0, 0, -1), nil, func(r *inventory.Resource) { r.SizeGB = 80 })
		if _, err := e.rs.EnsureScopes(ctx, []string{"p1", "p2"}); err != nil {
			t.Fatal(err)
		}
		other, err := task.NewLeases(e.st.DB, "other-process", 0).Take(ctx, "rating-scope:p1")
		if err != nil {
			t.Fatal(err)
		}
		stats := e.process()
		if stats.Busy != 1 || stats.Processed != 1 {
			t.Fatalf("while p1 is held elsewhere: %+v", stats)
		}
		for _, r := range e.records("volume.size") {
			if r.ResourceID == "d80" {
				t.Fatalf("a held scope was rated: %+v", r)
			}
		}
		if err := e.svc.ResetScope(ctx, "p1", monthStart); errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("reset of a held scope = %v, want a conflict", err)
		}
		if err := other.Release(ctx); err != nil {
			t.Fatal(err)
		}
		stats = e.process()
		if stats.Busy != 0 || stats.Processed != 1 {
			t.Fatalf("after p1 was given back: %+v", stats)
		}
		if err := e.svc.ResetScope(ctx, "p1", monthStart); err != nil {
			t.Fatalf("reset of a free scope: %v", err)
		}
		// The processor and the reset gave the lease back.
		if _, err := task.NewLeases(e.st.DB, "other-process", 0).Take(ctx, "rating-scope:p1"); err != nil {
			t.Fatalf("lease left held: %v", err)
		}
	})
}
