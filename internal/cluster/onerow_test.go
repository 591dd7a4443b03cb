package cluster_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/cluster"
	"github.com/skyfold/skyfold/internal/inventory"
	"github.com/skyfold/skyfold/internal/listing"
	"github.com/skyfold/skyfold/internal/store"
	"github.com/skyfold/skyfold/internal/store/storetest"
)

// TestSyncOwnsRecordedRows checks that the rows an expand writes into the
// inventory are the ones a later full sync keeps: it adds none, changes
// none, and a shrink's deletions are in the inventory before any sync.
func TestSyncOwnsRecordedRows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, envOpts{})
		nc := e.network(t)
		c := e.cluster(t, "rows", nc)
		tk, err := e.svc.Expand(ctx, e.owner, cluster.ExpandInput{ClusterName: c.Name, Count: 5})
		if err != nil {
			t.Fatal(err)
		}
		if done := e.wait(t, tk.ID, 60*time.Second); done.Status != cluster.StatusSuccess {
			t.Fatalf("expand: %s %s", done.Status, done.Error)
		}
		servers := func() []inventory.Resource {
			t.Helper()
			p, err := e.inv.ListResources(ctx, inventory.SystemScope, inventory.KindServer, inventory.ResourceFilter{}, listing.Params{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			return p.Items
		}
		if n := len(servers()); n != 5 {
			t.Fatalf("inventory has %d servers before any sync, want 5", n)
		}

		res := e.syncServers(t)
		if res.Added != 0 || res.Updated != 0 || res.Unchanged != 5 {
			t.Fatalf("full sync after the expand: %+v, want 5 unchanged", res)
		}
		if n := len(servers()); n != 5 {
			t.Fatalf("inventory has %d servers after the sync, want 5", n)
		}

		sh, err := e.svc.Shrink(ctx, e.owner, cluster.ShrinkInput{ClusterName: c.Name, Count: 2})
		if err != nil {
			t.Fatal(err)
		}
		if done := e.wait(t, sh.ID, 60*time.Second); done.Status != cluster.StatusSuccess {
			t.Fatalf("shrink: %s %s", done.Status, done.Error)
		}
		if n := len(servers()); n != 3 {
			t.Fatalf("inventory has %d live servers after shrinking by 2, want 3", n)
		}
		if res := e.syncServers(t); res.Added != 0 || res.Updated != 0 || res.Removed != 0 || res.Unchanged != 3 {
			t.Fatalf("full sync after the shrink: %+v, want 3 unchanged", res)
		}
	})
}

// syncServers runs a sync of the test region and returns its servers'
// result.
func (e *env) syncServers(t *testing.T) inventory.KindResult {
	t.Helper()
	ctx := context.Background()
	tk, err := e.inv.RequestSync(ctx, e.acct.ID, inventory.SyncRequest{Regions: []string{testRegion}})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		got, err := e.tasks.Get(ctx, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status.Terminal() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sync %s still %s", tk.ID, got.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
	prs, err := e.inv.ProviderRegions(ctx, e.acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := e.inv.Region(ctx, "Aliyun/"+testRegion)
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range prs {
		if pr.CloudregionID != reg.ID {
			continue
		}
		var m map[string]inventory.KindResult
		if err := json.Unmarshal(pr.LastSyncResult, &m); err != nil {
			t.Fatal(err)
		}
		return m[string(inventory.KindServer)]
	}
	t.Fatalf("no sync result for %s", testRegion)
	return inventory.KindResult{}
}
