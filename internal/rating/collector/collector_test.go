package collector_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/inventory"
	"github.com/skyfold/skyfold/internal/listing"
	"github.com/skyfold/skyfold/internal/money"
	"github.com/skyfold/skyfold/internal/rating/collector"
)

func TestDefaultMetrics(t *testing.T) {
	c := collector.Default()
	inv := collector.NewInventory(&fakeInventory{})
	var names []string
	for _, m := range c.Metrics {
		names = append(names, m.Name)
		if err := inv.Check(m); err != nil {
			t.Errorf("%s: %v", m.Name, err)
		}
		if m.GroupBy[len(m.GroupBy)-1] != "project_id" && !strings.Contains(strings.Join(m.GroupBy, ","), "project_id") {
			t.Errorf("%s: groupby %v lacks project_id", m.Name, m.GroupBy)
		}
	}
	if got := strings.Join(names, " "); got != "bucket.size cpu instance ip.floating memory volume.size" {
		t.Fatalf("metrics = %s", got)
	}
	mem, _ := c.Metric("memory")
	if got := mem.Convert(money.NewFromInt(4096)); got.String() != "4" {
		t.Fatalf("memory 4096 MiB-hours = %s GiB-hours", got)
	}
	if _, ok := c.Raw()["metrics"].(map[string]any)["volume.size"]; !ok {
		t.Fatal("Raw lacks volume.size")
	}
}

