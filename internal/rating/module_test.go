package rating_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/money"
	"github.com/skyfold/skyfold/internal/rating"
)

func d(s string) money.Decimal { return money.MustParse(s) }

// stepModule adds a fixed amount to every price and records the order it ran in.
type stepModule struct {
	name  string
	add   money.Decimal
	log   *[]string
	mu    *sync.Mutex
	fail  error
	panic bool
}

func (m stepModule) Name() string        { return m.name }
func (m stepModule) Description() string { return "test module " + m.name }
func (m stepModule) HotConfig() bool     { return true }
func (m stepModule) Quote(ctx context.Context, f *rating.DataFrame) error {
	return m.Rate(ctx, f)
}

func (m stepModule) Rate(_ context.Context, f *rating.DataFrame) error {
	m.mu.Lock()
	*m.log = append(*m.log, m.name)
	m.mu.Unlock()
	if m.panic {
		panic("boom")
	}
	if m.fail != nil {
		return m.fail
	}
	for _, pts := range f.Usage {
		for i := range pts {
			pts[i].Price = pts[i].Price.Add(m.add)
		}
	}
	return nil
}

type reloader struct {
	stepModule
	reloaded *int
}

func (r reloader) Reload(context.Context) error { *r.reloaded++; return nil }

func testFrame() *rating.DataFrame {
	begin := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := rating.NewDataFrame(begin, begin.Add(time.Hour), "p1")
	f.Add("instance", rating.DataPoint{Qty: d("1")}, rating.DataPoint{Qty: d("2")})
	return f
}

