package rating

import (
	"maps"
	"slices"
	"time"

	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/money"
)

// DefaultUnit is the unit CloudKitty gives a point collected without one.
const DefaultUnit = "undefined"

// DataPoint is one rated measurement of one resource over a frame's period:
// CloudKitty's DataPoint (vol {qty, unit}, rating {price}, groupby, metadata).
type DataPoint struct {
	// Qty is the measured volume (CloudKitty's vol.qty).
	Qty money.Decimal
	// Unit is the unit of Qty (vol.unit); empty means DefaultUnit.
	Unit string
	// Price is the rating so far (rating.price); modules add to it.
	Price money.Decimal
	// ResourceID identifies the measured resource; CloudKitty keeps it in
	// groupby["id"], and Desc("id") falls back to it.
	ResourceID string
	// ProjectID is the owning project; Desc("project_id") falls back to it.
	ProjectID string
	// GroupBy holds the attributes the collector grouped by (id, project_id, ...).
	GroupBy map[string]string
	// Metadata holds the other attributes (flavor_id, volume_type, ...).
	Metadata map[string]string
}

// Desc looks key up the way CloudKitty's "desc" sees a point: groupby first,
// then metadata, then the ResourceID ("id") and ProjectID ("project_id")
// fields. It does not allocate.
func (p *DataPoint) Desc(key string) (string, bool) {
	if v, ok := p.GroupBy[key]; ok {
		return v, true
	}
	if v, ok := p.Metadata[key]; ok {
		return v, true
	}
	switch key {
	case "id":
		return p.ResourceID, p.ResourceID != ""
	case "project_id":
		return p.ProjectID, p.ProjectID != ""
	}
	return "", false
}

// DescMap returns CloudKitty's merged "desc" of the point: metadata
// overlaid by groupby, plus id and project_id when only the fields hold them.
func (p *DataPoint) DescMap() map[string]string {
	m := make(map[string]string, len(p.GroupBy)+len(p.Metadata)+2)
	maps.Copy(m, p.Metadata)
	maps.Copy(m, p.GroupBy)
	if _, ok := m["id"]; !ok && p.ResourceID != "" {
		m["id"] = p.ResourceID
	}
	if _, ok := m["project_id"]; !ok && p.ProjectID != "" {
		m["project_id"] = p.ProjectID
	}
	return m
}

// UnitOrDefault returns Unit, or DefaultUnit when it is empty.
func (p *DataPoint) UnitOrDefault() string {
	if p.Unit == "" {
		return DefaultUnit
	}
	return p.Unit
}

// Clone returns a deep copy of the point.
func (p DataPoint) Clone() DataPoint {
	p.GroupBy = maps.Clone(p.GroupBy)
	p.Metadata = maps.Clone(p.Metadata)
	return p
}

// DataFrame is the usage of one scope over one period, by metric type
// (CloudKitty's "service"), that the rating modules price in place.
type DataFrame struct {
	// Begin is the start of the period (inclusive).
	Begin time.Time
	// End is the end of the period (exclusive).
	End time.Time
	// ScopeID is the scope (tenant / project) being rated; hashmap rules
	// tied to a tenant apply when it equals ScopeID.
	ScopeID string
	// Usage maps a metric type (hashmap service name) to its points. Modules
	// change prices through the slice (Usage[t][i].Price), never its length.
	Usage map[string][]DataPoint
}

// NewDataFrame returns an empty frame for the period [begin, end) of scope.
func NewDataFrame(begin, end time.Time, scope string) *DataFrame {
	return &DataFrame{Begin: begin, End: end, ScopeID: scope, Usage: map[string][]DataPoint{}}
}

// Validate checks the frame is usable: a period with begin before end.
func (f *DataFrame) Validate() error {
	if f.Begin.IsZero() || f.End.IsZero() {
		return errs.Field("period", "begin and end are required")
	}
	if !f.Begin.Before(f.End) {
		return errs.Field("period", "begin must be before end")
	}
	return nil
}

// Add appends points to the metric type t.
func (f *DataFrame) Add(t string, points ...DataPoint) {
	if f.Usage == nil {
		f.Usage = map[string][]DataPoint{}
	}
	f.Usage[t] = append(f.Usage[t], points...)
}

// Types returns the metric types of the frame, sorted, as CloudKitty orders them.
func (f *DataFrame) Types() []string {
	return slices.Sorted(maps.Keys(f.Usage))
}

// Len returns the number of points in the frame.
func (f *DataFrame) Len() int {
	n := 0
	for _, pts := range f.Usage {
		n += len(pts)
	}
	return n
}

// Total returns the sum of all point prices.
func (f *DataFrame) Total() money.Decimal {
	var t money.Decimal
	for _, pts := range f.Usage {
		for i := range pts {
			t = t.Add(pts[i].Price)
		}
	}
	return t
}

// ResetPrices sets every price to 0, as before the first module runs.
func (f *DataFrame) ResetPrices() {
	for _, pts := range f.Usage {
		for i := range pts {
			pts[i].Price = money.Decimal{}
		}
	}
}

// Clone returns a deep copy of the frame.
func (f *DataFrame) Clone() *DataFrame {
	g := *f
	g.Usage = make(map[string][]DataPoint, len(f.Usage))
	for t, pts := range f.Usage {
		cp := make([]DataPoint, len(pts))
		for i := range pts {
			cp[i] = pts[i].Clone()
		}
		g.Usage[t] = cp
	}
	return &g
}

// Resource is one item of a quote request (CloudKitty's CloudkittyResource):
// a service, a volume and a description of the resource.
type Resource struct {
	// Service is the metric type (hashmap service name), e.g. "instance".
	Service string
	// Volume is the quantity to price.
	Volume money.Decimal
	// Desc describes the resource (flavor_id, volume_type, ...).
	Desc map[string]string
}

// QuoteFrame builds the frame a quote is rated on: one point per resource,
// its desc as groupby (as CloudKitty reads legacy data), for scope at the
// period [begin, end).
func QuoteFrame(begin, end time.Time, scope string, resources []Resource) *DataFrame {
	f := NewDataFrame(begin, end, scope)
	for _, r := range resources {
		f.Add(r.Service, DataPoint{Qty: r.Volume, GroupBy: maps.Clone(r.Desc)})
	}
	return f
}