func TestParseErrors(t *testing.T) {
	for name, tc := range map[string]struct{ yaml, want string }{
		"empty":         {"", "no metric defined"},
		"unknown key":   {"metrics:\n  a:\n    unit: x\n    colour: red\n", "field colour not found"},
		"no unit":       {"metrics:\n  a:\n    groupby: [id]\n", "unit is required"},
		"bad factor":    {"metrics:\n  a:\n    unit: x\n    factor: many\n", "invalid decimal"},
		"zero divisor":  {"metrics:\n  a:\n    unit: x\n    factor: 1/0\n", "divides by zero"},
		"bad mutate":    {"metrics:\n  a:\n    unit: x\n    mutate: ROUND\n", `unknown mutate "ROUND"`},
		"map needs map": {"metrics:\n  a:\n    unit: x\n    mutate: MAP\n", "needs a mutate_map"},
		"twice":         {"metrics:\n  a:\n    unit: x\n    groupby: [id]\n    metadata: [id]\n", `attribute "id" listed twice`},
		"same service":  {"metrics:\n  a:\n    unit: x\n  b:\n    unit: x\n    alt_name: a\n", `rated as "a" like metric "a"`},
		"bad name":      {"metrics:\n  'a b':\n    unit: x\n", "invalid metric name"},
		"not yaml":      {"metrics: [", "invalid metrics configuration"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := collector.Parse([]byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) || errs.CodeOf(err) != errs.Invalid {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestConvertAndMutate(t *testing.T) {
	c, err := collector.Parse([]byte(`metrics:
  a: {unit: u, factor: 0.5, offset: 1}
  b: {unit: u, mutate: NUMBOOL}
  c: {unit: u, mutate: NOTNUMBOOL}
  d: {unit: u, mutate: FLOOR}
  e: {unit: u, mutate: CEIL}
  f: {unit: u, mutate: MAP, mutate_map: {"1": 10, "2.0": 20}}
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ metric, in, want string }{
		{"a", "3", "2.5"}, {"b", "0.2", "1"}, {"b", "0", "0"}, {"c", "0", "1"}, {"c", "3", "0"},
		{"d", "2.7", "2"}, {"d", "-2.5", "-3"}, {"e", "2.1", "3"}, {"e", "2", "2"},
		{"f", "1", "10"}, {"f", "2", "20"}, {"f", "3", "0"},
	} {
		m, _ := c.Metric(tc.metric)
		if got := m.Convert(money.MustParse(tc.in)); got.String() != tc.want {
			t.Errorf("%s(%s) = %s, want %s", tc.metric, tc.in, got, tc.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(collector.DefaultYAML())
	for _, s := range []string{
		"metrics:\n  a:\n    unit: x\n    factor: 1/3\n    mutate: map\n    mutate_map: {'0': 1}\n",
		"metrics: {a: {unit: u, groupby: [id, project_id], metadata: [name], extra_args: {resource_type: server}}}",
		"metrics: {a: &x {unit: u}, b: *x}", "metrics: {a: {unit: u, offset: -1e3}}", "[]",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		c, err := collector.Parse(raw)
		if err != nil {
			return
		}
		_ = c.Raw()
		for _, m := range c.Metrics {
			if m.Unit == "" || len(m.GroupBy) == 0 {
				t.Fatalf("accepted metric %+v", m)
			}
			for _, q := range []string{"0", "1", "2.5", "-7"} {
				_ = m.Convert(money.MustParse(q))
			}
			_ = collector.NewInventory(&fakeInventory{}).Check(m)
		}
	})
}

func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"1/1024", "0.001", "1e-3", "3/0", "-1/3", "x/y", "1/2/3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := collector.ParseNumber(s)
		if err == nil && !strings.Contains(s, "/") {
			if e, err2 := money.Parse(s); err2 != nil || !e.Equal(d) {
				t.Fatalf("%q: %v vs %v (%v)", s, d, e, err2)
			}
		}
	})
}

// fakeInventory is an in-memory inventory.
type fakeInventory struct {
	res     []inventory.Resource
	data    map[string]string
	failing inventory.Kind
}

func (f *fakeInventory) ListResources(ctx context.Context, sc inventory.Scope, k inventory.Kind, flt inventory.ResourceFilter, p listing.Params) (listing.Page[inventory.Resource], error) {
	if k == f.failing {
		return listing.Page[inventory.Resource]{}, errors.New("inventory shard down")
	}
	var out []inventory.Resource
	for _, r := range f.res {
		if r.Kind == k && (flt.ProjectID == "" || r.ProjectID == flt.ProjectID) {
			out = append(out, r)
		}
	}
	if p.Offset >= len(out) {
		return listing.Page[inventory.Resource]{Items: []inventory.Resource{}}, nil
	}
	out = out[p.Offset:]
	if p.Limit > 0 && len(out) > p.Limit {
		out = out[:p.Limit]
	}
	return listing.Page[inventory.Resource]{Items: out}, nil
}

func (f *fakeInventory) Region(ctx context.Context, id string) (*inventory.Region, error) {
	return &inventory.Region{ID: id, RegionID: "cn-" + id}, nil
}

func (f *fakeInventory) LoadData(ctx context.Context, rows []inventory.Resource) error {
	for i := range rows {
		rows[i].Data = json.RawMessage(f.data[rows[i].ID])
	}
	return nil
}

func TestInventoryCollector(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	at := func(h, m int) time.Time { return t0.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	ptr := func(x time.Time) *time.Time { return &x }
	inv := &fakeInventory{data: map[string]string{"d1": `{"category":"ssd","iops":"3000"}`, "d2": `{"category":"hdd","iops":"fast"}`}}
	inv.res = []inventory.Resource{
		{ID: "vm1", Kind: inventory.KindServer, ProjectID: "p1", CloudregionID: "r1", InstanceType: "m1.large", CPU: 4, MemoryMB: 8192,
			CreatedAt: at(-100, 0), Tags: json.RawMessage(`{"team":"blue"}`)},
		{ID: "vm2", Kind: inventory.KindServer, ProjectID: "p1", CreatedAt: at(1, 30), DeletedAt: ptr(at(2, 15)), CPU: 2},
		{ID: "vm3", Kind: inventory.KindServer, ProjectID: "p2", CreatedAt: at(0, 0)},
		{ID: "vm4", Kind: inventory.KindServer, ProjectID: "p1", CreatedAt: at(-100, 0), DeletedAt: ptr(at(-50, 0))},
		{ID: "d1", Kind: inventory.KindDisk, ProjectID: "p1", SizeGB: 100, CreatedAt: at(5, 0), CloudCreatedAt: ptr(at(-1, 0))},
		{ID: "d2", Kind: inventory.KindDisk, ProjectID: "p3", SizeGB: 10, CreatedAt: at(0, 0)},
	}
	c := collector.NewInventory(inv)
	cfg, err := collector.Parse([]byte(`metrics:
  instance:
    unit: instance
    groupby: [id, project_id]
    metadata: [flavor_name, region, tag.team, nothing]
    extra_args: {resource_type: server}
  cpu:
    unit: vcpu
    extra_args: {resource_type: server, volume: cpu, aggregation_method: mean}
  disk:
    unit: GiB
    metadata: [volume_type]
    extra_args: {resource_type: disk, volume: size_gb, aggregation_method: max}
  iops:
    unit: iops
    extra_args: {resource_type: disk, volume: data.iops}
`))
	if err != nil {
		t.Fatal(err)
	}
	scopes, err := c.Scopes(ctx, cfg.Metrics, at(-10, 0))
	if err != nil || strings.Join(scopes, ",") != "p1,p2,p3" {
		t.Fatalf("scopes = %v, %v", scopes, err)
	}
	w, err := c.Open(ctx, "p1", cfg.Metrics, at(0, 0), at(3, 0))
	if err != nil {
		t.Fatal(err)
	}
	collect := func(name string, h int) string {
		m, _ := cfg.Metric(name)
		pts, err := w.Collect(ctx, m, at(h, 0), at(h+1, 0), nil)
		if err != nil {
			return "error: " + err.Error()
		}
		var out []string
		for _, p := range pts {
			out = append(out, fmt.Sprintf("%s=%s%v%v", p.ResourceID, p.Qty, p.GroupBy, p.Metadata))
		}
		return strings.Join(out, " ")
	}
	for _, tc := range []struct {
		metric string
		hour   int
		want   string
	}{
		{"instance", 0, "vm1=1map[id:vm1 project_id:p1]map[flavor_name:m1.large region:cn-r1 tag.team:blue]"},
		{"instance", 1, "vm1=1map[id:vm1 project_id:p1]map[flavor_name:m1.large region:cn-r1 tag.team:blue] vm2=0.5map[id:vm2 project_id:p1]map[]"},
		{"instance", 2, "vm1=1map[id:vm1 project_id:p1]map[flavor_name:m1.large region:cn-r1 tag.team:blue] vm2=0.25map[id:vm2 project_id:p1]map[]"},
		{"cpu", 1, "vm1=4map[id:vm1 project_id:p1]map[] vm2=1map[id:vm2 project_id:p1]map[]"},
		{"disk", 0, "d1=100map[id:d1 project_id:p1]map[volume_type:ssd]"},
		{"iops", 0, "d1=3000map[id:d1 project_id:p1]map[]"},
	} {
		if got := collect(tc.metric, tc.hour); got != tc.want {
			t.Errorf("%s at %d:00 = %s\nwant %s", tc.metric, tc.hour, got, tc.want)
		}
	}
	// A non-numeric data volume fails that metric alone.
	w3, _ := c.Open(ctx, "p3", cfg.Metrics, at(0, 0), at(1, 0))
	m, _ := cfg.Metric("iops")
	if _, err := w3.Collect(ctx, m, at(0, 0), at(1, 0), nil); err == nil || !strings.Contains(err.Error(), `"fast", not a number`) {
		t.Fatalf("iops of d2: %v", err)
	}
	m, _ = cfg.Metric("disk")
	if pts, err := w3.Collect(ctx, m, at(0, 0), at(1, 0), nil); err != nil || len(pts) != 1 {
		t.Fatalf("disk of p3: %v, %v", pts, err)
	}
	// A kind the inventory cannot list fails only its metrics.
	inv.failing = inventory.KindDisk
	w4, err := c.Open(ctx, "p1", cfg.Metrics, at(0, 0), at(1, 0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w4.Collect(ctx, m, at(0, 0), at(1, 0), nil); err == nil || !strings.Contains(err.Error(), "inventory shard down") {
		t.Fatalf("disk with a failing inventory: %v", err)
	}
	m, _ = cfg.Metric("instance")
	if pts, err := w4.Collect(ctx, m, at(0, 0), at(1, 0), nil); err != nil || len(pts) != 1 {
		t.Fatalf("instance with a failing disk inventory: %v, %v", pts, err)
	}
	bad := &collector.Metric{Name: "x", ExtraArgs: map[string]string{"resource_type": "server", "volume": "bogus"}}
	if err := c.Check(bad); err == nil {
		t.Fatal("bogus volume accepted")
	}
}
