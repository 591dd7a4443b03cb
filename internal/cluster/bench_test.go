package cluster_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/cluster"
	"github.com/skyfold/skyfold/internal/inventory"
	"github.com/skyfold/skyfold/internal/listing"
	aliyunsim "github.com/skyfold/skyfold/internal/sim/aliyun"
	"github.com/skyfold/skyfold/internal/store/storetest"
)

// BenchEnv sets the number of instances the expand benchmark creates
// (default 1000).
const BenchEnv = "SKYFOLD_BENCH_INSTANCES"

// BenchmarkExpandShrink expands a cluster by SKYFOLD_BENCH_INSTANCES (1000)
// instances until every one runs with its address, then shrinks it to zero,
// against the Aliyun simulator with 200 ms of latency on every API call and
// a limit of 20 calls per second per access key (instances take the
// simulator's default 1 s per state step, Pending → Starting → Running).
// It prints where the time went; nothing is asserted beyond correctness.
func BenchmarkExpandShrink(b *testing.B) {
	size := 1000
	if v := os.Getenv(BenchEnv); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("%s=%q is not a positive number", BenchEnv, v)
		}
		size = n
	}
	quota := max(size*2, 100000)
	for b.Loop() {
		st := storetest.Open(b, "sqlite")
		e := newEnv(b, st, envOpts{
			simCfg: aliyunsim.Config{Latency: 200 * time.Millisecond, RateLimit: 20, StateDelay: time.Second,
				Accounts: []aliyunsim.Account{{AccessKeyID: testKey, AccessKeySecret: testSecret, AccountID: "1423762516458389",
					Name: "bench", MaxInstances: quota, MaxVCPUs: quota * 4}}},
			clusterCfg: cluster.Config{PollInterval: 2 * time.Second}, // the default poll
		})
		ctx := context.Background()
		c := e.cluster(b, "bench", e.network(b))
		calls0 := e.sim.Status().Requests

		t0 := time.Now()
		tk, err := e.svc.Expand(ctx, e.owner, cluster.ExpandInput{ClusterName: c.Name, Count: size})
		if err != nil {
			b.Fatal(err)
		}
		done := e.wait(b, tk.ID, 30*time.Minute)
		expand := time.Since(t0)
		if done.Status != cluster.StatusSuccess || done.Succeeded != size {
			b.Fatalf("expand: %s %d/%d %s", done.Status, done.Succeeded, size, done.Error)
		}
		calls1 := e.sim.Status().Requests
		d, err := e.svc.TaskDetail(ctx, inventory.SystemScope, tk.ID, listing.Params{})
		if err != nil {
			b.Fatal(err)
		}
		var firstBatch, lastBatch, lastRunning time.Time
		for _, bt := range d.Batches {
			if bt.StartedAt != nil && (firstBatch.IsZero() || bt.StartedAt.Before(firstBatch)) {
				firstBatch = *bt.StartedAt
			}
			if bt.FinishedAt != nil && bt.FinishedAt.After(lastBatch) {
				lastBatch = *bt.FinishedAt
			}
		}
		for _, in := range d.Instances.Items {
			if in.RunningAt != nil && in.RunningAt.After(lastRunning) {
				lastRunning = *in.RunningAt
			}
		}

		t1 := time.Now()
		sh, err := e.svc.Shrink(ctx, e.owner, cluster.ShrinkInput{ClusterName: c.Name, Count: size})
		if err != nil {
			b.Fatal(err)
		}
		sdone := e.wait(b, sh.ID, 30*time.Minute)
		shrink := time.Since(t1)
		if sdone.Status != cluster.StatusSuccess || sdone.Succeeded != size {
			b.Fatalf("shrink: %s %d %s", sdone.Status, sdone.Succeeded, sdone.Error)
		}
		if n := e.simInstances(b, ""); n != 0 {
			b.Fatalf("%d instances left on the cloud", n)
		}
		calls2 := e.sim.Status().Requests

		b.ReportMetric(expand.Seconds(), "expand-s")
		b.ReportMetric(shrink.Seconds(), "shrink-s")
		fmt.Printf("expand %d instances to running: %s (%d API calls)\n", size, expand.Round(time.Millisecond), calls1-calls0)
		fmt.Printf("  queued → first create call: %s\n", firstBatch.Sub(d.Task.CreatedAt).Round(time.Millisecond))
		fmt.Printf("  create calls (%d batches): %s\n", len(d.Batches), lastBatch.Sub(firstBatch).Round(time.Millisecond))
		fmt.Printf("  last create → last instance running (cloud boot + polling): %s\n", lastRunning.Sub(lastBatch).Round(time.Millisecond))
		fmt.Printf("  last running → task done (final reconcile, records): %s\n", done.FinishedAt.Sub(maxT(lastRunning, lastBatch)).Round(time.Millisecond))
		fmt.Printf("shrink %d instances: %s (%d API calls)\n", size, shrink.Round(time.Millisecond), calls2-calls1)
	}
}

func maxT(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
