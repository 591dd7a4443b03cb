package hashmap

import (
	"cmp"
	"context"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/money"
	"github.com/skyfold/skyfold/internal/rating"
)

// maxViews bounds the cache of per-tenant, per-window views of a Compiled.
const maxViews = 4096

// Compiled is an immutable, pre-indexed hashmap configuration, built once by
// Compile whenever the rules change and then shared by every rating run.
//
// Rating a frame picks the view of the rules for the frame's scope and
// period (tenant overrides and validity windows resolved, cached), then
// prices each point with a map lookup per service and per field and a few
// Decimal operations per matching group, without allocating.
type Compiled struct {
	groups   []string // group index → group ID; index 0 is the default group ""
	services map[string]*serviceRules
	bounds   []time.Time     // sorted distinct validity bounds
	tenants  map[string]bool // tenants with rules of their own
	counts   Counts

	mu    sync.Mutex
	views map[viewKey]*view
}

// Counts tells how many objects a Compiled was built from.
type Counts struct {
	// Services is the number of services.
	Services int
	// Fields is the number of fields.
	Fields int
	// Groups is the number of groups, the default group excluded.
	Groups int
	// Mappings is the number of mappings.
	Mappings int
	// Thresholds is the number of thresholds.
	Thresholds int
}

// compiledRule is a mapping or threshold with names resolved to indexes.
type compiledRule struct {
	group  int32
	flat   bool
	cost   money.Decimal
	level  money.Decimal // thresholds only
	value  string        // field mappings only
	tenant string
	valid  Validity
}

type serviceRules struct {
	mappings   []compiledRule
	thresholds []compiledRule
	fields     []*fieldRules // sorted by name
}

type fieldRules struct {
	name       string
	mappings   []compiledRule
	thresholds []compiledRule
}

