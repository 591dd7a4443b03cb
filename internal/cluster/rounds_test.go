package cluster_test

import (
	"context"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/cloud"
	"github.com/skyfold/skyfold/internal/cluster"
	"github.com/skyfold/skyfold/internal/inventory"
	"github.com/skyfold/skyfold/internal/listing"
	aliyunsim "github.com/skyfold/skyfold/internal/sim/aliyun"
	"github.com/skyfold/skyfold/internal/store"
	"github.com/skyfold/skyfold/internal/store/storetest"
)

// TestLostInstancesAreReplaced has the cloud lose instances it named to
// the expand (deleted behind the engine's back before they ran): the
// expand runs a replacement round and ends with every instance asked for.
func TestLostInstancesAreReplaced(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, envOpts{simCfg: aliyunsim.Config{StateDelay: time.Second},
			clusterCfg: cluster.Config{GoneAfter: 100 * time.Millisecond}})
		ctx := context.Background()
		c := e.cluster(t, "lossy", e.network(t))
		tk, err := e.svc.Expand(ctx, e.owner, cluster.ExpandInput{ClusterName: c.Name, Count: 4})
		if err != nil {
			t.Fatal(err)
		}

		p, err := cloud.Open(ctx, "Aliyun", cloud.AccountConfig{AccessKeyID: testKey, AccessKeySecret: testSecret, Endpoint: e.url})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		rc, err := p.Region(testRegion)
		if err != nil {
			t.Fatal(err)
		}
		var made []cloud.Instance
		for deadline := time.Now().Add(20 * time.Second); len(made) < 4; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the expand made %d instances", len(made))
			}
			page, err := rc.ListInstances(ctx, cloud.InstanceQuery{Tags: map[string]string{cluster.TagTask: tk.ID}}, cloud.PageRequest{Size: 10})
			if err != nil {
				t.Fatal(err)
			}
			made = page.Items
		}
		lost := []string{made[0].ID, made[1].ID}
		if made[0].Status == cloud.StatusRunning || made[1].Status == cloud.StatusRunning {
			t.Fatalf("instances ran before the test could lose them: %v", made[:2])
		}
		if err := rc.DeleteInstances(ctx, lost, true); err != nil {
			t.Fatal(err)
		}

		done := e.wait(t, tk.ID, 60*time.Second)
		if done.Status != cluster.StatusSuccess || done.Succeeded != 4 {
			t.Fatalf("expand after a loss: %s %d of %d: %s", done.Status, done.Succeeded, done.Requested, done.Error)
		}
		if n := e.simInstances(t, tk.ID); n != 4 {
			t.Fatalf("the cloud has %d instances of the task, want 4", n)
		}
		d, err := e.svc.TaskDetail(ctx, inventory.SystemScope, tk.ID, listing.Params{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Batches) != 2 || d.Batches[1].Round != 2 || d.Batches[1].Amount != 2 || d.Instances.Total != 6 {
			t.Fatalf("want a second round of 2: %d batches (%+v), %d instances", len(d.Batches), d.Batches, d.Instances.Total)
		}
		gone := 0
		for _, in := range d.Instances.Items {
			if in.Status == cluster.InstanceDeleted && in.Error == "gone from the cloud before it ran" {
				gone++
			}
		}
		if gone != 2 {
			t.Fatalf("%d instances recorded as lost, want 2", gone)
		}
	})
}
