package hashmap_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/money"
	"github.com/skyfold/skyfold/internal/rating"
	"github.com/skyfold/skyfold/internal/rating/hashmap"
)

func dec(s string) money.Decimal { return money.MustParse(s) }

var (
	jan = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	feb = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	mar = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
)

// rules builds a configuration with ids derived from names, for tests.
type rulesBuilder struct{ r hashmap.Rules }

func (b *rulesBuilder) service(name string) string {
	id := "svc-" + name
	b.r.Services = append(b.r.Services, hashmap.Service{ID: id, Name: name})
	return id
}

func (b *rulesBuilder) field(serviceID, name string) string {
	id := serviceID + "/" + name
	b.r.Fields = append(b.r.Fields, hashmap.Field{ID: id, ServiceID: serviceID, Name: name})
	return id
}

func (b *rulesBuilder) group(name string) string {
	id := "grp-" + name
	b.r.Groups = append(b.r.Groups, hashmap.Group{ID: id, Name: name})
	return id
}

func (b *rulesBuilder) mapping(m hashmap.Mapping) {
	if m.ID == "" {
		m.ID = fmt.Sprintf("map-%d", len(b.r.Mappings))
	}
	b.r.Mappings = append(b.r.Mappings, m)
}

func (b *rulesBuilder) threshold(t hashmap.Threshold) {
	if t.ID == "" {
		t.ID = fmt.Sprintf("thr-%d", len(b.r.Thresholds))
	}
	b.r.Thresholds = append(b.r.Thresholds, t)
}

func (b *rulesBuilder) compile(t testing.TB) *hashmap.Compiled {
	t.Helper()
	if err := b.r.Validate(); err != nil {
		t.Fatalf("rules invalid: %v", err)
	}
	c, err := hashmap.Compile(b.r)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return c
}

// documentedExample is CloudKitty's "volume per GiB with discount" example.
func documentedExample() *rulesBuilder {
	b := &rulesBuilder{}
	svc := b.service("volume.size")
	g := b.group("volume_thresholds")
	b.mapping(hashmap.Mapping{ServiceID: svc, Type: hashmap.TypeFlat, Cost: dec("0.001"), GroupID: g})
	b.threshold(hashmap.Threshold{ServiceID: svc, Level: dec("50"), Type: hashmap.TypeRate, Cost: dec("0.98"), GroupID: g})
	b.threshold(hashmap.Threshold{ServiceID: svc, Level: dec("50"), Type: hashmap.TypeRate, Cost: dec("0.97"), GroupID: g,
		TenantID: "2d5b39657dc542d4b2a14b685335304e"})
	b.threshold(hashmap.Threshold{ServiceID: svc, Level: dec("200"), Type: hashmap.TypeRate, Cost: dec("0.95"), GroupID: g})
	return b
}

func TestDocumentedExample(t *testing.T) {
	c := documentedExample().compile(t)
	tests := []struct {
		qty, tenant, want string
	}{
		{"20", "", "0.02"},
		{"50", "", "0.049"},
		{"50", "2d5b39657dc542d4b2a14b685335304e", "0.0485"},
		{"80", "", "0.0784"},
		{"80", "2d5b39657dc542d4b2a14b685335304e", "0.0776"},
		{"250", "", "0.2375"},
		{"250", "2d5b39657dc542d4b2a14b685335304e", "0.2375"},
		{"80", "someone-else", "0.0784"},
	}
	for _, tt := range tests {
		t.Run(tt.qty+"GiB/"+tt.tenant, func(t *testing.T) {
			f := rating.NewDataFrame(jan, jan.Add(time.Hour), tt.tenant)
			f.Add("volume.size", rating.DataPoint{Qty: dec(tt.qty), Unit: "GiB"})
			if err := hashmap.New(c).Rate(context.Background(), f); err != nil {
				t.Fatal(err)
			}
			if got := f.Usage["volume.size"][0].Price.String(); got != tt.want {
				t.Fatalf("price = %s, want %s", got, tt.want)
			}
		})
	}
}