// Compile checks rules for structural consistency (every rule's parent and
// group exist, types are valid) and builds the indexed form. Duplicates are
// not refused here (the API refuses them on write): among rules with the
// same key the later one in rules wins, as when CloudKitty loads them.
func Compile(rules Rules) (*Compiled, error) {
	c := &Compiled{
		groups:   []string{""},
		services: map[string]*serviceRules{},
		tenants:  map[string]bool{},
		views:    map[viewKey]*view{},
		counts: Counts{
			Services: len(rules.Services), Fields: len(rules.Fields), Groups: len(rules.Groups),
			Mappings: len(rules.Mappings), Thresholds: len(rules.Thresholds),
		},
	}
	groupIndex := map[string]int32{"": 0}
	for _, g := range rules.Groups {
		if _, ok := groupIndex[g.ID]; !ok {
			groupIndex[g.ID] = int32(len(c.groups))
			c.groups = append(c.groups, g.ID)
		}
	}
	serviceByID := map[string]*serviceRules{}
	for _, s := range rules.Services {
		sr := c.services[s.Name]
		if sr == nil {
			sr = &serviceRules{}
			c.services[s.Name] = sr
		}
		serviceByID[s.ID] = sr
	}
	fieldByID := map[string]*fieldRules{}
	for _, f := range rules.Fields {
		sr, ok := serviceByID[f.ServiceID]
		if !ok {
			return nil, errs.E(errs.Invalid, "hashmap: field %s refers to unknown service %s", f.ID, f.ServiceID)
		}
		i := slices.IndexFunc(sr.fields, func(x *fieldRules) bool { return x.name == f.Name })
		if i < 0 {
			sr.fields = append(sr.fields, &fieldRules{name: f.Name})
			i = len(sr.fields) - 1
		}
		fieldByID[f.ID] = sr.fields[i]
	}
	bounds := map[time.Time]bool{}
	resolve := func(kind, id, serviceID, fieldID, groupID, tenant string, t Type, v Validity) (*serviceRules, *fieldRules, compiledRule, error) {
		var r compiledRule
		if !t.Valid() {
			return nil, nil, r, errs.E(errs.Invalid, "hashmap: %s %s has type %q", kind, id, t)
		}
		g, ok := groupIndex[groupID]
		if !ok {
			return nil, nil, r, errs.E(errs.Invalid, "hashmap: %s %s refers to unknown group %s", kind, id, groupID)
		}
		r = compiledRule{group: g, flat: t == TypeFlat, tenant: tenant, valid: v}
		if tenant != "" {
			c.tenants[tenant] = true
		}
		for _, b := range []time.Time{v.Start, v.End} {
			if !b.IsZero() {
				bounds[b.UTC()] = true
			}
		}
		switch {
		case serviceID != "" && fieldID == "":
			sr, ok := serviceByID[serviceID]
			if !ok {
				return nil, nil, r, errs.E(errs.Invalid, "hashmap: %s %s refers to unknown service %s", kind, id, serviceID)
			}
			return sr, nil, r, nil
		case fieldID != "" && serviceID == "":
			fr, ok := fieldByID[fieldID]
			if !ok {
				return nil, nil, r, errs.E(errs.Invalid, "hashmap: %s %s refers to unknown field %s", kind, id, fieldID)
			}
			return nil, fr, r, nil
		}
		return nil, nil, r, errs.E(errs.Invalid, "hashmap: %s %s must have exactly one of service and field", kind, id)
	}
	for _, m := range rules.Mappings {
		sr, fr, r, err := resolve("mapping", m.ID, m.ServiceID, m.FieldID, m.GroupID, m.TenantID, m.Type, m.Validity)
		if err != nil {
			return nil, err
		}
		r.cost = m.Cost
		if fr != nil {
			r.value = m.Value
			fr.mappings = append(fr.mappings, r)
		} else {
			sr.mappings = append(sr.mappings, r)
		}
	}
	for _, t := range rules.Thresholds {
		sr, fr, r, err := resolve("threshold", t.ID, t.ServiceID, t.FieldID, t.GroupID, t.TenantID, t.Type, t.Validity)
		if err != nil {
			return nil, err
		}
		r.cost, r.level = t.Cost, t.Level
		if fr != nil {
			fr.thresholds = append(fr.thresholds, r)
		} else {
			sr.thresholds = append(sr.thresholds, r)
		}
	}
	for _, sr := range c.services {
		slices.SortStableFunc(sr.fields, func(a, b *fieldRules) int { return cmp.Compare(a.name, b.name) })
	}
	for b := range bounds {
		c.bounds = append(c.bounds, b)
	}
	slices.SortFunc(c.bounds, func(a, b time.Time) int { return a.Compare(b) })
	return c, nil
}

// MustCompile is Compile for rules known to be consistent; it panics otherwise.
func MustCompile(rules Rules) *Compiled {
	c, err := Compile(rules)
	if err != nil {
		panic(err)
	}
	return c
}

// Counts returns how many objects c was built from.
func (c *Compiled) Counts() Counts { return c.counts }

// entry is a mapping as the hot path sees it.
type entry struct {
	group int32
	flat  bool
	cost  money.Decimal
}

// thEntry is a threshold as the hot path sees it.
type thEntry struct {
	group int32
	flat  bool
	level money.Decimal
	cost  money.Decimal
}

type fieldView struct {
	name       string
	values     map[string][]entry // field value → at most one mapping per group
	thresholds []thEntry          // by level, highest first
}

type serviceView struct {
	mappings   []entry   // at most one per group
	thresholds []thEntry // by level, highest first
	fields     []fieldView
}

// view is the rule set in force for one tenant during one validity slot.
type view struct {
	ngroups  int
	services map[string]*serviceView
}

type viewKey struct {
	tenant string
	slot   int
}

