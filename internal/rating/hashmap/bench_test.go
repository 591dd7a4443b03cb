package hashmap_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/money"
	"github.com/skyfold/skyfold/internal/rating"
	"github.com/skyfold/skyfold/internal/rating/hashmap"
)

// benchRules is 20 mappings in 3 groups, service and field mappings, flat
// and rate, with two service thresholds and one field threshold.
func benchRules(tb testing.TB) *hashmap.Compiled {
	c, err := hashmap.Compile(benchRuleSet(tb))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func benchRuleSet(tb testing.TB) hashmap.Rules {
	b := &rulesBuilder{}
	inst, vol, img := b.service("instance"), b.service("volume.size"), b.service("image.size")
	flavor, osf, region, vcpus := b.field(inst, "flavor_id"), b.field(inst, "os"), b.field(inst, "region"), b.field(inst, "vcpus")
	vtype := b.field(vol, "volume_type")
	format, vis := b.field(img, "disk_format"), b.field(img, "visibility")
	compute, storage, images := b.group("compute"), b.group("storage"), b.group("images")
	flat, rate := hashmap.TypeFlat, hashmap.TypeRate
	m := func(svc, field, value string, typ hashmap.Type, cost, group string) {
		b.mapping(hashmap.Mapping{ServiceID: svc, FieldID: field, Value: value, Type: typ, Cost: dec(cost), GroupID: group})
	}
	// compute: 10 mappings
	m(inst, "", "", flat, "0.01", compute)
	for i, f := range []string{"m1.tiny", "m1.small", "m1.medium", "m1.large", "m1.xlarge"} {
		m("", flavor, f, flat, fmt.Sprintf("0.0%d", 2*(i+1)), compute)
	}
	m("", osf, "windows", rate, "1.5", compute)
	m("", osf, "linux", rate, "1", compute)
	m("", region, "cn-east", rate, "1.1", compute)
	m("", region, "cn-north", rate, "0.9", compute)
	// storage: 5 mappings
	m(vol, "", "", flat, "0.001", storage)
	m("", vtype, "ssd", flat, "0.003", storage)
	m("", vtype, "hdd", flat, "0.001", storage)
	m("", vtype, "gold", flat, "0.005", storage)
	m("", vtype, "nvme", flat, "0.008", storage)
	// images: 5 mappings
	m(img, "", "", flat, "0.0001", images)
	m("", format, "qcow2", rate, "1", images)
	m("", format, "raw", rate, "1.2", images)
	m("", vis, "public", flat, "0", images)
	m("", vis, "private", flat, "0.0002", images)
	if n := len(b.r.Mappings); n != 20 {
		tb.Fatalf("%d mappings, want 20", n)
	}
	b.threshold(hashmap.Threshold{ServiceID: vol, Level: dec("50"), Type: rate, Cost: dec("0.98"), GroupID: storage})
	b.threshold(hashmap.Threshold{ServiceID: vol, Level: dec("200"), Type: rate, Cost: dec("0.95"), GroupID: storage})
	b.threshold(hashmap.Threshold{FieldID: vcpus, Level: dec("8"), Type: rate, Cost: dec("0.9"), GroupID: compute})
	if err := b.r.Validate(); err != nil {
		tb.Fatal(err)
	}
	return b.r
}

func benchFrame(n int) *rating.DataFrame {
	f := rating.NewDataFrame(jan, jan.Add(time.Hour), "project-1")
	flavors := []string{"m1.tiny", "m1.small", "m1.medium", "m1.large", "m1.xlarge", "custom"}
	oses := []string{"windows", "linux"}
	regions := []string{"cn-east", "cn-north", "eu-west"}
	vtypes := []string{"ssd", "hdd", "gold", "nvme"}
	for i := range n {
		id := fmt.Sprintf("res-%d", i)
		switch i % 3 {
		case 0:
			f.Add("instance", rating.DataPoint{Qty: money.NewFromInt(1), Unit: "instance", ResourceID: id, ProjectID: "project-1",
				GroupBy:  map[string]string{"id": id, "project_id": "project-1"},
				Metadata: map[string]string{"flavor_id": flavors[i%len(flavors)], "os": oses[i%2], "region": regions[i%3], "vcpus": fmt.Sprint(1 << (i % 5))}})
		case 1:
			f.Add("volume.size", rating.DataPoint{Qty: money.NewFromInt(int64(10 + i%300)), Unit: "GiB", ResourceID: id,
				GroupBy:  map[string]string{"id": id, "project_id": "project-1"},
				Metadata: map[string]string{"volume_type": vtypes[i%len(vtypes)]}})
		default:
			f.Add("image.size", rating.DataPoint{Qty: money.New(int64(100+i), 1), Unit: "MiB", ResourceID: id,
				GroupBy:  map[string]string{"id": id, "project_id": "project-1"},
				Metadata: map[string]string{"disk_format": []string{"qcow2", "raw"}[i%2], "visibility": []string{"public", "private"}[i%2]}})
		}
	}
	return f
}

// BenchmarkHashmapRate rates a 3,000-point frame per iteration on one core
// and reports points per second.
func BenchmarkHashmapRate(b *testing.B) {
	c := benchRules(b)
	m := hashmap.New(c)
	f := benchFrame(3000)
	ctx := context.Background()
	points := f.Len()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := m.Rate(ctx, f); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(points*b.N)/b.Elapsed().Seconds(), "points/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(points*b.N), "ns/point")
}

// BenchmarkCompile measures building the indexed rules and their first view,
// the cost paid once per rule change.
func BenchmarkCompile(b *testing.B) {
	r := benchRuleSet(b)
	f := rating.NewDataFrame(jan, jan.Add(time.Hour), "")
	for b.Loop() {
		c, err := hashmap.Compile(r)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Rate(context.Background(), f); err != nil {
			b.Fatal(err)
		}
	}
}

func TestBenchFramePrices(t *testing.T) {
	// The benchmark's rules price every point of its frame.
	c := benchRules(t)
	f := benchFrame(300)
	if err := c.Rate(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	for typ, pts := range f.Usage {
		for i, p := range pts {
			if typ != "image.size" && p.Price.Sign() <= 0 {
				t.Fatalf("%s[%d] priced %s", typ, i, p.Price)
			}
		}
	}
	// One instance point by hand: m1.tiny (0.02 > 0.01), windows ×1.5,
	// cn-east ×1.1, vcpus 1 < 8: 0.02 × 1.5 × 1.1 × 1 = 0.033.
	if got := f.Usage["instance"][0].Price.String(); got != "0.033" {
		t.Fatalf("instance[0] = %s, want 0.033", got)
	}
}
