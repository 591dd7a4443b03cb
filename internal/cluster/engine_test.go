package cluster_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/cluster"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/inventory"
	"github.com/skyfold/skyfold/internal/listing"
	aliyunsim "github.com/skyfold/skyfold/internal/sim/aliyun"
	"github.com/skyfold/skyfold/internal/store"
	"github.com/skyfold/skyfold/internal/store/storetest"
)

// TestExpandShrink drives a cluster through an expand of several batches,
// a shrink by count and a shrink by IP list, checking the cloud, the
// records and the running intervals at each step.
func TestExpandShrink(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, envOpts{clusterCfg: cluster.Config{BatchSize: 40}})
		nc := e.network(t)
		c := e.cluster(t, "gf.bridgx.online", nc)

		tk, err := e.svc.Expand(ctx, e.owner, cluster.ExpandInput{ClusterName: c.Name, TaskName: "expand_task", Count: 130})
		if err != nil {
			t.Fatal(err)
		}
		// One active task per cluster: a second expand names the first.
		if _, err := e.svc.Expand(ctx, e.owner, cluster.ExpandInput{ClusterName: c.Name, Count: 1}); errs.CodeOf(err) != errs.Conflict || !strings.Contains(err.Error(), tk.ID) {
			t.Fatalf("second expand: %v", err)
		}
		done := e.wait(t, tk.ID, 60*time.Second)
		if done.Status != cluster.StatusSuccess || done.Succeeded != 130 {
			t.Fatalf("expand: %s %d/%d %s", done.Status, done.Succeeded, done.Requested, done.Error)
		}
		if n := e.simInstances(t, tk.ID); n != 130 {
			t.Fatalf("cloud has %d instances of the task, want 130", n)
		}
		d, err := e.svc.TaskDetail(ctx, inventory.SystemScope, tk.ID, listing.Params{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Batches) != 4 || d.Instances.Total != 130 {
			t.Fatalf("detail: %d batches, %d instances", len(d.Batches), d.Instances.Total)
		}
		n, err := e.svc.CountRunning(ctx, e.owner.Scope, "", c.Name)
		if err != nil || n != 130 {
			t.Fatalf("running %d %v", n, err)
		}
		today := time.Now().In(e.svc.Location()).Format("2006-01-02")
		usage, err := e.svc.UsageStatistics(ctx, e.owner.Scope, cluster.UsageQuery{ClusterName: c.Name, Date: today, Page: listing.Params{Limit: 500}})
		if err != nil || usage.Total != 130 {
			t.Fatalf("usage rows %d %v", usage.Total, err)
		}
		// A cluster with instances cannot be deleted.
		if _, err := e.svc.DeleteCluster(ctx, e.owner.Scope, c.Name); errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("delete busy cluster: %v", err)
		}

		// Shrink by count; one instance vanished from the cloud meanwhile.
		list, _ := e.svc.ListInstances(ctx, e.owner.Scope, cluster.InstanceQuery{ClusterName: c.Name, Page: listing.Params{Limit: 1}})
		vanished := list.Items[0].InstanceID
		if err := e.deleteOnSim(vanished); err != nil {
			t.Fatal(err)
		}
		sh, err := e.svc.Shrink(ctx, e.owner, cluster.ShrinkInput{ClusterName: c.Name, Count: 50})
		if err != nil {
			t.Fatal(err)
		}
		done = e.wait(t, sh.ID, 60*time.Second)
		if done.Status != cluster.StatusSuccess || done.Succeeded != 50 {
			t.Fatalf("shrink: %s %d %s", done.Status, done.Succeeded, done.Error)
		}
		if n := e.simInstances(t, tk.ID); n != 79 {
			t.Fatalf("cloud has %d, want 79 (130 - 1 vanished - 50)", n)
		}
		// Shrink by IPs.
		list, _ = e.svc.ListInstances(ctx, e.owner.Scope, cluster.InstanceQuery{ClusterName: c.Name, Statuses: []string{"Running"}, Page: listing.Params{Limit: 2}})
		ips := []string{list.Items[0].IPInner, list.Items[1].IPInner}
		if _, err := e.svc.Shrink(ctx, e.owner, cluster.ShrinkInput{ClusterName: c.Name, IPs: []string{"10.9.9.9"}}); errs.CodeOf(err) != errs.Invalid {
			t.Fatalf("unknown ip: %v", err)
		}
		sh, err = e.svc.Shrink(ctx, e.owner, cluster.ShrinkInput{ClusterName: c.Name, IPs: ips})
		if err != nil {
			t.Fatal(err)
		}
		if done = e.wait(t, sh.ID, 60*time.Second); done.Status != cluster.StatusSuccess || done.Succeeded != 2 {
			t.Fatalf("shrink by ip: %s %d %s", done.Status, done.Succeeded, done.Error)
		}
		if _, err := e.svc.Shrink(ctx, e.owner, cluster.ShrinkInput{ClusterName: c.Name, Count: 78}); errs.CodeOf(err) != errs.Invalid {
			t.Fatalf("shrink below zero: %v", err)
		}
		sh, err = e.svc.Shrink(ctx, e.owner, cluster.ShrinkInput{ClusterName: c.Name, Count: 77})
		if err != nil {
			t.Fatal(err)
		}
		if done = e.wait(t, sh.ID, 60*time.Second); done.Status != cluster.StatusSuccess {
			t.Fatalf("shrink all: %s %s", done.Status, done.Error)
		}
		if n := e.simInstances(t, ""); n != 0 {
			t.Fatalf("cloud still has %d instances", n)
		}
		tot, err := e.svc.UsageTotal(ctx, e.owner.Scope, cluster.UsageQuery{ClusterName: c.Name, Date: today})
		if err != nil || tot.Seconds < 0 {
			t.Fatalf("usage total %+v %v", tot, err)
		}
		if _, err := e.svc.DeleteCluster(ctx, e.owner.Scope, c.Name); err != nil {
			t.Fatalf("delete empty cluster: %v", err)
		}
	})
}