// viewFor returns the cached view for tenant at instant at.
func (c *Compiled) viewFor(tenant string, at time.Time) *view {
	if !c.tenants[tenant] {
		tenant = "" // no rules of its own: it sees the global view
	}
	key := viewKey{tenant: tenant, slot: sort.Search(len(c.bounds), func(i int) bool { return c.bounds[i].After(at) })}
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.views[key]; ok {
		return v
	}
	if len(c.views) >= maxViews {
		clear(c.views)
	}
	v := c.buildView(tenant, at)
	c.views[key] = v
	return v
}

// pick returns, for each key, the rule that applies to tenant at instant
// at: a tenant's own rule beats a global one, and a later rule beats an
// earlier one of the same kind.
func pick(rules []compiledRule, tenant string, at time.Time, key func(*compiledRule) pickKey) []*compiledRule {
	var out []*compiledRule
	idx := map[pickKey]int{}
	for i := range rules {
		r := &rules[i]
		if (r.tenant != "" && r.tenant != tenant) || !r.valid.ActiveAt(at) {
			continue
		}
		k := key(r)
		if j, ok := idx[k]; ok {
			if out[j].tenant != "" && r.tenant == "" {
				continue
			}
			out[j] = r
			continue
		}
		idx[k] = len(out)
		out = append(out, r)
	}
	return out
}

// pickKey identifies the rules that replace one another: same group and
// same field value (mappings) or level (thresholds).
type pickKey struct {
	group int32
	key   string
}

func groupKey(r *compiledRule) pickKey { return pickKey{group: r.group} }

func valueKey(r *compiledRule) pickKey { return pickKey{r.group, r.value} }

func levelKey(r *compiledRule) pickKey { return pickKey{r.group, r.level.String()} }

func thresholdView(rules []compiledRule, tenant string, at time.Time) []thEntry {
	var out []thEntry
	for _, r := range pick(rules, tenant, at, levelKey) {
		out = append(out, thEntry{group: r.group, flat: r.flat, level: r.level, cost: r.cost})
	}
	// Highest level first; the first match of a group is then its best.
	slices.SortStableFunc(out, func(a, b thEntry) int { return b.level.Cmp(a.level) })
	return out
}

func (c *Compiled) buildView(tenant string, at time.Time) *view {
	v := &view{ngroups: len(c.groups), services: make(map[string]*serviceView, len(c.services))}
	for name, sr := range c.services {
		sv := &serviceView{thresholds: thresholdView(sr.thresholds, tenant, at)}
		for _, r := range pick(sr.mappings, tenant, at, groupKey) {
			sv.mappings = append(sv.mappings, entry{group: r.group, flat: r.flat, cost: r.cost})
		}
		for _, fr := range sr.fields {
			fv := fieldView{name: fr.name, values: map[string][]entry{}, thresholds: thresholdView(fr.thresholds, tenant, at)}
			for _, r := range pick(fr.mappings, tenant, at, valueKey) {
				fv.values[r.value] = append(fv.values[r.value], entry{group: r.group, flat: r.flat, cost: r.cost})
			}
			if len(fv.values) > 0 || len(fv.thresholds) > 0 {
				sv.fields = append(sv.fields, fv)
			}
		}
		if len(sv.mappings) > 0 || len(sv.thresholds) > 0 || len(sv.fields) > 0 {
			v.services[name] = sv
		}
	}
	return v
}

// groupAcc accumulates one group's matches for one point.
type groupAcc struct {
	flat    money.Decimal
	rate    money.Decimal
	thLevel money.Decimal
	thCost  money.Decimal
	hasTh   bool
	thFlat  bool
	thField bool
	active  bool
}

// pricer holds the per-run scratch space, so pricing a point never allocates.
type pricer struct {
	acc     []groupAcc
	touched []int32
}

func newPricer(ngroups int) *pricer {
	return &pricer{acc: make([]groupAcc, ngroups), touched: make([]int32, 0, ngroups)}
}

func (pr *pricer) group(g int32) *groupAcc {
	a := &pr.acc[g]
	if !a.active {
		*a = groupAcc{rate: money.One, active: true}
		pr.touched = append(pr.touched, g)
	}
	return a
}

