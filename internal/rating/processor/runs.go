package processor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/skyfold/skyfold/internal/cost"
	"github.com/skyfold/skyfold/internal/rating"
	"github.com/skyfold/skyfold/internal/rating/collector"
)

// runKey identifies a series of rated points within one scope: the same
// resource measured by the same service; n tells apart several points of
// one resource in one period.
type runKey struct {
	service  string
	resource string
	n        int
}

// run is the cost record a series of identical rated points builds: each
// period that rates the resource the same (quantity, unit, price,
// attributes) extends it by one sub-period.
type run struct {
	key      runKey
	billing  time.Time // month of the record's charge period
	rec      cost.Record
	groupBy  map[string]string
	metadata map[string]string
	existing bool // rec is stored: extend it rather than insert it
	dirty    bool
}

// runBuilder turns rated frames of one scope into cost records.
type runBuilder struct {
	svc   *Service
	scope string

	open  map[runKey]*run
	hints map[string][]*run // by service: the run each point index extended last
	done  []*run
	tails map[time.Time]map[string]*cost.Record // stored records ending then, by run key
	// tailTimes are the only instants stored records of this scope can end
	// at and be extended from: the starts of the periods rated next.
	tailTimes []time.Time

	points int
}

func newRunBuilder(s *Service, scope string, tailTimes []time.Time) *runBuilder {
	return &runBuilder{svc: s, scope: scope, open: map[runKey]*run{}, hints: map[string][]*run{},
		tails: map[time.Time]map[string]*cost.Record{}, tailTimes: tailTimes}
}

// sameMap reports whether two attribute maps are the same: the same map (a
// collector reuses one map across periods), or equal.
func sameMap(a, b map[string]string) bool {
	if reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer() {
		return true
	}
	return maps.Equal(a, b)
}

// add records every point of a rated frame.
func (rb *runBuilder) add(ctx context.Context, f *rating.DataFrame) error {
	month := cost.MonthStart(f.Begin)
	for svc, pts := range f.Usage {
		hints := rb.hints[svc]
		if len(hints) < len(pts) {
			hints = append(hints, make([]*run, len(pts)-len(hints))...)
			rb.hints[svc] = hints
		}
		for i := range pts {
			r, err := rb.addPoint(ctx, f, month, svc, &pts[i], hints[i])
			if err != nil {
				return err
			}
			hints[i] = r
		}
	}
	return nil
}

// addPoint extends the run of the point's series, or starts one. hint is
// the run the point at the same index extended in the previous period: a
// collector returns a scope's points in a stable order, so it usually
// spares the map lookups.
func (rb *runBuilder) addPoint(ctx context.Context, f *rating.DataFrame, month time.Time, svc string, p *rating.DataPoint, hint *run) (*run, error) {
	rb.points++
	res := p.ResourceID
	if res == "" {
		res, _ = p.Desc("id")
	}
	unit := p.UnitOrDefault()
	if hint != nil && hint.key.n == 0 && hint.key.resource == res && hint.key.service == svc &&
		hint.rec.ChargePeriodEnd.Equal(f.Begin) && hint.billing.Equal(month) && hint.matches(p, unit) && rb.open[hint.key] == hint {
		hint.rec.ChargePeriodEnd = f.End
		hint.rec.Periods++
		hint.dirty = true
		return hint, nil
	}
	k := runKey{service: svc, resource: res}
	for {
		r := rb.open[k]
		if r == nil || !r.rec.ChargePeriodEnd.Equal(f.End) {
			break
		}
		k.n++ // another point of the same resource in this period
	}
	if r := rb.open[k]; r != nil {
		if r.rec.ChargePeriodEnd.Equal(f.Begin) && r.billing.Equal(month) && r.matches(p, unit) {
			r.rec.ChargePeriodEnd = f.End
			r.rec.Periods++
			r.dirty = true
			return r, nil
		}
		rb.close(r)
	}
	nr := rb.newRun(f, svc, k, p, unit)
	nr.billing = month
	tail, err := rb.tail(ctx, f.Begin, nr.rec.RunKey)
	if err != nil {
		return nil, err
	}
	if tail != nil && tail.PeriodQuantity.Equal(p.Qty) && tail.PeriodCost.Equal(p.Price) && tail.PricingUnit == unit &&
		tail.PeriodLength() == f.End.Sub(f.Begin) && cost.MonthStart(tail.ChargePeriodStart).Equal(month) {
		nr.rec = *tail
		nr.rec.ChargePeriodEnd = f.End
		nr.rec.Periods++
		nr.existing = true
	}
	rb.open[k] = nr
	return nr, nil
}