// deleteOnSim deletes an instance behind Skyfold's back.
func (e *env) deleteOnSim(id string) error {
	ctx := context.Background()
	p, err := e.svc.ProviderForTest(ctx, e.acct)
	if err != nil {
		return err
	}
	rc, err := p.Region(testRegion)
	if err != nil {
		return err
	}
	return rc.DeleteInstances(ctx, []string{id}, true)
}

// TestExpandQuota runs into the account's instance quota: the task ends
// PARTIAL_SUCCESS with exactly the instances that fitted and the cloud's
// message.
func TestExpandQuota(t *testing.T) {
	st := storetest.Open(t, "sqlite")
	quota := 130
	e := newEnv(t, st, envOpts{simCfg: aliyunsim.Config{Accounts: []aliyunsim.Account{{AccessKeyID: testKey, AccessKeySecret: testSecret,
		AccountID: "1423762516458389", Name: "bridgx", MaxInstances: quota}}}})
	ctx := context.Background()
	c := e.cluster(t, "quota", e.network(t))
	tk, err := e.svc.Expand(ctx, e.owner, cluster.ExpandInput{ClusterName: c.Name, Count: 300})
	if err != nil {
		t.Fatal(err)
	}
	done := e.wait(t, tk.ID, 60*time.Second)
	if done.Status != cluster.StatusPartialSuccess || done.Succeeded != quota || done.Failed != 300-quota {
		t.Fatalf("quota expand: %s %d/%d", done.Status, done.Succeeded, done.Requested)
	}
	if !strings.Contains(done.Error, "QuotaExceed") || !strings.Contains(done.Error, "quota") {
		t.Fatalf("error does not quote the cloud: %q", done.Error)
	}
	if n := e.simInstances(t, tk.ID); n != quota {
		t.Fatalf("cloud has %d, want %d", n, quota)
	}
	d, err := e.svc.TaskDetail(ctx, inventory.SystemScope, tk.ID, listing.Params{})
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, b := range d.Batches {
		if b.ErrorCode != "" && !strings.Contains(b.ErrorMessage, "quota") {
			t.Errorf("batch %d: %s %s", b.Seq, b.ErrorCode, b.ErrorMessage)
		}
		if b.Status == cluster.BatchFailed {
			failed++
		}
	}
	if failed == 0 {
		t.Fatal("no batch failed")
	}
}

// TestNotReadyInstancesAreDeleted gives instances less time to boot than
// the cloud needs: each round deletes what did not become ready and asks
// again, and after the last round the task fails with nothing left behind.
func TestNotReadyInstancesAreDeleted(t *testing.T) {
	st := storetest.Open(t, "sqlite")
	e := newEnv(t, st, envOpts{simCfg: aliyunsim.Config{StateDelay: 5 * time.Second},
		clusterCfg: cluster.Config{ReadyTimeout: 200 * time.Millisecond, MaxRounds: 2}})
	ctx := context.Background()
	c := e.cluster(t, "slow", e.network(t))
	tk, err := e.svc.Expand(ctx, e.owner, cluster.ExpandInput{ClusterName: c.Name, Count: 3})
	if err != nil {
		t.Fatal(err)
	}
	done := e.wait(t, tk.ID, 30*time.Second)
	if done.Status != cluster.StatusFailed || done.Succeeded != 0 {
		t.Fatalf("slow boot: %s %d %s", done.Status, done.Succeeded, done.Error)
	}
	if n := e.simInstances(t, ""); n != 0 {
		t.Fatalf("%d instances left on the cloud", n)
	}
	d, err := e.svc.TaskDetail(ctx, inventory.SystemScope, tk.ID, listing.Params{})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Batches) != 2 || d.Batches[1].Round != 2 || d.Instances.Total != 6 {
		t.Fatalf("want 2 rounds of 3: %d batches, %d instances", len(d.Batches), d.Instances.Total)
	}
	for _, in := range d.Instances.Items {
		if in.Status != cluster.InstanceDeleted || !strings.HasPrefix(in.Error, "not ready") {
			t.Fatalf("instance %s: %s %q", in.InstanceID, in.Status, in.Error)
		}
	}
	// The cluster is free again.
	if _, err := e.svc.Expand(ctx, e.owner, cluster.ExpandInput{ClusterName: c.Name, Count: 1}); err != nil {
		t.Fatalf("cluster still busy: %v", err)
	}
}
