package inventory_test

import (
	"context"
	"testing"

	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/inventory"
	"github.com/skyfold/skyfold/internal/store"
	"github.com/skyfold/skyfold/internal/store/storetest"
)

// TestSyncIntervalRule: create and update take the same intervals: 0 for
// the default, else at least a minute.
func TestSyncIntervalRule(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, 0)
		ctx := context.Background()
		in := inventory.CreateInput{Name: "interval", Provider: "Aliyun", AccessURL: e.url,
			AccessKeyID: testAK, AccessKeySecret: testSecret, DomainID: "d1", ProjectID: "p1"}
		for _, n := range []int{-1, 1, 59} {
			in.SyncIntervalSeconds = n
			if _, err := e.inv.Create(ctx, in); !errs.Is(err, errs.Invalid) {
				t.Fatalf("create with interval %d: %v, want invalid", n, err)
			}
		}
		in.SyncIntervalSeconds = 0
		a, err := e.inv.Create(ctx, in)
		if err != nil || a.SyncIntervalSeconds != 3600 {
			t.Fatalf("create with interval 0: %v, interval %d; want the default 3600", err, a.SyncIntervalSeconds)
		}
		for _, n := range []int{-1, 1, 59} {
			if _, err := e.inv.Update(ctx, a.ID, inventory.UpdateInput{SyncIntervalSeconds: &n}); !errs.Is(err, errs.Invalid) {
				t.Fatalf("update to interval %d: %v, want invalid", n, err)
			}
		}
		for _, c := range []struct{ in, want int }{{60, 60}, {0, 3600}, {7200, 7200}} {
			a, err := e.inv.Update(ctx, a.ID, inventory.UpdateInput{SyncIntervalSeconds: &c.in})
			if err != nil || a.SyncIntervalSeconds != c.want {
				t.Fatalf("update to interval %d: %v, interval %d; want %d", c.in, err, a.SyncIntervalSeconds, c.want)
			}
		}
	})
}