func (r *run) matches(p *rating.DataPoint, unit string) bool {
	return r.rec.PeriodQuantity.Equal(p.Qty) && r.rec.PeriodCost.Equal(p.Price) && r.rec.PricingUnit == unit &&
		sameMap(r.groupBy, p.GroupBy) && sameMap(r.metadata, p.Metadata)
}

func (rb *runBuilder) close(r *run) {
	if r.dirty {
		rb.done = append(rb.done, r)
	}
}

// tail returns the stored record of runKey ending at at, if any.
func (rb *runBuilder) tail(ctx context.Context, at time.Time, runKey string) (*cost.Record, error) {
	if !slices.ContainsFunc(rb.tailTimes, at.Equal) {
		return nil, nil
	}
	at = at.UTC()
	byKey, ok := rb.tails[at]
	if !ok {
		recs, err := rb.svc.costs.Query(ctx, nil, cost.Filter{EndsAt: at, Sources: []string{Source}, SubAccountIDs: []string{rb.scope}})
		if err != nil {
			return nil, err
		}
		byKey = make(map[string]*cost.Record, len(recs))
		for i := range recs {
			if recs[i].RunKey != "" {
				byKey[recs[i].RunKey] = &recs[i]
			}
		}
		rb.tails[at] = byKey
	}
	t := byKey[runKey]
	delete(byKey, runKey) // a stored record is extended by one series only
	return t, nil
}

// runKeyOf fingerprints a series: scope, service, resource, occurrence
// and the point's attributes, so a change of attributes starts a new record.
func runKeyOf(scope, svc string, k runKey, desc map[string]string) string {
	h := sha256.New()
	for _, s := range []string{scope, svc, k.resource, strconv.Itoa(k.n)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	for _, key := range slices.Sorted(maps.Keys(desc)) {
		h.Write([]byte(key))
		h.Write([]byte{1})
		h.Write([]byte(desc[key]))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func (rb *runBuilder) newRun(f *rating.DataFrame, svc string, k runKey, p *rating.DataPoint, unit string) *run {
	cfg := &rb.svc.cfg
	desc := p.DescMap()
	var m *collector.Metric
	for _, x := range cfg.Metrics.Metrics {
		if x.Service() == svc {
			m = x
			break
		}
	}
	rec := cost.Record{
		Source: Source, RunKey: runKeyOf(rb.scope, svc, k, desc),
		ChargePeriodStart: f.Begin, ChargePeriodEnd: f.End, Periods: 1,
		SubAccountID: rb.scope, ProviderName: cfg.ProviderName, PublisherName: cfg.ProviderName, InvoiceIssuerName: cfg.ProviderName,
		ServiceName: svc, ServiceCategory: "Other", ChargeCategory: cost.CategoryUsage,
		ResourceID: k.resource, ResourceName: desc["name"], RegionID: desc["region"], RegionName: desc["region"],
		SkuID:       firstOf(desc, "flavor_name", "flavor_id", "volume_type", "storage_class"),
		PricingUnit: unit, ConsumedUnit: unit, BillingCurrency: cfg.Currency,
		PeriodQuantity: p.Qty, PeriodCost: p.Price, Tags: map[string]string{}, Attributes: desc,
	}
	if m != nil {
		rec.ChargeDescription = m.Description
		rec.ResourceType = m.ExtraArgs[collector.ArgResourceType]
		if c := m.ExtraArgs[collector.ArgServiceCategory]; c != "" {
			rec.ServiceCategory = c
		}
	}
	for key, v := range desc {
		if tag, ok := strings.CutPrefix(key, "tag."); ok {
			rec.Tags[tag] = v
		}
	}
	return &run{key: k, rec: rec, groupBy: p.GroupBy, metadata: p.Metadata, dirty: true}
}

func firstOf(m map[string]string, keys ...string) string {
	for _, k := range keys {
		if v := m[k]; v != "" {
			return v
		}
	}
	return ""
}

// flush writes the records built so far: new ones inserted, stored ones
// extended. It returns how many of each.
func (rb *runBuilder) flush(ctx context.Context, db bun.IDB) (inserted, extended int, err error) {
	for _, r := range rb.open {
		rb.close(r)
	}
	rb.open = map[runKey]*run{}
	var ins, ext []cost.Record
	for _, r := range rb.done {
		r.rec.SetTotals()
		if r.existing {
			ext = append(ext, r.rec)
		} else {
			ins = append(ins, r.rec)
		}
	}
	rb.done = nil
	if err := rb.svc.costs.Insert(ctx, db, ins); err != nil {
		return 0, 0, err
	}
	if err := rb.svc.costs.Extend(ctx, db, ext); err != nil {
		return 0, 0, err
	}
	return len(ins), len(ext), nil
}