func (pr *pricer) mapping(e *entry) {
	a := pr.group(e.group)
	if !e.flat {
		a.rate = a.rate.Mul(e.cost)
	} else if e.cost.Cmp(a.flat) > 0 {
		a.flat = e.cost
	}
}

var minusOne = money.NewFromInt(-1)

func (pr *pricer) threshold(t *thEntry, field bool) {
	a := pr.group(t.group)
	// CloudKitty starts each group's best level at -1 and keeps a strictly
	// higher one, so on equal levels the first seen (service, then fields
	// by name) wins.
	best := minusOne
	if a.hasTh {
		best = a.thLevel
	}
	if t.level.Cmp(best) > 0 {
		a.hasTh, a.thLevel, a.thCost, a.thFlat, a.thField = true, t.level, t.cost, t.flat, field
	}
}

// price returns the hashmap price of p under sv, and whether any rule matched.
func (pr *pricer) price(sv *serviceView, p *rating.DataPoint) (money.Decimal, bool) {
	pr.touched = pr.touched[:0]
	for i := range sv.mappings {
		pr.mapping(&sv.mappings[i])
	}
	for i := range sv.thresholds {
		if t := &sv.thresholds[i]; p.Qty.Cmp(t.level) >= 0 {
			pr.threshold(t, false)
		}
	}
	for i := range sv.fields {
		fv := &sv.fields[i]
		val, ok := p.Desc(fv.name)
		if !ok {
			continue
		}
		if es, ok := fv.values[val]; ok {
			for j := range es {
				pr.mapping(&es[j])
			}
		}
		if len(fv.thresholds) == 0 {
			continue
		}
		// A value that is not a number matches no threshold (CloudKitty
		// would fail the whole run on it).
		lvl, ok := money.TryParse(val)
		if !ok {
			continue
		}
		for j := range fv.thresholds {
			if t := &fv.thresholds[j]; lvl.Cmp(t.level) >= 0 {
				pr.threshold(t, true)
			}
		}
	}
	if len(pr.touched) == 0 {
		return money.Decimal{}, false
	}
	var total money.Decimal
	for _, g := range pr.touched {
		a := &pr.acc[g]
		flat, rate := a.flat, a.rate
		if a.hasTh && a.thField {
			if a.thFlat {
				flat = flat.Add(a.thCost)
			} else {
				rate = rate.Mul(a.thCost)
			}
		}
		res := rate.Mul(flat).Mul(p.Qty)
		if a.hasTh && !a.thField {
			if a.thFlat {
				res = res.Add(a.thCost)
			} else {
				res = res.Mul(a.thCost)
			}
		}
		total = total.Add(res)
		a.active = false
	}
	return total, true
}

// Rate adds the hashmap price of every point of f to its price, using the
// rules in force for f.ScopeID at f.Begin. It stops with ctx's error if ctx
// ends between metric types.
func (c *Compiled) Rate(ctx context.Context, f *rating.DataFrame) error {
	v := c.viewFor(f.ScopeID, f.Begin)
	if len(v.services) == 0 {
		return nil
	}
	pr := newPricer(v.ngroups)
	for t, pts := range f.Usage {
		sv, ok := v.services[t]
		if !ok {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		for i := range pts {
			if price, ok := pr.price(sv, &pts[i]); ok {
				pts[i].Price = pts[i].Price.Add(price)
			}
		}
	}
	return nil
}

// Price returns the hashmap price of one point of metric type t for tenant
// at instant at (without adding it anywhere); for previews and tests.
func (c *Compiled) Price(tenant string, at time.Time, t string, p *rating.DataPoint) money.Decimal {
	v := c.viewFor(tenant, at)
	sv, ok := v.services[t]
	if !ok {
		return money.Decimal{}
	}
	price, _ := newPricer(v.ngroups).price(sv, p)
	return price
}
