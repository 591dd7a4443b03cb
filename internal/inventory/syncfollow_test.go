package inventory_test

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/cloud"
	"github.com/skyfold/skyfold/internal/inventory"
	"github.com/skyfold/skyfold/internal/listing"
	aliyunsim "github.com/skyfold/skyfold/internal/sim/aliyun"
	"github.com/skyfold/skyfold/internal/store"
	"github.com/skyfold/skyfold/internal/store/storetest"
	"github.com/skyfold/skyfold/internal/task"
)

// TestChangeDuringSyncIsFollowedUp: instances added and removed in a region
// a running full sync has already listed are in the inventory once the syncs
// end, with no sync asked for by hand; the requests made meanwhile, at once
// and with different kinds, share one follow-up sync.
func TestChangeDuringSyncIsFollowedUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		// One region at a time, slowly, so the change can land after one
		// region is listed and before the sync ends.
		e := newEnvConfig(t, st, 10, inventory.Config{RegionParallelism: 1})
		ctx := context.Background()
		slow, fast := 250*time.Millisecond, time.Duration(0)
		if err := e.sim.SetRuntime(aliyunsim.RuntimeConfig{Latency: &slow}); err != nil {
			t.Fatal(err)
		}
		a, err := e.inv.Create(ctx, inventory.CreateInput{Name: "follow", Provider: "Aliyun", AccessURL: e.url,
			AccessKeyID: testAK, AccessKeySecret: testSecret, Enabled: true, DomainID: "d1", ProjectID: "p1",
			Regions: []string{"cn-beijing", "cn-hangzhou"}})
		if err != nil {
			t.Fatal(err)
		}
		full := a.SyncTaskID

		// Wait until the full sync has listed one region but not ended.
		var done *inventory.Region
		deadline := time.Now().Add(time.Minute)
		for done == nil {
			if time.Now().After(deadline) {
				t.Fatal("no region synced within a minute")
			}
			prs, err := e.inv.ProviderRegions(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, pr := range prs {
				if pr.LastSyncAt != nil {
					if done, err = e.inv.Region(ctx, pr.CloudregionID); err != nil {
						t.Fatal(err)
					}
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		if tk, _ := e.tasks.Get(ctx, full); tk.Status.Terminal() {
			t.Fatal("the full sync ended before the change could be made; it is too fast for this test")
		}

		// Shrink and grow that region behind the sync's back.
		drv, err := e.inv.Open(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		defer drv.Close()
		rc, err := drv.Region(done.RegionID)
		if err != nil {
			t.Fatal(err)
		}
		before := simInstances(t, rc)
		removed := 0
		for _, id := range before {
			if removed < 2 && rc.DeleteInstances(ctx, []string{id}, true) == nil {
				removed++
			}
		}
		if removed < 2 {
			t.Fatalf("removed %d instances of %d, want 2", removed, len(before))
		}
		if err := e.sim.Populate(testAK, aliyunsim.PopulateOptions{Instances: 3, Regions: []string{done.RegionID}}); err != nil {
			t.Fatal(err)
		}

		// Several requests at once, as cluster tasks and the API make them.
		reqs := []inventory.SyncRequest{
			{Regions: []string{done.RegionID}, Kinds: []inventory.Kind{inventory.KindServer}},
			{Regions: []string{done.RegionID}, Kinds: []inventory.Kind{inventory.KindServer}},
			{Regions: []string{done.RegionID}, Kinds: []inventory.Kind{inventory.KindDisk}},
			{Regions: []string{done.RegionID}, Kinds: []inventory.Kind{inventory.KindEIP, inventory.KindServer}},
		}
		got := make([]string, len(reqs))
		var wg sync.WaitGroup
		for i, r := range reqs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tk, err := e.inv.RequestSync(ctx, a.ID, r)
				if err != nil {
					t.Error(err)
					return
				}
				got[i] = tk.ID
			}()
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		follow := got[0]
		for i, id := range got {
			if id == full {
				t.Fatalf("request %d was folded into the full sync that had already listed %s", i, done.RegionID)
			}
			if id != follow {
				t.Fatalf("requests got tasks %v, want one follow-up for all", got)
			}
		}
		page, err := e.tasks.List(ctx, task.Filter{Type: inventory.TaskSync, ObjectID: a.ID}, listing.Params{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != 2 {
			t.Fatalf("%d sync tasks, want the full sync and one follow-up", page.Total)
		}

		if err := e.sim.SetRuntime(aliyunsim.RuntimeConfig{Latency: &fast}); err != nil {
			t.Fatal(err)
		}
		e.waitTask(t, full)
		ft := e.waitTask(t, follow)
		if ft.StartedAt == nil || ft.FinishedAt == nil {
			t.Fatal("follow-up has no start or end")
		}

		want := simInstances(t, rc)
		items, err := e.inv.ListResources(ctx, inventory.SystemScope, inventory.KindServer,
			inventory.ResourceFilter{AccountID: a.ID, RegionID: done.ID}, listing.Params{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		var have []string
		for _, r := range items.Items {
			have = append(have, r.ExternalID)
		}
		slices.Sort(have)
		if !slices.Equal(have, want) {
			t.Fatalf("inventory of %s has %d servers %v, the cloud %d %v", done.RegionID, len(have), have, len(want), want)
		}
		if len(want) != len(before)+3-removed {
			t.Fatalf("the cloud has %d servers, want %d", len(want), len(before)+3-removed)
		}

		acct, err := e.inv.Get(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if acct.SyncTaskID != follow || acct.SyncFollowTaskID != "" || acct.SyncFollowScope != "" {
			t.Fatalf("account sync task %s, follow-up %q %q; want %s and none pending", acct.SyncTaskID, acct.SyncFollowTaskID, acct.SyncFollowScope, follow)
		}
		var params struct {
			Follow bool `json:"follow"`
		}
		_ = json.Unmarshal(ft.Params, &params)
		if !params.Follow {
			t.Fatalf("task %s is not a follow-up: %s", follow, ft.Params)
		}
	})
}

// simInstances lists a region's instance ids, sorted.
func simInstances(t *testing.T, rc cloud.RegionClient) []string {
	t.Helper()
	var ids []string
	tok := ""
	for {
		p, err := rc.ListInstances(context.Background(), cloud.InstanceQuery{}, cloud.PageRequest{Token: tok, Size: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range p.Items {
			ids = append(ids, in.ID)
		}
		if p.NextToken == "" {
			break
		}
		tok = p.NextToken
	}
	slices.Sort(ids)
	return ids
}

// TestSyncCoveredByQueuedSync: a request a queued, not yet started sync
// covers is served by it; one it does not cover gets a follow-up.
func TestSyncCoveredByQueuedSync(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, 2)
		ctx := context.Background()
		off := false
		a, err := e.inv.Create(ctx, inventory.CreateInput{Name: "covered", Provider: "Aliyun", AccessURL: e.url,
			AccessKeyID: testAK, AccessKeySecret: testSecret, Enabled: true, DomainID: "d1", ProjectID: "p1",
			Regions: []string{"cn-beijing"}, AutoSync: &off})
		if err != nil {
			t.Fatal(err)
		}
		e.waitTask(t, a.SyncTaskID)
		// A queued sync that has not started: recorded without running it.
		queued := "00000000-0000-7000-8000-000000000001"
		if _, err := st.DB.NewInsert().Model(&task.Task{ID: queued, Type: inventory.TaskSync, ObjectType: "cloudaccount",
			ObjectID: a.ID, Status: task.Queued, Params: json.RawMessage(`{"account_id":"` + a.ID + `","kinds":["server","disk"]}`),
			State: json.RawMessage("{}"), Result: json.RawMessage("{}"), MaxAttempts: 3, NextRunAt: time.Now().Add(time.Hour).UnixMilli(),
			CreatedAt: time.Now(), UpdatedAt: time.Now()}).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DB.NewUpdate().Model((*inventory.Account)(nil)).Set("sync_task_id = ?", queued).
			Set("sync_status = ?", inventory.SyncQueued).Where("id = ?", a.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		tk, err := e.inv.RequestSync(ctx, a.ID, inventory.SyncRequest{Kinds: []inventory.Kind{inventory.KindServer}})
		if err != nil || tk.ID != queued {
			t.Fatalf("a servers-only request got %v (%v), want the queued sync %s that covers it", tk, err, queued)
		}
		tk, err = e.inv.RequestSync(ctx, a.ID, inventory.SyncRequest{Kinds: []inventory.Kind{inventory.KindBucket}})
		if err != nil {
			t.Fatal(err)
		}
		if tk.ID == queued {
			t.Fatal("a buckets request was folded into a sync of servers and disks")
		}
		acct, _ := e.inv.Get(ctx, a.ID)
		if acct.SyncFollowTaskID != tk.ID {
			t.Fatalf("follow-up on the account is %q, want %s", acct.SyncFollowTaskID, tk.ID)
		}
		// Let the follow-up run: end the queued sync.
		if _, err := e.tasks.Cancel(ctx, queued); err != nil {
			t.Fatal(err)
		}
		e.waitTask(t, tk.ID)
	})
}

// TestPartialSyncsDoNotDelayFullSync: servers-only syncs every 5 s do not
// move the full sync's schedule; it is due a minute after the last full one
// started.
func TestPartialSyncsDoNotDelayFullSync(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		var mu sync.Mutex
		clock := time.Now().UTC().Truncate(time.Second)
		now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
		advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
		e := newEnvConfig(t, st, 2, inventory.Config{Now: now})
		ctx := context.Background()
		a, err := e.inv.Create(ctx, inventory.CreateInput{Name: "starved", Provider: "Aliyun", AccessURL: e.url,
			AccessKeyID: testAK, AccessKeySecret: testSecret, Enabled: true, DomainID: "d1", ProjectID: "p1",
			Regions: []string{"cn-beijing"}, SyncIntervalSeconds: 60})
		if err != nil {
			t.Fatal(err)
		}
		e.waitTask(t, a.SyncTaskID)
		a, _ = e.inv.Get(ctx, a.ID)
		if a.LastFullSyncAt == nil {
			t.Fatal("the first sync is full but no full sync time was recorded")
		}
		fullAt := *a.LastFullSyncAt
		for step := 1; ; step++ {
			advance(5 * time.Second)
			p, err := e.inv.RequestSync(ctx, a.ID, inventory.SyncRequest{Kinds: []inventory.Kind{inventory.KindServer}})
			if err != nil {
				t.Fatal(err)
			}
			e.waitTask(t, p.ID)
			acct, _ := e.inv.Get(ctx, a.ID)
			if acct.LastPartialSyncAt == nil || !acct.LastPartialSyncAt.Equal(now()) {
				t.Fatalf("step %d: last partial sync %v, want %v", step, acct.LastPartialSyncAt, now())
			}
			if !acct.LastFullSyncAt.Equal(fullAt) {
				t.Fatalf("step %d: a partial sync moved the full sync time to %v", step, acct.LastFullSyncAt)
			}
			n, err := e.inv.ScheduleDue(ctx)
			if err != nil {
				t.Fatal(err)
			}
			elapsed := now().Sub(fullAt)
			if elapsed < time.Minute {
				if n != 0 {
					t.Fatalf("a full sync was queued %s after the last, before its interval", elapsed)
				}
				continue
			}
			if n != 1 {
				t.Fatalf("no full sync queued %s after the last one, with a 60 s interval", elapsed)
			}
			acct, _ = e.inv.Get(ctx, a.ID)
			ft := e.waitTask(t, acct.SyncTaskID)
			var params struct {
				Regions []string `json:"regions"`
				Kinds   []string `json:"kinds"`
			}
			_ = json.Unmarshal(ft.Params, &params)
			if len(params.Regions) != 0 || len(params.Kinds) != 0 {
				t.Fatalf("the scheduled sync is limited to %v %v", params.Regions, params.Kinds)
			}
			acct, _ = e.inv.Get(ctx, a.ID)
			if acct.LastFullSyncAt == nil || !acct.LastFullSyncAt.Equal(now()) {
				t.Fatalf("last full sync %v after the scheduled one, want %v", acct.LastFullSyncAt, now())
			}
			return
		}
	})
}