func TestPipelineOrderAndSum(t *testing.T) {
	var log []string
	var mu sync.Mutex
	mk := func(name, add string) stepModule { return stepModule{name: name, add: d(add), log: &log, mu: &mu} }
	p := rating.NewPipeline()
	for _, r := range []struct {
		m        stepModule
		enabled  bool
		priority int
	}{
		{mk("low", "0.001"), true, 1},
		{mk("high", "1"), true, 100},
		{mk("mid-b", "0.1"), true, 10},
		{mk("mid-a", "0.01"), true, 10},
		{mk("off", "1000"), false, 50},
	} {
		if err := p.Register(r.m, r.enabled, r.priority); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Register(mk("low", "0"), true, 1); !errs.Is(err, errs.Conflict) {
		t.Fatalf("duplicate Register = %v", err)
	}
	f := testFrame()
	if err := p.Rate(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(log, ","); got != "high,mid-a,mid-b,low" {
		t.Fatalf("order = %s", got)
	}
	if got := f.Total().String(); got != "2.222" {
		t.Fatalf("total = %s, want 2.222", got)
	}

	enable, prio := true, 1000
	info, err := p.Configure("off", &enable, &prio)
	if err != nil || !info.Enabled || info.Priority != 1000 || info.ID != "off" || info.Description != "test module off" || !info.HotConfig {
		t.Fatalf("Configure = %+v, %v", info, err)
	}
	log = nil
	if _, err := p.QuoteFrame(context.Background(), testFrame()); err != nil || log[0] != "off" {
		t.Fatalf("after Configure order = %v, %v", log, err)
	}
	if _, err := p.Configure("nope", nil, nil); !errs.Is(err, errs.NotFound) {
		t.Fatalf("Configure(nope) = %v", err)
	}
	if _, err := p.Info("nope"); !errs.Is(err, errs.NotFound) {
		t.Fatalf("Info(nope) = %v", err)
	}
	mods := p.Modules()
	if len(mods) != 5 || mods[0].ID != "high" || mods[0].State.Runs != 2 {
		t.Fatalf("Modules = %+v", mods)
	}
	if _, ok := p.Module("mid-a"); !ok {
		t.Fatal("Module(mid-a) missing")
	}
}

func TestPipelineFailuresDoNotStop(t *testing.T) {
	var log []string
	var mu sync.Mutex
	p := rating.NewPipeline()
	located := &rating.ModuleError{Module: "script", Source: "s.star", Line: 7, Kind: "runtime", Message: "bad"}
	mods := []stepModule{
		{name: "a-panics", panic: true, log: &log, mu: &mu},
		{name: "b-fails", fail: errors.New("plain failure"), log: &log, mu: &mu},
		{name: "c-located", fail: located, log: &log, mu: &mu},
		{name: "d-good", add: d("5"), log: &log, mu: &mu},
	}
	for _, m := range mods {
		if err := p.Register(m, true, 1); err != nil {
			t.Fatal(err)
		}
	}
	f := testFrame()
	err := p.Rate(context.Background(), f)
	if err == nil {
		t.Fatal("no error")
	}
	if got := strings.Join(log, ","); got != "a-panics,b-fails,c-located,d-good" {
		t.Fatalf("ran %s", got)
	}
	if f.Total().String() != "10" {
		t.Fatalf("total = %s", f.Total())
	}
	var me *rating.ModuleError
	if !errors.As(err, &me) || me.Kind != "panic" {
		t.Fatalf("first failure = %v", err)
	}
	states := map[string]rating.ModuleState{}
	for _, m := range p.Modules() {
		states[m.ID] = m.State
	}
	if s := states["c-located"]; s.Failures != 1 || s.LastError == nil || s.LastError.Line != 7 || s.LastError.Source != "s.star" {
		t.Fatalf("located state = %+v", s)
	}
	if s := states["b-fails"]; s.LastError == nil || s.LastError.Kind != "error" || s.LastError.Message != "plain failure" {
		t.Fatalf("plain state = %+v", s.LastError)
	}
	if s := states["a-panics"]; s.LastError == nil || !strings.Contains(s.LastError.Message, "panic: boom") {
		t.Fatalf("panic state = %+v", s.LastError)
	}
	if s := states["d-good"]; s.Failures != 0 || s.LastError != nil || s.Runs != 1 {
		t.Fatalf("good state = %+v", s)
	}
	if got := located.Error(); got != `script "s.star" line 7: bad` {
		t.Fatalf("ModuleError.Error() = %q", got)
	}
}

func TestPipelineContextAndReload(t *testing.T) {
	var log []string
	var mu sync.Mutex
	n := 0
	p := rating.NewPipeline()
	if err := p.Register(reloader{stepModule{name: "r", log: &log, mu: &mu}, &n}, true, 1); err != nil {
		t.Fatal(err)
	}
	if err := p.Register(rating.Noop{}, true, 1); err != nil {
		t.Fatal(err)
	}
	if err := p.Reload(context.Background()); err != nil || n != 1 {
		t.Fatalf("Reload = %v, reloaded %d", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Rate(ctx, testFrame()); !errors.Is(err, context.Canceled) || len(log) != 0 {
		t.Fatalf("Rate on cancelled ctx = %v, ran %v", err, log)
	}
	total, err := p.Quote(context.Background(), "p1", []rating.Resource{{Service: "instance", Volume: d("3"), Desc: map[string]string{"flavor": "x"}}})
	if err != nil || !total.IsZero() {
		t.Fatalf("Quote = %s, %v", total, err)
	}
}

func TestDataFrame(t *testing.T) {
	f := testFrame()
	if err := f.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := *f
	bad.End = bad.Begin
	if err := bad.Validate(); !errs.Is(err, errs.Invalid) {
		t.Fatalf("Validate(empty period) = %v", err)
	}
	if err := (&rating.DataFrame{}).Validate(); !errs.Is(err, errs.Invalid) {
		t.Fatalf("Validate(zero) = %v", err)
	}
	f.Add("image.size", rating.DataPoint{Qty: d("5")})
	if got := strings.Join(f.Types(), ","); got != "image.size,instance" || f.Len() != 3 {
		t.Fatalf("Types = %s, Len = %d", got, f.Len())
	}
	f.Usage["instance"][0].Price = d("1.5")
	g := f.Clone()
	g.Usage["instance"][0].Price = d("9")
	if f.Total().String() != "1.5" || g.Total().String() != "9" {
		t.Fatalf("Clone shares points: %s %s", f.Total(), g.Total())
	}
	f.ResetPrices()
	if !f.Total().IsZero() {
		t.Fatal("ResetPrices left a price")
	}
	var zero rating.DataFrame
	zero.Add("x", rating.DataPoint{})
	if zero.Len() != 1 {
		t.Fatal("Add on a zero frame")
	}
	q := rating.QuoteFrame(time.Time{}, time.Time{}, "s", []rating.Resource{{Service: "a", Volume: d("2"), Desc: map[string]string{"k": "v"}}})
	if p := q.Usage["a"][0]; p.Qty.String() != "2" || p.GroupBy["k"] != "v" {
		t.Fatalf("QuoteFrame point = %+v", p)
	}
}

func TestDataPointDesc(t *testing.T) {
	p := rating.DataPoint{
		ResourceID: "r1", ProjectID: "p1",
		GroupBy:  map[string]string{"id": "g-id", "shared": "from-groupby"},
		Metadata: map[string]string{"shared": "from-metadata", "flavor": "tiny"},
	}
	for key, want := range map[string]string{"id": "g-id", "shared": "from-groupby", "flavor": "tiny", "project_id": "p1"} {
		if got, ok := p.Desc(key); !ok || got != want {
			t.Errorf("Desc(%s) = %q, %v; want %q", key, got, ok, want)
		}
	}
	if _, ok := p.Desc("missing"); ok {
		t.Error("Desc(missing) found")
	}
	m := p.DescMap()
	if len(m) != 4 || m["id"] != "g-id" || m["shared"] != "from-groupby" || m["project_id"] != "p1" {
		t.Errorf("DescMap = %v", m)
	}
	if p.UnitOrDefault() != rating.DefaultUnit {
		t.Errorf("UnitOrDefault = %s", p.UnitOrDefault())
	}
	c := p.Clone()
	c.Metadata["flavor"] = "big"
	if p.Metadata["flavor"] != "tiny" {
		t.Error("Clone shares metadata")
	}
}
