package processor_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/skyfold/skyfold/internal/cost"
	"github.com/skyfold/skyfold/internal/inventory"
	"github.com/skyfold/skyfold/internal/money"
	"github.com/skyfold/skyfold/internal/rating/collector"
	"github.com/skyfold/skyfold/internal/rating/hashmap"
	"github.com/skyfold/skyfold/internal/rating/processor"
	ratingstore "github.com/skyfold/skyfold/internal/rating/store"
	"github.com/skyfold/skyfold/internal/store"
	"github.com/skyfold/skyfold/internal/store/storetest"
	"github.com/skyfold/skyfold/internal/task"
)

// BenchProjectsEnv scales BenchmarkProcessorMonth (default 20 projects; the
// target figure is for 1000).
const BenchProjectsEnv = "SKYFOLD_RATING_BENCH_PROJECTS"

// resourceDataRow is a row of the inventory's resource_data table.
type resourceDataRow struct {
	bun.BaseModel `bun:"table:resource_data"`

	ID   string `bun:"id,pk"`
	Data string `bun:"data"`
}

// benchInventory inserts projects × 50 resources: 20 servers, 20 disks,
// 5 buckets and 5 EIPs each; one server and one disk per project live only
// part of the month, so partial periods and record breaks occur.
func benchInventory(b *testing.B, st *store.Store, projects int) {
	ctx := context.Background()
	before := monthStart.AddDate(0, 0, -3)
	flavors := []struct {
		name     string
		cpu, mem int
	}{{"m1.small", 1, 2048}, {"m1.medium", 2, 4096}, {"m1.large", 4, 8192}, {"m1.xlarge", 8, 16384}}
	var batch []inventory.Resource
	flush := func() {
		if len(batch) == 0 {
			return
		}
		if _, err := st.DB.NewInsert().Model(&batch).Exec(ctx); err != nil {
			b.Fatal(err)
		}
		data := make([]resourceDataRow, len(batch))
		for i, r := range batch {
			data[i] = resourceDataRow{ID: r.ID, Data: string(r.Data)}
		}
		if _, err := st.DB.NewInsert().Model(&data).Exec(ctx); err != nil {
			b.Fatal(err)
		}
		batch = batch[:0]
	}
	for p := range projects {
		project := fmt.Sprintf("project-%04d", p)
		add := func(kind inventory.Kind, i int, mut func(*inventory.Resource)) {
			id := fmt.Sprintf("%s-%s-%02d", project, kind, i)
			r := inventory.Resource{ID: id, Kind: kind, CloudaccountID: "acc", CloudproviderID: "prov", CloudregionID: "reg",
				ExternalID: id, Name: id, Status: "running", ProjectID: project, Tags: json.RawMessage(`{"env":"prod"}`),
				Data: json.RawMessage(`{"category":"cloud_ssd"}`), CreatedAt: before, UpdatedAt: before, SyncedAt: before}
			mut(&r)
			batch = append(batch, r)
		}
		for i := range 20 {
			add(inventory.KindServer, i, func(r *inventory.Resource) {
				f := flavors[i%len(flavors)]
				r.InstanceType, r.CPU, r.MemoryMB = f.name, f.cpu, f.mem
				if i == 0 {
					c, d := monthStart.Add(100*time.Hour+30*time.Minute), monthStart.Add(400*time.Hour+15*time.Minute)
					r.CreatedAt, r.DeletedAt = c, &d
				}
			})
			add(inventory.KindDisk, i, func(r *inventory.Resource) {
				r.SizeGB = []int{20, 40, 80, 250}[i%4]
				if i == 0 {
					c := monthStart.Add(200*time.Hour + 10*time.Minute)
					r.CreatedAt = c
				}
			})
		}
		for i := range 5 {
			add(inventory.KindBucket, i, func(r *inventory.Resource) { r.SizeGB = 100 * (i + 1) })
			add(inventory.KindEIP, i, func(r *inventory.Resource) { r.ChargeType = "PostPaid" })
		}
		if len(batch) >= 500 {
			flush()
		}
	}
	flush()
}