// point is a test shorthand for a data point.
func point(qty string, kv ...string) rating.DataPoint {
	p := rating.DataPoint{Qty: dec(qty), Metadata: map[string]string{}}
	for i := 0; i+1 < len(kv); i += 2 {
		p.Metadata[kv[i]] = kv[i+1]
	}
	return p
}

func TestRuleKinds(t *testing.T) {
	flat, rate := hashmap.TypeFlat, hashmap.TypeRate
	type rule struct {
		field, value  string // field name ("" = service rule) and value (mappings)
		typ           hashmap.Type
		cost, level   string // level set = threshold
		group, tenant string
	}
	tests := []struct {
		name   string
		rules  []rule
		point  rating.DataPoint
		before string // price set by earlier modules
		want   string
	}{
		{"service flat", []rule{{typ: flat, cost: "0.5"}}, point("3"), "", "1.5"},
		{"service rate alone prices nothing", []rule{{typ: rate, cost: "2"}}, point("3"), "", "0"},
		{"flat times rate times qty", []rule{{typ: flat, cost: "2"}, {field: "os", value: "win", typ: rate, cost: "1.5"}}, point("4", "os", "win"), "", "12"},
		{"rates multiply", []rule{{typ: flat, cost: "1"}, {field: "os", value: "win", typ: rate, cost: "2"}, {field: "tier", value: "gold", typ: rate, cost: "3"}},
			point("1", "os", "win", "tier", "gold"), "", "6"},
		{"largest flat wins", []rule{{typ: flat, cost: "0.1"}, {field: "flavor", value: "m1.small", typ: flat, cost: "0.4"}, {field: "os", value: "win", typ: flat, cost: "0.2"}},
			point("2", "flavor", "m1.small", "os", "win"), "", "0.8"},
		{"field mapping needs the exact value", []rule{{field: "flavor", value: "m1.small", typ: flat, cost: "0.4"}}, point("2", "flavor", "m1.Small"), "", "0"},
		{"field missing from desc", []rule{{field: "flavor", value: "m1.small", typ: flat, cost: "0.4"}}, point("2"), "", "0"},
		{"groups add up", []rule{{typ: flat, cost: "1", group: "a"}, {typ: flat, cost: "2", group: "b"}, {typ: flat, cost: "0.5"}}, point("2"), "", "7"},
		{"groups are independent", []rule{{typ: flat, cost: "1", group: "a"}, {typ: rate, cost: "10", group: "b"}}, point("2"), "", "2"},
		{"adds to earlier price", []rule{{typ: flat, cost: "1"}}, point("2"), "0.25", "2.25"},
		{"field threshold flat adds to flat before qty", []rule{{typ: flat, cost: "1"}, {field: "vcpus", typ: flat, cost: "0.5", level: "4"}},
			point("2", "vcpus", "8"), "", "3"},
		{"field threshold rate multiplies rate before qty", []rule{{typ: flat, cost: "1"}, {field: "vcpus", typ: rate, cost: "0.5", level: "4"}},
			point("2", "vcpus", "4"), "", "1"},
		{"field threshold below level", []rule{{typ: flat, cost: "1"}, {field: "vcpus", typ: rate, cost: "0.5", level: "4"}},
			point("2", "vcpus", "3.99"), "", "2"},
		{"field threshold on non-number", []rule{{typ: flat, cost: "1"}, {field: "vcpus", typ: rate, cost: "0.5", level: "4"}},
			point("2", "vcpus", "many"), "", "2"},
		{"service threshold flat adds after qty", []rule{{typ: flat, cost: "1"}, {typ: flat, cost: "5", level: "10"}}, point("10"), "", "15"},
		{"service threshold rate multiplies result", []rule{{typ: flat, cost: "1"}, {typ: rate, cost: "0.5", level: "10"}}, point("20"), "", "10"},
		{"service flat threshold alone", []rule{{typ: flat, cost: "5", level: "0"}}, point("3"), "", "5"},
		{"only the highest threshold", []rule{{typ: flat, cost: "1"}, {typ: rate, cost: "0.5", level: "10"}, {typ: rate, cost: "0.25", level: "20"}, {typ: rate, cost: "0.9", level: "5"}},
			point("40"), "", "10"},
		{"higher field threshold beats service threshold", []rule{{typ: flat, cost: "1"}, {typ: rate, cost: "0.5", level: "10"}, {field: "vcpus", typ: flat, cost: "1", level: "16"}},
			point("20", "vcpus", "16"), "", "40"},
		{"higher service threshold beats field threshold", []rule{{typ: flat, cost: "1"}, {typ: rate, cost: "0.5", level: "10"}, {field: "vcpus", typ: flat, cost: "1", level: "2"}},
			point("20", "vcpus", "16"), "", "10"},
		{"equal levels: service threshold first", []rule{{typ: flat, cost: "1"}, {typ: rate, cost: "0.5", level: "10"}, {field: "vcpus", typ: flat, cost: "1", level: "10"}},
			point("20", "vcpus", "10"), "", "10"},
		{"thresholds per group", []rule{{typ: flat, cost: "1", group: "a"}, {typ: rate, cost: "0.5", level: "10", group: "a"}, {typ: flat, cost: "1", group: "b"}},
			point("20"), "", "30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &rulesBuilder{}
			svc := b.service("instance")
			fields, groups := map[string]string{}, map[string]string{}
			for _, r := range tt.rules {
				parentService, parentField := svc, ""
				if r.field != "" {
					if fields[r.field] == "" {
						fields[r.field] = b.field(svc, r.field)
					}
					parentService, parentField = "", fields[r.field]
				}
				gid := ""
				if r.group != "" {
					if groups[r.group] == "" {
						groups[r.group] = b.group(r.group)
					}
					gid = groups[r.group]
				}
				if r.level != "" {
					b.threshold(hashmap.Threshold{ServiceID: parentService, FieldID: parentField, Level: dec(r.level), Type: r.typ, Cost: dec(r.cost), GroupID: gid, TenantID: r.tenant})
				} else {
					b.mapping(hashmap.Mapping{ServiceID: parentService, FieldID: parentField, Value: r.value, Type: r.typ, Cost: dec(r.cost), GroupID: gid, TenantID: r.tenant})
				}
			}
			c := b.compile(t)
			f := rating.NewDataFrame(jan, jan.Add(time.Hour), "")
			p := tt.point
			if tt.before != "" {
				p.Price = dec(tt.before)
			}
			f.Add("instance", p)
			f.Add("other.metric", point("99"))
			if err := c.Rate(context.Background(), f); err != nil {
				t.Fatal(err)
			}
			if got := f.Usage["instance"][0].Price.String(); got != tt.want {
				t.Fatalf("price = %s, want %s", got, tt.want)
			}
			if got := f.Usage["other.metric"][0].Price; !got.IsZero() {
				t.Fatalf("unrated metric priced %s", got)
			}
			if got := c.Price("", jan, "instance", &tt.point); tt.before == "" && got.String() != tt.want {
				t.Fatalf("Price() = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestDescLookup(t *testing.T) {
	b := &rulesBuilder{}
	svc := b.service("instance")
	fl := b.field(svc, "flavor_id")
	id := b.field(svc, "id")
	b.mapping(hashmap.Mapping{FieldID: fl, Value: "tiny", Type: hashmap.TypeFlat, Cost: dec("1")})
	b.mapping(hashmap.Mapping{FieldID: fl, Value: "big", Type: hashmap.TypeFlat, Cost: dec("10")})
	b.mapping(hashmap.Mapping{FieldID: id, Value: "vm-1", Type: hashmap.TypeRate, Cost: dec("2")})
	c := b.compile(t)
	tests := []struct {
		name string
		p    rating.DataPoint
		want string
	}{
		{"metadata", rating.DataPoint{Qty: dec("1"), Metadata: map[string]string{"flavor_id": "tiny"}}, "1"},
		{"groupby wins over metadata", rating.DataPoint{Qty: dec("1"), GroupBy: map[string]string{"flavor_id": "big"}, Metadata: map[string]string{"flavor_id": "tiny"}}, "10"},
		{"resource id field", rating.DataPoint{Qty: dec("1"), ResourceID: "vm-1", Metadata: map[string]string{"flavor_id": "tiny"}}, "2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.Price("", jan, "instance", &tt.p).String(); got != tt.want {
				t.Fatalf("price = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestTenantOverrides(t *testing.T) {
	b := &rulesBuilder{}
	svc := b.service("instance")
	fl := b.field(svc, "flavor")
	other := b.group("other")
	b.mapping(hashmap.Mapping{ServiceID: svc, Type: hashmap.TypeFlat, Cost: dec("1")})
	b.mapping(hashmap.Mapping{ServiceID: svc, Type: hashmap.TypeFlat, Cost: dec("0.5"), TenantID: "t1"}) // cheaper, still replaces
	b.mapping(hashmap.Mapping{FieldID: fl, Value: "gpu", Type: hashmap.TypeRate, Cost: dec("3")})
	b.mapping(hashmap.Mapping{FieldID: fl, Value: "gpu", Type: hashmap.TypeRate, Cost: dec("2"), TenantID: "t2"})
	b.mapping(hashmap.Mapping{ServiceID: svc, Type: hashmap.TypeFlat, Cost: dec("0.1"), GroupID: other, TenantID: "t3"}) // other group: adds
	c := b.compile(t)
	tests := []struct{ tenant, want string }{
		{"", "6"},     // 1 × 3 × 2
		{"t1", "3"},   // 0.5 × 3 × 2
		{"t2", "4"},   // 1 × 2 × 2
		{"t3", "6.2"}, // 6 + 0.1 × 2
		{"t9", "6"},   // no rules of its own
	}
	for _, tt := range tests {
		t.Run("tenant="+tt.tenant, func(t *testing.T) {
			f := rating.NewDataFrame(jan, jan.Add(time.Hour), tt.tenant)
			f.Add("instance", point("2", "flavor", "gpu"))
			if err := c.Rate(context.Background(), f); err != nil {
				t.Fatal(err)
			}
			if got := f.Usage["instance"][0].Price.String(); got != tt.want {
				t.Fatalf("price = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestValidityDates(t *testing.T) {
	b := &rulesBuilder{}
	svc := b.service("instance")
	b.mapping(hashmap.Mapping{ServiceID: svc, Type: hashmap.TypeFlat, Cost: dec("1"), Validity: hashmap.Validity{Start: jan, End: feb}})
	b.mapping(hashmap.Mapping{ServiceID: svc, Type: hashmap.TypeFlat, Cost: dec("2"), Validity: hashmap.Validity{Start: feb}})
	b.mapping(hashmap.Mapping{ServiceID: svc, Type: hashmap.TypeFlat, Cost: dec("7"), TenantID: "t1", Validity: hashmap.Validity{End: feb}})
	b.threshold(hashmap.Threshold{ServiceID: svc, Level: dec("0"), Type: hashmap.TypeRate, Cost: dec("0.5"), Validity: hashmap.Validity{Start: mar}})
	c := b.compile(t)
	tests := []struct {
		name   string
		at     time.Time
		tenant string
		want   string
	}{
		{"before any start", jan.Add(-time.Hour), "", "0"},
		{"first window", jan, "", "1"},
		{"end is exclusive", feb, "", "2"},
		{"open end", feb.Add(240 * time.Hour), "", "2"},
		{"threshold from march", mar, "", "1"},
		{"tenant rule while valid", jan.Add(time.Hour), "t1", "7"},
		{"tenant rule without start", jan.Add(-time.Hour), "t1", "7"},
		{"expired tenant rule falls back to global", feb.Add(time.Hour), "t1", "2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := rating.NewDataFrame(tt.at, tt.at.Add(time.Hour), tt.tenant)
			f.Add("instance", point("1"))
			if err := c.Rate(context.Background(), f); err != nil {
				t.Fatal(err)
			}
			if got := f.Usage["instance"][0].Price.String(); got != tt.want {
				t.Fatalf("price = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	base := func() hashmap.Rules {
		return hashmap.Rules{
			Services: []hashmap.Service{{ID: "s", Name: "instance"}},
			Fields:   []hashmap.Field{{ID: "f", ServiceID: "s", Name: "flavor"}},
		}
	}
	tests := []struct {
		name   string
		mutate func(*hashmap.Rules)
	}{
		{"field of unknown service", func(r *hashmap.Rules) {
			r.Fields = append(r.Fields, hashmap.Field{ID: "x", ServiceID: "nope", Name: "a"})
		}},
		{"mapping of unknown service", func(r *hashmap.Rules) {
			r.Mappings = append(r.Mappings, hashmap.Mapping{ServiceID: "nope", Type: hashmap.TypeFlat})
		}},
		{"mapping of unknown field", func(r *hashmap.Rules) {
			r.Mappings = append(r.Mappings, hashmap.Mapping{FieldID: "nope", Value: "v", Type: hashmap.TypeFlat})
		}},
		{"mapping in unknown group", func(r *hashmap.Rules) {
			r.Mappings = append(r.Mappings, hashmap.Mapping{ServiceID: "s", GroupID: "g", Type: hashmap.TypeFlat})
		}},
		{"mapping with two parents", func(r *hashmap.Rules) {
			r.Mappings = append(r.Mappings, hashmap.Mapping{ServiceID: "s", FieldID: "f", Type: hashmap.TypeFlat})
		}},
		{"threshold with bad type", func(r *hashmap.Rules) {
			r.Thresholds = append(r.Thresholds, hashmap.Threshold{ServiceID: "s", Type: "percent"})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base()
			tt.mutate(&r)
			if _, err := hashmap.Compile(r); err == nil {
				t.Fatal("Compile accepted inconsistent rules")
			}
		})
	}
	if _, err := hashmap.Compile(base()); err != nil {
		t.Fatalf("Compile(base) = %v", err)
	}
}

func TestDuplicatesLastWins(t *testing.T) {
	r := hashmap.Rules{
		Services: []hashmap.Service{{ID: "s", Name: "instance"}},
		Mappings: []hashmap.Mapping{
			{ID: "a", ServiceID: "s", Type: hashmap.TypeFlat, Cost: dec("1")},
			{ID: "b", ServiceID: "s", Type: hashmap.TypeFlat, Cost: dec("0.5")},
		},
	}
	c := hashmap.MustCompile(r)
	p := point("2")
	if got := c.Price("", jan, "instance", &p).String(); got != "1" {
		t.Fatalf("price = %s, want 1 (the later duplicate replaces the earlier)", got)
	}
}

func TestModuleLoadAndConcurrentRate(t *testing.T) {
	m := hashmap.New(nil)
	f := rating.NewDataFrame(jan, jan.Add(time.Hour), "")
	f.Add("volume.size", point("80"))
	if err := m.Rate(context.Background(), f); err != nil || !f.Total().IsZero() {
		t.Fatalf("empty module priced %s, %v", f.Total(), err)
	}
	m.Load(documentedExample().compile(t))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				f := rating.NewDataFrame(jan, jan.Add(time.Hour), "")
				f.Add("volume.size", point("80"), point("250"))
				if err := m.Rate(context.Background(), f); err != nil {
					t.Error(err)
					return
				}
				if got := f.Total().String(); got != "0.3159" {
					t.Errorf("total = %s, want 0.3159", got)
					return
				}
			}
		})
	}
	wg.Wait()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := m.Rate(ctx, f); err == nil {
		t.Fatal("Rate ignored a cancelled context")
	}
}

func TestPipelineWithHashmap(t *testing.T) {
	p := rating.NewPipeline()
	hm := hashmap.New(documentedExample().compile(t))
	if err := p.Register(hm, true, 1); err != nil {
		t.Fatal(err)
	}
	if err := p.Register(rating.Noop{}, true, 1); err != nil {
		t.Fatal(err)
	}
	total, err := p.Quote(context.Background(), "", []rating.Resource{
		{Service: "volume.size", Volume: dec("80")},
		{Service: "volume.size", Volume: dec("250")},
	})
	if err != nil || total.String() != "0.3159" {
		t.Fatalf("quote = %s, %v; want 0.3159", total, err)
	}
}
