package aliyun_test

import (
	"context"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/cloud"
	aliyunsim "github.com/skyfold/skyfold/internal/sim/aliyun"
)

// TestServicesAgainstSim exercises every read-mostly capability against a
// populated simulator.
func TestServicesAgainstSim(t *testing.T) {
	sim, url := startSim(t, func(c *aliyunsim.Config) { c.StateDelay = -1 })
	if err := sim.Populate(testKeyID, aliyunsim.PopulateOptions{Instances: 30, Regions: []string{"cn-hangzhou"},
		Buckets: 3, DBs: 3, Caches: 3, Kafkas: 3}); err != nil {
		t.Fatalf("Populate: %v", err)
	}
	p := cloud.WithRetry(openSim(t, url, testSecret), fastRetry)
	r, _ := p.Region("cn-hangzhou")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	t.Run("Account", func(t *testing.T) {
		a, err := p.Account(ctx)
		if err != nil || a.ID != testAccountID {
			t.Fatalf("Account = %+v, %v", a, err)
		}
		regions, err := p.Regions(ctx)
		if err != nil || len(regions) == 0 {
			t.Fatalf("Regions = %d, %v", len(regions), err)
		}
		for _, rg := range regions {
			if rg.ID == "cn-beijing" && rg.LocalName == "" {
				t.Errorf("cn-beijing without a local name")
			}
		}
	})
	t.Run("Balance", func(t *testing.T) {
		b, err := p.Balance(ctx)
		if err != nil || b.Available.Amount == "" || b.Available.Currency == "" {
			t.Fatalf("Balance = %+v, %v", b, err)
		}
		t.Logf("balance %s %s", b.Available.Amount, b.Available.Currency)
	})
	var instances []cloud.Instance
	t.Run("Instances", func(t *testing.T) {
		var err error
		instances, err = cloud.Collect(ctx, 7, func(ctx context.Context, pr cloud.PageRequest) (cloud.Page[cloud.Instance], error) {
			return r.ListInstances(ctx, cloud.InstanceQuery{}, pr)
		})
		if err != nil || len(instances) != 30 {
			t.Fatalf("ListInstances = %d, %v; want 30", len(instances), err)
		}
		for _, in := range instances {
			if in.Status == cloud.StatusUnknown || in.GlobalID == "" || in.CPU == 0 || in.CreatedAt.IsZero() {
				t.Fatalf("instance %+v: want status, global id, cpu, creation time", in)
			}
		}
	})
	t.Run("Disks", func(t *testing.T) {
		need(t, len(instances) > 0)
		disks, err := cloud.Collect(ctx, 0, func(ctx context.Context, pr cloud.PageRequest) (cloud.Page[cloud.Disk], error) {
			return r.ListDisks(ctx, cloud.DiskQuery{InstanceID: instances[0].ID}, pr)
		})
		if err != nil || len(disks) == 0 {
			t.Fatalf("ListDisks = %d, %v", len(disks), err)
		}
		snap, err := r.CreateSnapshot(ctx, cloud.SnapshotSpec{DiskID: disks[0].ID, Name: "svc-snap", ClientToken: "svc-snap"})
		if err != nil {
			t.Fatalf("CreateSnapshot: %v", err)
		}
		snaps, err := cloud.Collect(ctx, 0, func(ctx context.Context, pr cloud.PageRequest) (cloud.Page[cloud.Snapshot], error) {
			return r.ListSnapshots(ctx, cloud.SnapshotQuery{DiskID: disks[0].ID}, pr)
		})
		found := false
		for _, sn := range snaps {
			found = found || (sn.ID == snap.ID && sn.DiskID == disks[0].ID)
		}
		if err != nil || !found {
			t.Fatalf("ListSnapshots = %d, %v; want %s among them", len(snaps), err, snap.ID)
		}
		if err := r.DeleteSnapshot(ctx, snap.ID); err != nil {
			t.Fatalf("DeleteSnapshot: %v", err)
		}
	})
	t.Run("EIPs", func(t *testing.T) {
		eip, err := r.AllocateEIP(ctx, cloud.EIPSpec{Name: "svc-eip", BandwidthMbps: 5, ClientToken: "svc-eip"})
		if err != nil || eip.Address == "" {
			t.Fatalf("AllocateEIP = %+v, %v", eip, err)
		}
		list, err := cloud.Collect(ctx, 0, r.ListEIPs)
		found := false
		for _, e := range list {
			found = found || e.ID == eip.ID
		}
		if err != nil || !found {
			t.Fatalf("ListEIPs: %d, %v; want %s", len(list), err, eip.ID)
		}
		if err := r.ReleaseEIP(ctx, eip.ID); err != nil {
			t.Fatalf("ReleaseEIP: %v", err)
		}
	})
	t.Run("Buckets", func(t *testing.T) {
		if _, err := r.CreateBucket(ctx, cloud.BucketSpec{Name: "skyfold-svc-test"}); err != nil {
			t.Fatalf("CreateBucket: %v", err)
		}
		bs, err := r.ListBuckets(ctx)
		if err != nil || len(bs) < 1 {
			t.Fatalf("ListBuckets = %d, %v", len(bs), err)
		}
		if _, err := r.BucketStats(ctx, "skyfold-svc-test"); err != nil {
			t.Fatalf("BucketStats: %v", err)
		}
		if err := r.DeleteBucket(ctx, "skyfold-svc-test"); err != nil {
			t.Fatalf("DeleteBucket: %v", err)
		}
	})
	t.Run("Databases", func(t *testing.T) {
		dbs, err := cloud.Collect(ctx, 0, r.ListDatabases)
		if err != nil || len(dbs) != 3 {
			t.Fatalf("ListDatabases = %d, %v; want 3", len(dbs), err)
		}
		if d, err := r.GetDatabase(ctx, dbs[0].ID); err != nil || d.ID != dbs[0].ID || d.Engine == "" {
			t.Fatalf("GetDatabase = %+v, %v", d, err)
		}
	})
	t.Run("Caches", func(t *testing.T) {
		cs, err := cloud.Collect(ctx, 0, r.ListCaches)
		if err != nil || len(cs) != 3 {
			t.Fatalf("ListCaches = %d, %v; want 3", len(cs), err)
		}
		if c, err := r.GetCache(ctx, cs[0].ID); err != nil || c.ID != cs[0].ID {
			t.Fatalf("GetCache = %+v, %v", c, err)
		}
	})
	t.Run("Kafkas", func(t *testing.T) {
		ks, err := cloud.Collect(ctx, 2, r.ListKafkas)
		if err != nil || len(ks) != 3 {
			t.Fatalf("ListKafkas = %d, %v; want 3", len(ks), err)
		}
		if k, err := r.GetKafka(ctx, ks[0].ID); err != nil || k.ID != ks[0].ID {
			t.Fatalf("GetKafka = %+v, %v", k, err)
		}
	})
	t.Run("Metrics", func(t *testing.T) {
		need(t, len(instances) > 0)
		end := time.Now().Truncate(time.Minute)
		series, err := r.Metrics(ctx, cloud.MetricQuery{InstanceIDs: []string{instances[0].ID, instances[1].ID},
			Metrics: []cloud.Metric{cloud.MetricCPUUsage, cloud.MetricNetIn}, Start: end.Add(-time.Hour), End: end, Period: 5 * time.Minute})
		if err != nil || len(series) != 4 {
			t.Fatalf("Metrics = %d series, %v; want 4", len(series), err)
		}
		if len(series[0].Points) == 0 {
			t.Errorf("no points for %s %s", series[0].InstanceID, series[0].Metric)
		}
	})
	t.Run("Bills", func(t *testing.T) {
		end := time.Now().UTC()
		lines, err := cloud.Collect(ctx, 0, func(ctx context.Context, pr cloud.PageRequest) (cloud.Page[cloud.BillLine], error) {
			return p.Bills(ctx, cloud.BillQuery{Start: end.AddDate(0, 0, -3), End: end}, pr)
		})
		if err != nil {
			t.Fatalf("Bills: %v", err)
		}
		t.Logf("%d bill lines", len(lines))
		for _, l := range lines {
			if l.ResourceID == "" || l.Date == "" || l.PaidAmount == "" || l.Currency == "" {
				t.Fatalf("bill line %+v", l)
			}
		}
	})
	t.Run("ChangeInstanceType", func(t *testing.T) {
		need(t, len(instances) > 0)
		types, err := r.InstanceTypes(ctx)
		if err != nil || len(types) < 2 {
			t.Fatalf("InstanceTypes: %d, %v", len(types), err)
		}
		id := instances[0].ID
		if err := r.StopInstances(ctx, []string{id}, true); err != nil {
			t.Fatalf("StopInstances: %v", err)
		}
		target := types[0].ID
		if target == instances[0].InstanceType {
			target = types[1].ID
		}
		if err := r.ChangeInstanceType(ctx, id, target); err != nil {
			t.Fatalf("ChangeInstanceType: %v", err)
		}
		in, err := r.GetInstance(ctx, id)
		if err != nil || in.InstanceType != target {
			t.Fatalf("after change: %+v, %v; want type %s", in.InstanceType, err, target)
		}
		if err := r.RebootInstances(ctx, []string{instances[1].ID}, false); err != nil {
			t.Fatalf("RebootInstances: %v", err)
		}
	})
}

func need(t *testing.T, ok bool) {
	t.Helper()
	if !ok {
		t.Skip("needs an earlier case")
	}
}
