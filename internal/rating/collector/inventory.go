package collector

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/inventory"
	"github.com/skyfold/skyfold/internal/listing"
	"github.com/skyfold/skyfold/internal/money"
	"github.com/skyfold/skyfold/internal/rating"
)

// InventoryName is the inventory collector's name.
const InventoryName = "inventory"

// The inventory collector's extra_args and their values.
const (
	ArgResourceType    = "resource_type"
	ArgVolume          = "volume"
	ArgAggregation     = "aggregation_method"
	ArgServiceCategory = "service_category"

	AggregateHours = "hours"
	AggregateMean  = "mean"
	AggregateMax   = "max"
)

// Inventory is what the inventory collector reads (*inventory.Service).
type Inventory interface {
	ListResources(ctx context.Context, sc inventory.Scope, k inventory.Kind, f inventory.ResourceFilter, p listing.Params) (listing.Page[inventory.Resource], error)
	Region(ctx context.Context, id string) (*inventory.Region, error)
	// LoadData fills the Data (the driver's whole object) of resources.
	LoadData(ctx context.Context, rows []inventory.Resource) error
}

// InventoryCollector measures the resources of Skyfold's inventory: a
// resource counts from its creation in the cloud (or its first sync) to
// its deletion, for the part of each period it existed.
type InventoryCollector struct {
	inv      Inventory
	pageSize int

	mu      sync.Mutex
	regions map[string]string // cloudregion id → region id
}

// NewInventory returns the inventory collector reading inv.
func NewInventory(inv Inventory) *InventoryCollector {
	return &InventoryCollector{inv: inv, pageSize: 2000, regions: map[string]string{}}
}

// Name returns "inventory".
func (c *InventoryCollector) Name() string { return InventoryName }

// Check validates m's extra_args: resource_type (an inventory kind),
// volume (count, cpu, memory_mb, size_gb or data.<key>) and
// aggregation_method (hours, mean or max).
func (c *InventoryCollector) Check(m *Metric) error {
	k := m.ExtraArgs[ArgResourceType]
	if k == "" {
		return errs.Field("metrics."+m.Name, "extra_args.resource_type is required (server, disk, bucket, eip, ...)")
	}
	if !inventory.ValidKind(inventory.Kind(k)) {
		return errs.Field("metrics."+m.Name, fmt.Sprintf("unknown resource_type %q", k))
	}
	switch v := m.ExtraArgs[ArgVolume]; {
	case v == "", v == "count", v == "cpu", v == "memory_mb", v == "size_gb":
	case strings.HasPrefix(v, "data.") && len(v) > len("data."):
	default:
		return errs.Field("metrics."+m.Name, fmt.Sprintf("unknown volume %q (count, cpu, memory_mb, size_gb, data.<key>)", v))
	}
	switch a := m.ExtraArgs[ArgAggregation]; a {
	case "", AggregateHours, AggregateMean, AggregateMax:
	default:
		return errs.Field("metrics."+m.Name, fmt.Sprintf("unknown aggregation_method %q (hours, mean, max)", a))
	}
	return nil
}

// dataAttributes are the attributes read from a resource's synced data.
var dataAttributes = []string{"volume_type", "storage_class", "type"}

// needsData reports whether measuring metrics of kind k reads resources' data.
func needsData(metrics []*Metric, k inventory.Kind) bool {
	for _, m := range metrics {
		if inventory.Kind(m.ExtraArgs[ArgResourceType]) != k {
			continue
		}
		if strings.HasPrefix(m.ExtraArgs[ArgVolume], "data.") {
			return true
		}
		for _, a := range m.Attributes() {
			if strings.HasPrefix(a, "data.") || slices.Contains(dataAttributes, a) {
				return true
			}
		}
	}
	return false
}

