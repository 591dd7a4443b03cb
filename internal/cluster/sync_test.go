package cluster_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/inventory"
	"github.com/skyfold/skyfold/internal/store"
	"github.com/skyfold/skyfold/internal/store/storetest"
	"github.com/skyfold/skyfold/internal/task"
)

// TestSyncOfAnImpossibleRegion checks that a sync whose region can never
// work fails once, with the reason, and leaves the account's next sync
// free to run; and that network_config/sync refuses such a region at once,
// as the caller's mistake, quoting it short.
func TestSyncOfAnImpossibleRegion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, envOpts{})
		waitSync := func(id string) *task.Task {
			t.Helper()
			deadline := time.Now().Add(20 * time.Second)
			for {
				tk, err := e.tasks.Get(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if tk.Status.Terminal() {
					return tk
				}
				if time.Now().After(deadline) {
					t.Fatalf("sync %s still %s (attempt %d, error %q)", id, tk.Status, tk.Attempt, tk.Error)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
		if a, err := e.inv.Get(ctx, e.acct.ID); err != nil {
			t.Fatal(err)
		} else if a.SyncTaskID != "" {
			waitSync(a.SyncTaskID)
		}
		for _, region := range []string{"nowhere-9", "a\x00b", strings.Repeat("r", 100000)} {
			tk, err := e.inv.RequestSync(ctx, e.acct.ID, inventory.SyncRequest{Regions: []string{region}, Kinds: []inventory.Kind{inventory.KindVPC}})
			if err != nil {
				t.Fatal(err)
			}
			done := waitSync(tk.ID)
			if done.Status != task.Failed || done.Attempt != 0 || !strings.Contains(done.Error, "region") {
				t.Fatalf("sync of %.20q: %s after %d retries: %q", region, done.Status, done.Attempt, done.Error)
			}
			if len(done.Error) > 1000 {
				t.Fatalf("the reason is %d bytes long", len(done.Error))
			}
			next, err := e.inv.RequestSync(ctx, e.acct.ID, inventory.SyncRequest{Regions: []string{testRegion}, Kinds: []inventory.Kind{inventory.KindVPC}})
			if err != nil {
				t.Fatal(err)
			}
			if next.ID == tk.ID {
				t.Fatal("the next sync got the failed one back")
			}
			if got := waitSync(next.ID); got.Status != task.Success {
				t.Fatalf("next sync: %s %q", got.Status, got.Error)
			}
		}
		for _, region := range []string{"nowhere-9", strings.Repeat("r", 100000)} {
			err := e.svc.SyncNetwork(ctx, e.owner.Scope, "AlibabaCloud", region, testKey)
			e := errs.As(err)
			if e == nil || e.Code != errs.Invalid || len(e.Fields) != 1 || e.Fields[0].Field != "region_id" || len(e.Message) > 300 {
				t.Fatalf("network sync of an unknown region: %v", err)
			}
		}
	})
}