// benchRules prices every default metric with the hashmap module: flavors,
// the documented volume example, vCPU, memory, buckets and EIPs.
func benchRules(b *testing.B, rs *ratingstore.Store) {
	ctx := context.Background()
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	d := money.MustParse
	svc := map[string]string{}
	for _, n := range []string{"instance", "cpu", "memory", "volume.size", "bucket.size", "ip.floating"} {
		s, err := rs.CreateService(ctx, n)
		must(err)
		svc[n] = s.ID
	}
	flavor, err := rs.CreateField(ctx, svc["instance"], "flavor_name")
	must(err)
	for i, f := range []string{"m1.small", "m1.medium", "m1.large", "m1.xlarge"} {
		_, err := rs.CreateMapping(ctx, hashmap.Mapping{FieldID: flavor.ID, Value: f, Type: hashmap.TypeFlat, Cost: d(fmt.Sprintf("0.0%d", i+1))})
		must(err)
	}
	grp, err := rs.CreateGroup(ctx, "volume")
	must(err)
	_, err = rs.CreateMapping(ctx, hashmap.Mapping{ServiceID: svc["volume.size"], Type: hashmap.TypeFlat, Cost: d("0.001"), GroupID: grp.ID})
	must(err)
	for lvl, c := range map[string]string{"50": "0.98", "200": "0.95"} {
		_, err := rs.CreateThreshold(ctx, hashmap.Threshold{ServiceID: svc["volume.size"], Level: d(lvl), Type: hashmap.TypeRate, Cost: d(c), GroupID: grp.ID})
		must(err)
	}
	for n, c := range map[string]string{"cpu": "0.005", "memory": "0.002", "bucket.size": "0.0001", "ip.floating": "0.004"} {
		_, err := rs.CreateMapping(ctx, hashmap.Mapping{ServiceID: svc[n], Type: hashmap.TypeFlat, Cost: d(c)})
		must(err)
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// heapPeak samples the live heap until stop is closed and reports the peak.
func heapPeak(stop <-chan struct{}, peak chan<- uint64) {
	var max uint64
	var ms runtime.MemStats
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		runtime.ReadMemStats(&ms)
		max = maxU(max, ms.HeapInuse)
		select {
		case <-stop:
			peak <- max
			return
		case <-t.C:
		}
	}
}

func maxU(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}

// BenchmarkProcessorMonth catches up a whole month of hourly periods (742
// of March's 744: the last two wait)
// for SKYFOLD_RATING_BENCH_PROJECTS projects (default 20) of 50 resources
// each, on SQLite, with every metric priced by hashmap rules. It reports
// the wall time of the catch-up, rated points per second, cost records
// written and the peak live heap.
func BenchmarkProcessorMonth(b *testing.B) {
	projects := envInt(BenchProjectsEnv, 20)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st := storetest.Open(b, "sqlite")
		benchInventory(b, st, projects)
		// The month's last second: a new scope starts at the month's
		// beginning, and all but the last two periods (wait_periods) are due.
		now := monthStart.AddDate(0, 1, 0).Add(-time.Second)
		rs := ratingstore.New(st.DB, ratingstore.Config{})
		costs := cost.New(st.DB)
		inv := inventory.New(st.DB, nil, nil, inventory.Config{})
		cfg := processor.DefaultConfig()
		cfg.Now = func() time.Time { return now }
		cfg.Logger = slog.New(slog.DiscardHandler)
		cfg.Leases = task.NewLeases(st.DB, "bench", 0)
		svc, err := processor.New(rs, costs, []collector.Collector{collector.NewInventory(inv)}, cfg)
		if err != nil {
			b.Fatal(err)
		}
		benchRules(b, rs)
		on := true
		ctx := context.Background()
		if _, err := svc.ConfigureModule(ctx, "hashmap", &on, nil); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		stop, peak := make(chan struct{}), make(chan uint64, 1)
		go heapPeak(stop, peak)
		b.StartTimer()
		start := time.Now()
		stats, err := svc.ProcessOnce(ctx)
		wall := time.Since(start)
		b.StopTimer()
		close(stop)
		p := <-peak
		if err != nil {
			b.Fatal(err)
		}
		if stats.Processed != projects || stats.Periods != projects*742 || stats.Failed != 0 {
			b.Fatalf("stats = %+v", stats)
		}
		totals, err := costs.Sums(ctx, cost.Filter{Begin: monthStart, End: monthStart.AddDate(0, 1, 0)})
		if err != nil || len(totals) != 1 || totals[0].Cost.Value.Sign() <= 0 {
			b.Fatalf("totals = %v, %v", totals, err)
		}
		b.ReportMetric(float64(stats.Points)/wall.Seconds(), "points/s")
		b.ReportMetric(float64(stats.Inserted), "records")
		b.ReportMetric(float64(p)/(1<<20), "peak-heap-MiB")
		b.ReportMetric(float64(projects), "projects")
		b.Logf("%d projects × 50 resources, 742 hourly periods: %s wall, %d points, %d records, peak heap %.0f MiB, month total %s",
			projects, wall.Round(time.Millisecond), stats.Points, stats.Inserted, float64(p)/(1<<20), totals[0].Cost)
		b.StartTimer()
	}
}
