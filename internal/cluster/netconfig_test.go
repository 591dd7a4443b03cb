package cluster_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/cluster"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/inventory"
	aliyunsim "github.com/skyfold/skyfold/internal/sim/aliyun"
	"github.com/skyfold/skyfold/internal/store"
	"github.com/skyfold/skyfold/internal/store/storetest"
)

func netInput(zone string) cluster.NetworkConfigInput {
	return cluster.NetworkConfigInput{Provider: "AlibabaCloud", RegionID: testRegion, CIDR: "10.0.0.0/8", VPCName: "vpc-net", ZoneID: zone,
		SwitchCIDR: "10.0.0.0/16", SwitchName: "vsw-net", SecurityGroupName: "sg-net", AccountKey: testKey,
		Rules: []cluster.Rule{{Protocol: "tcp", PortRange: "22/22", Direction: "ingress", CIDRIP: "0.0.0.0/0"}}}
}

func (e *env) simCount(kind string) int {
	n := 0
	for _, a := range e.sim.Status().Accounts {
		n += a.Counts[kind]
	}
	return n
}

// TestNetworkConfigTask runs network_config/create as a task: answered in
// the request when the cloud is quick, named by its task when the cloud is
// slower than the wait, and rolled back whole when a step fails.
func TestNetworkConfigTask(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		// Answered in the request: a wait no loaded machine runs past.
		e := newEnv(t, st, envOpts{clusterCfg: cluster.Config{NetworkWait: 30 * time.Second}})

		t.Run("in time", func(t *testing.T) {
			res, err := e.svc.CreateNetworkConfig(ctx, e.owner, netInput(testZone))
			if err != nil {
				t.Fatal(err)
			}
			if res.Pending || res.VPCID == "" || res.SubnetID == "" || res.SecurityGroupID == "" {
				t.Fatalf("result %+v", res)
			}
		})

		t.Run("a step fails", func(t *testing.T) {
			vpcs := e.simCount("vpcs")
			_, err := e.svc.CreateNetworkConfig(ctx, e.owner, netInput("cn-qingdao-zz"))
			if errs.CodeOf(err) != errs.Invalid || !strings.Contains(err.Error(), "deleted again") {
				t.Fatalf("unknown zone: %v", err)
			}
			if n := e.simCount("vpcs"); n != vpcs {
				t.Fatalf("the cloud has %d VPCs after the rollback, want %d", n, vpcs)
			}
		})

		t.Run("slower than the wait", func(t *testing.T) {
			e := newEnv(t, storetest.Open(t, st.Kind), envOpts{clusterCfg: cluster.Config{NetworkWait: 2 * time.Second}})
			lat := 700 * time.Millisecond
			if err := e.sim.SetRuntime(aliyunsim.RuntimeConfig{Latency: &lat}); err != nil {
				t.Fatal(err)
			}
			defer func() {
				var none time.Duration
				_ = e.sim.SetRuntime(aliyunsim.RuntimeConfig{Latency: &none})
			}()
			start := time.Now()
			res, err := e.svc.CreateNetworkConfig(ctx, e.owner, netInput(testZone))
			if err != nil {
				t.Fatal(err)
			}
			if !res.Pending || res.TaskID == "" {
				t.Fatalf("result %+v, want a pending task", res)
			}
			// The task takes over ten seconds at this latency: a request
			// back well before that did not wait for it (validation calls
			// the slow cloud too, so the bound is loose).
			if d := time.Since(start); d > 8*time.Second {
				t.Fatalf("the request waited %s, far past its 2s wait", d)
			}
			if _, err := e.svc.NetworkConfigStatus(ctx, inventory.Scope{DomainID: "other"}, res.TaskID); errs.CodeOf(err) != errs.NotFound {
				t.Fatalf("another domain sees the task: %v", err)
			}
			deadline := time.Now().Add(30 * time.Second)
			for {
				s, err := e.svc.NetworkConfigStatus(ctx, e.owner.Scope, res.TaskID)
				if err != nil {
					t.Fatal(err)
				}
				if s.Done {
					if s.Err != nil || s.Status != cluster.StatusSuccess || s.VPCID == "" || s.SubnetID == "" || s.SecurityGroupID == "" {
						t.Fatalf("finished: %+v", s)
					}
					break
				}
				if s.Status != cluster.StatusRunning {
					t.Fatalf("status %s while running", s.Status)
				}
				if time.Now().After(deadline) {
					t.Fatal("the task did not finish")
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
	})
}