func kindsOf(metrics []*Metric) []inventory.Kind {
	var out []inventory.Kind
	for _, m := range metrics {
		k := inventory.Kind(m.ExtraArgs[ArgResourceType])
		if k != "" && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// Scopes lists the projects owning resources of the metrics' kinds that
// were not deleted before since.
func (c *InventoryCollector) Scopes(ctx context.Context, metrics []*Metric, since time.Time) ([]string, error) {
	set := map[string]bool{}
	for _, k := range kindsOf(metrics) {
		for offset := 0; ; offset += c.pageSize {
			page, err := c.inv.ListResources(ctx, inventory.SystemScope, k, inventory.ResourceFilter{WithDeleted: true},
				listing.Params{Offset: offset, Limit: c.pageSize, Order: []listing.Order{{Field: "id"}}})
			if err != nil {
				return nil, fmt.Errorf("list %s scopes: %w", k, err)
			}
			for i := range page.Items {
				r := &page.Items[i]
				if r.ProjectID != "" && (r.DeletedAt == nil || r.DeletedAt.After(since)) {
					set[r.ProjectID] = true
				}
			}
			if len(page.Items) < c.pageSize {
				break
			}
		}
	}
	out := make([]string, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	slices.Sort(out)
	return out, nil
}

func (c *InventoryCollector) regionName(ctx context.Context, id string) string {
	if id == "" {
		return ""
	}
	c.mu.Lock()
	name, ok := c.regions[id]
	c.mu.Unlock()
	if ok {
		return name
	}
	name = id
	if r, err := c.inv.Region(ctx, id); err == nil && r.RegionID != "" {
		name = r.RegionID
	}
	c.mu.Lock()
	c.regions[id] = name
	c.mu.Unlock()
	return name
}

// template is one resource measured by one metric, ready to be counted in
// each period of a window.
type template struct {
	from, to time.Time // existence; zero to: still exists
	volume   money.Decimal
	resID    string
	groupBy  map[string]string
	metadata map[string]string

	fullLen time.Duration // period length fullQty was computed for
	fullQty money.Decimal
}

type inventoryWindow struct {
	scope     string
	templates map[string][]template // by metric name
	errs      map[string]error      // by metric name
}

// Open reads the scope's resources of every kind the metrics measure, once.
// A kind that cannot be read fails only the metrics measuring it.
func (c *InventoryCollector) Open(ctx context.Context, scope string, metrics []*Metric, begin, end time.Time) (Window, error) {
	w := &inventoryWindow{scope: scope, templates: map[string][]template{}, errs: map[string]error{}}
	byKind := map[inventory.Kind][]inventory.Resource{}
	kindErr := map[inventory.Kind]error{}
	for _, k := range kindsOf(metrics) {
		page, err := c.inv.ListResources(ctx, inventory.SystemScope, k, inventory.ResourceFilter{ProjectID: scope, WithDeleted: true},
			listing.Params{Order: []listing.Order{{Field: "id"}}})
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			kindErr[k] = fmt.Errorf("list %s of %s: %w", k, scope, err)
			continue
		}
		kept := page.Items[:0]
		for _, r := range page.Items {
			from, to := existence(&r)
			if from.Before(end) && (to.IsZero() || to.After(begin)) {
				kept = append(kept, r)
			}
		}
		if needsData(metrics, k) {
			if err := c.inv.LoadData(ctx, kept); err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				kindErr[k] = fmt.Errorf("load %s data of %s: %w", k, scope, err)
				continue
			}
		}
		byKind[k] = kept
	}
	for _, m := range metrics {
		k := inventory.Kind(m.ExtraArgs[ArgResourceType])
		if err := kindErr[k]; err != nil {
			w.errs[m.Name] = err
			continue
		}
		var list []template
		for i := range byKind[k] {
			t, err := c.template(ctx, m, &byKind[k][i])
			if err != nil {
				w.errs[m.Name] = err
				list = nil
				break
			}
			list = append(list, t)
		}
		w.templates[m.Name] = list
	}
	return w, nil
}

// existence is when a resource existed: from its creation in the cloud
// (when known and earlier than its first sync) to its deletion.
func existence(r *inventory.Resource) (from, to time.Time) {
	from = r.CreatedAt.UTC()
	if r.CloudCreatedAt != nil && !r.CloudCreatedAt.IsZero() && r.CloudCreatedAt.Before(from) {
		from = r.CloudCreatedAt.UTC()
	}
	if r.DeletedAt != nil {
		to = r.DeletedAt.UTC()
	}
	return from, to
}

// resourceView reads a resource's attributes, decoding its data once.
type resourceView struct {
	r      *inventory.Resource
	region string
	data   map[string]any
	tags   map[string]string
}

func (v *resourceView) dataValue(key string) (any, bool) {
	if v.data == nil {
		v.data = map[string]any{}
		_ = json.Unmarshal(v.r.Data, &v.data)
	}
	x, ok := v.data[key]
	return x, ok && x != nil
}

func stringOf(x any) string {
	switch t := x.(type) {
	case string:
		return t
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(t)
	}
	b, _ := json.Marshal(x)
	return string(b)
}

// attr returns a resource attribute by the names CloudKitty metrics use.
func (v *resourceView) attr(name string) (string, bool) {
	r := v.r
	switch name {
	case "id", "resource_id":
		return r.ID, true
	case "project_id", "tenant_id":
		return r.ProjectID, r.ProjectID != ""
	case "domain_id":
		return r.DomainID, r.DomainID != ""
	case "name", "display_name":
		return r.Name, true
	case "status":
		return r.Status, true
	case "external_id":
		return r.ExternalID, true
	case "flavor_name", "flavor_id", "flavor", "instance_type":
		return r.InstanceType, r.InstanceType != ""
	case "vcpus", "cpu":
		return strconv.Itoa(r.CPU), true
	case "ram", "memory_mb":
		return strconv.Itoa(r.MemoryMB), true
	case "size", "size_gb":
		return strconv.Itoa(r.SizeGB), true
	case "region":
		return v.region, v.region != ""
	case "region_id", "cloudregion_id":
		return r.CloudregionID, r.CloudregionID != ""
	case "zone", "zone_id", "availability_zone":
		return r.ZoneID, r.ZoneID != ""
	case "account_id", "cloudaccount_id":
		return r.CloudaccountID, true
	case "provider_id", "cloudprovider_id":
		return r.CloudproviderID, true
	case "charge_type":
		return r.ChargeType, r.ChargeType != ""
	case "volume_type":
		return v.dataString("category")
	case "storage_class":
		return v.dataString("storage_class")
	case "type":
		return v.dataString("type")
	}
	if key, ok := strings.CutPrefix(name, "tag."); ok {
		if v.tags == nil {
			v.tags = r.TagMap()
		}
		t, ok := v.tags[key]
		return t, ok
	}
	if key, ok := strings.CutPrefix(name, "data."); ok {
		return v.dataString(key)
	}
	return "", false
}

func (v *resourceView) dataString(key string) (string, bool) {
	x, ok := v.dataValue(key)
	if !ok {
		return "", false
	}
	return stringOf(x), true
}

// volumeOf is what one resource counts for under m.
func (v *resourceView) volumeOf(m *Metric) (money.Decimal, error) {
	r := v.r
	switch vol := m.ExtraArgs[ArgVolume]; vol {
	case "", "count":
		return money.One, nil
	case "cpu":
		return money.NewFromInt(int64(r.CPU)), nil
	case "memory_mb":
		return money.NewFromInt(int64(r.MemoryMB)), nil
	case "size_gb":
		return money.NewFromInt(int64(r.SizeGB)), nil
	default:
		key := strings.TrimPrefix(vol, "data.")
		x, ok := v.dataValue(key)
		if !ok {
			return money.Zero, nil
		}
		switch t := x.(type) {
		case float64:
			return money.NewFromFloat(t)
		case string:
			d, err := money.Parse(t)
			if err != nil {
				return money.Zero, fmt.Errorf("resource %s: %s is %q, not a number", r.ID, vol, t)
			}
			return d, nil
		}
		return money.Zero, fmt.Errorf("resource %s: %s is not a number", r.ID, vol)
	}
}

func (c *InventoryCollector) template(ctx context.Context, m *Metric, r *inventory.Resource) (template, error) {
	v := &resourceView{r: r, region: c.regionName(ctx, r.CloudregionID)}
	vol, err := v.volumeOf(m)
	if err != nil {
		return template{}, err
	}
	from, to := existence(r)
	t := template{from: from, to: to, volume: vol, resID: r.ID,
		groupBy: make(map[string]string, len(m.GroupBy)), metadata: make(map[string]string, len(m.Metadata))}
	for _, a := range m.GroupBy {
		if s, ok := v.attr(a); ok {
			t.groupBy[a] = s
		}
	}
	for _, a := range m.Metadata {
		if s, ok := v.attr(a); ok {
			t.metadata[a] = s
		}
	}
	return t, nil
}

var msPerHour = money.NewFromInt(int64(time.Hour / time.Millisecond))

// quantity is what the template counts for over overlap of a period of
// length period, before conversion.
func quantity(agg string, vol money.Decimal, overlap, period time.Duration) money.Decimal {
	switch agg {
	case AggregateMax:
		return vol
	case AggregateMean:
		if overlap == period {
			return vol
		}
		f, _ := money.NewFromInt(overlap.Milliseconds()).Quo(money.NewFromInt(period.Milliseconds()))
		return vol.Mul(f)
	}
	h, _ := money.NewFromInt(overlap.Milliseconds()).Quo(msPerHour)
	return vol.Mul(h)
}

// Collect counts every resource of m that existed during [begin, end).
func (w *inventoryWindow) Collect(ctx context.Context, m *Metric, begin, end time.Time, dst []rating.DataPoint) ([]rating.DataPoint, error) {
	if err := w.errs[m.Name]; err != nil {
		return dst, err
	}
	list := w.templates[m.Name]
	period := end.Sub(begin)
	agg := m.ExtraArgs[ArgAggregation]
	for i := range list {
		t := &list[i]
		from, to := t.from, t.to
		if !from.Before(end) || (!to.IsZero() && !to.After(begin)) {
			continue
		}
		var qty money.Decimal
		if !from.After(begin) && (to.IsZero() || !to.Before(end)) {
			if t.fullLen != period {
				t.fullLen, t.fullQty = period, m.Convert(quantity(agg, t.volume, period, period))
			}
			qty = t.fullQty
		} else {
			if from.Before(begin) {
				from = begin
			}
			to = end
			if !t.to.IsZero() && t.to.Before(end) {
				to = t.to
			}
			qty = m.Convert(quantity(agg, t.volume, to.Sub(from), period))
		}
		dst = append(dst, rating.DataPoint{Qty: qty, Unit: m.Unit, ResourceID: t.resID, ProjectID: w.scope,
			GroupBy: t.groupBy, Metadata: t.metadata})
	}
	return dst, nil
}

var (
	_ Collector = (*InventoryCollector)(nil)
	_ Window    = (*inventoryWindow)(nil)
)
