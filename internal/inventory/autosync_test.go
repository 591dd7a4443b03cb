package inventory_test

import (
	"context"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/inventory"
	"github.com/skyfold/skyfold/internal/store"
	"github.com/skyfold/skyfold/internal/store/storetest"
)

// TestSchedulerHonoursAutoSync: an account created with auto sync off gets
// its first sync but no scheduled one, however long ago its last full sync, until
// auto sync is turned on.
func TestSchedulerHonoursAutoSync(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, 2)
		ctx := context.Background()
		off := false
		a, err := e.inv.Create(ctx, inventory.CreateInput{Name: "manual", Provider: "Aliyun", AccessURL: e.url,
			AccessKeyID: testAK, AccessKeySecret: testSecret, Enabled: true, DomainID: "d1", ProjectID: "p1",
			Regions: []string{"cn-beijing"}, AutoSync: &off})
		if err != nil {
			t.Fatal(err)
		}
		if a.AutoSync {
			t.Fatal("created with auto sync off, but it is on")
		}
		e.waitTask(t, a.SyncTaskID)
		long := time.Now().Add(-48 * time.Hour)
		if _, err := st.DB.NewUpdate().Model((*inventory.Account)(nil)).Set("last_full_sync_at = ?", long).Where("id = ?", a.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if n, err := e.inv.ScheduleDue(ctx); err != nil || n != 0 {
			t.Fatalf("scheduled %d syncs of an account with auto sync off (%v)", n, err)
		}
		on := true
		a, err = e.inv.Update(ctx, a.ID, inventory.UpdateInput{AutoSync: &on})
		if err != nil || !a.AutoSync {
			t.Fatalf("turning auto sync on: %v %v", a.AutoSync, err)
		}
		if n, err := e.inv.ScheduleDue(ctx); err != nil || n != 1 {
			t.Fatalf("scheduled %d syncs of a due account with auto sync on (%v), want 1", n, err)
		}
		a, err = e.inv.Update(ctx, a.ID, inventory.UpdateInput{AutoSync: &off})
		if err != nil || a.AutoSync {
			t.Fatalf("turning auto sync off: %v %v", a.AutoSync, err)
		}
	})
}
