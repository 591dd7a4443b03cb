package jobs_test

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/jobs"
	"github.com/skyfold/skyfold/internal/store/storetest"
)

// BenchmarkEnqueueToStart measures how long a job waits between Enqueue and
// its handler starting, and how many jobs per second one process works, on
// each store. Figures: p50/p99 latency in ms and jobs/s.
func BenchmarkEnqueueToStart(b *testing.B) {
	for _, kind := range storetest.Kinds() {
		b.Run(kind, func(b *testing.B) {
			st := storetest.Open(b, kind)
			r := jobs.New(st, jobs.Config{Workers: 8, WorkerID: "bench", PollInterval: 20 * time.Millisecond})
			var mu sync.Mutex
			var lat []time.Duration
			done := make(chan struct{}, b.N)
			r.Handle("bench", func(ctx context.Context, p json.RawMessage) error {
				var at time.Time
				_ = json.Unmarshal(p, &at)
				mu.Lock()
				lat = append(lat, time.Since(at))
				mu.Unlock()
				done <- struct{}{}
				return nil
			})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if err := r.Start(ctx); err != nil {
				b.Fatal(err)
			}
			defer func() { _ = r.Stop(context.Background()) }()
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				if err := r.Enqueue(ctx, "bench", time.Now(), jobs.EnqueueOpts{}); err != nil {
					b.Fatal(err)
				}
			}
			for i := 0; i < b.N; i++ {
				select {
				case <-done:
				case <-time.After(60 * time.Second):
					b.Fatalf("only %d of %d jobs ran", i, b.N)
				}
			}
			elapsed := time.Since(start)
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "jobs/s")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
