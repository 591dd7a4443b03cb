package inventory_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/inventory"
	"github.com/skyfold/skyfold/internal/listing"
	"github.com/skyfold/skyfold/internal/store"
	"github.com/skyfold/skyfold/internal/store/storetest"
)

// peakHeap samples the heap while fn runs and returns the peak in MiB.
func peakHeap(fn func()) float64 {
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	fn()
	close(stop)
	wg.Wait()
	return float64(peak.Load()) / (1 << 20)
}

// BenchmarkSync measures, on each store, a full sync of N instances (with
// their disks) from the Aliyun simulator through the real driver, a resync
// with no change, a resync after 1 % of the instances changed, and the p50
// and p99 of a filtered server list. N is SKYFOLD_BENCH_INSTANCES (default 100000).
func BenchmarkSync(b *testing.B) {
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("SKYFOLD_BENCH_INSTANCES")); err == nil && v > 0 {
		n = v
	}
	for _, kind := range storetest.Kinds() {
		b.Run(fmt.Sprintf("%s/%d", kind, n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				benchSync(b, storetest.Open(b, kind), n)
			}
		})
	}
}

func benchSync(b *testing.B, st *store.Store, n int) {
	e := newEnvTB(b, st, n)
	ctx := context.Background()
	var a *inventory.Account
	var full time.Duration
	peak := peakHeap(func() {
		start := time.Now()
		var err error
		a, err = e.inv.Create(ctx, inventory.CreateInput{Name: "bench", Provider: "Aliyun", AccessURL: e.url, AccessKeyID: testAK,
			AccessKeySecret: testSecret, Enabled: true, ProjectID: "p1", DomainID: "d1", Regions: []string{"cn-beijing", "cn-hangzhou"}})
		if err != nil {
			b.Fatal(err)
		}
		e.waitTaskTB(b, a.SyncTaskID)
		full = time.Since(start)
	})
	a, _ = e.inv.Get(ctx, a.ID)
	if got := a.CountMap()["server"]; got != n {
		b.Fatalf("synced %d servers, want %d", got, n)
	}
	resync := func() (time.Duration, int) {
		start := time.Now()
		tk, err := e.inv.RequestSync(ctx, a.ID, inventory.SyncRequest{})
		if err != nil {
			b.Fatal(err)
		}
		e.waitTaskTB(b, tk.ID)
		d := time.Since(start)
		prs, _ := e.inv.ProviderRegions(ctx, a.ID)
		updated := 0
		for _, pr := range prs {
			if testing.Verbose() {
				b.Logf("region %s took %d ms: %s", pr.CloudregionID, pr.LastSyncMS, pr.LastSyncResult)
			}
			var res map[string]inventory.KindResult
			_ = jsonUnmarshal(pr.LastSyncResult, &res)
			updated += res["server"].Updated
		}
		return d, updated
	}
	same, sameUpdated := resync()

	// Change 1 %: stop that many instances through the driver.
	drv, err := e.inv.Open(ctx, a)
	if err != nil {
		b.Fatal(err)
	}
	changed := n / 100
	rc, _ := drv.Region("cn-beijing")
	page, err := e.inv.ListResources(ctx, inventory.SystemScope, inventory.KindServer,
		inventory.ResourceFilter{Status: []string{"running"}}, listing.Params{Limit: n})
	if err != nil {
		b.Fatal(err)
	}
	var ids []string
	for _, r := range page.Items {
		reg, _ := e.inv.Region(ctx, r.CloudregionID)
		if reg.RegionID == "cn-beijing" && len(ids) < changed {
			ids = append(ids, r.ExternalID)
		}
	}
	for chunk := range slices.Chunk(ids, 100) {
		if err := rc.StopInstances(ctx, chunk, true); err != nil {
			b.Fatal(err)
		}
	}
	drv.Close()
	time.Sleep(3 * time.Second) // let the simulator move them to Stopped
	onePct, onePctUpdated := resync()

	// p99 of a filtered list over all rows. The resync before it leaves
	// gigabytes of garbage (and the simulator's objects share this heap), so
	// collect first: the figure is the list's, not the resync's collection.
	runtime.GC()
	var lat []time.Duration
	for i := 0; i < 200; i++ {
		t0 := time.Now()
		p := listing.Params{Limit: 20, Filters: []listing.Filter{{Field: "status", Op: "equals", Values: []string{"running"}}}}
		if _, err := e.inv.ListResources(ctx, inventory.Scope{ProjectIDs: []string{"p1"}}, inventory.KindServer,
			inventory.ResourceFilter{NameContains: fmt.Sprint(i % 10)}, p); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	b.ReportMetric(full.Seconds(), "full-sync-s")
	b.ReportMetric(peak, "peak-heap-MiB")
	b.ReportMetric(same.Seconds(), "resync-same-s")
	b.ReportMetric(float64(sameUpdated), "resync-same-updated")
	b.ReportMetric(onePct.Seconds(), "resync-1pct-s")
	b.ReportMetric(float64(onePctUpdated), "resync-1pct-updated")
	b.ReportMetric(float64(len(ids)), "changed")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "list-p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "list-p99-ms")
}
