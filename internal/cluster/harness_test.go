package cluster_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/cloud"
	_ "github.com/skyfold/skyfold/internal/cloud/all"
	"github.com/skyfold/skyfold/internal/cluster"
	"github.com/skyfold/skyfold/internal/inventory"
	"github.com/skyfold/skyfold/internal/jobs"
	"github.com/skyfold/skyfold/internal/secret"
	aliyunsim "github.com/skyfold/skyfold/internal/sim/aliyun"
	"github.com/skyfold/skyfold/internal/store"
	"github.com/skyfold/skyfold/internal/task"
)

const (
	testKey    = "LTAI5tEXAMPLEKEYID00002"
	testSecret = "EXAMPLEsecretEXAMPLEsecret0002"
	testRegion = "cn-qingdao"
	testZone   = "cn-qingdao-b"
)

// env is one Skyfold core (store, tasks, inventory, clusters) against one
// Aliyun simulator.
type env struct {
	st    *store.Store
	sim   *aliyunsim.Server
	url   string
	tasks *task.Service
	inv   *inventory.Service
	svc   *cluster.Service
	acct  *inventory.Account
	owner cluster.Owner
}

type envOpts struct {
	simCfg     aliyunsim.Config
	clusterCfg cluster.Config
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newEnv(t testing.TB, st *store.Store, o envOpts) *env {
	t.Helper()
	sc := o.simCfg
	if len(sc.Accounts) == 0 {
		sc.Accounts = []aliyunsim.Account{{AccessKeyID: testKey, AccessKeySecret: testSecret, AccountID: "1423762516458389", Name: "bridgx"}}
	}
	if sc.StateDelay == 0 {
		sc.StateDelay = 20 * time.Millisecond
	}
	sc.Logger = quiet()
	sim, err := aliyunsim.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(func() { srv.Close(); _ = sim.Close() })
	e := &env{st: st, sim: sim, url: srv.URL}
	e.start(t, o.clusterCfg)
	ctx := context.Background()
	a, err := e.inv.Create(ctx, inventory.CreateInput{Name: "bridgx", Provider: "Aliyun", AccessURL: srv.URL,
		AccessKeyID: testKey, AccessKeySecret: testSecret, Regions: []string{testRegion}, Enabled: true,
		DomainID: "default", ProjectID: "p1"})
	if err != nil {
		t.Fatal(err)
	}
	e.acct = a
	e.owner = cluster.Owner{Scope: inventory.Scope{DomainID: "default"}, DomainID: "default", ProjectID: "p1", UserID: "u1"}
	return e
}

var testBox *secret.Box

func init() {
	b, err := secret.NewBox(secret.GenerateKey())
	if err != nil {
		panic(err)
	}
	testBox = b
}

// start runs a job runner, a task service and the services on the store,
// as one process would.
func (e *env) start(t testing.TB, cfg cluster.Config) {
	t.Helper()
	r := jobs.New(e.st, jobs.Config{Workers: 4, WorkerID: "w1", PollInterval: 50 * time.Millisecond, Logger: quiet()})
	e.tasks = task.NewService(e.st.DB, r, task.Config{WorkerID: "w1", Lease: 2 * time.Second, ReapInterval: 200 * time.Millisecond, Logger: quiet()})
	e.inv = inventory.New(e.st.DB, testBox, e.tasks, inventory.Config{Logger: quiet()})
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 50 * time.Millisecond
	}
	if cfg.RecordWait == 0 {
		cfg.RecordWait = 5 * time.Second
	}
	cfg.Logger = quiet()
	e.svc = cluster.New(e.st.DB, testBox, e.tasks, e.inv, cfg)
	e.tasks.Attach(r)
	ctx, cancel := context.WithCancel(context.Background())
	if err := r.Start(ctx); err != nil {
		t.Fatalf("start runner: %v", err)
	}
	e.tasks.Start(ctx)
	t.Cleanup(func() {
		e.tasks.BeginShutdown()
		sctx, c := context.WithTimeout(context.Background(), 10*time.Second)
		defer c()
		_ = r.Stop(sctx)
		cancel()
		_ = e.svc.Close()
	})
}

// network creates a VPC, subnet and security group.
func (e *env) network(t testing.TB) *cluster.NetworkConfigResult {
	t.Helper()
	res, err := e.svc.CreateNetworkConfig(context.Background(), e.owner, cluster.NetworkConfigInput{
		Provider: "AlibabaCloud", RegionID: testRegion, CIDR: "10.0.0.0/8", VPCName: "vpc-bench", ZoneID: testZone,
		SwitchCIDR: "10.0.0.0/16", SwitchName: "vsw-bench", SecurityGroupName: "sg-bench", AccountKey: testKey,
		Rules: []cluster.Rule{{Protocol: "tcp", PortRange: "22/22", Direction: "ingress", CIDRIP: "0.0.0.0/0"}}})
	if err != nil {
		t.Fatalf("network config: %v", err)
	}
	return res
}

// cluster creates a cluster in the network.
func (e *env) cluster(t testing.TB, name string, nc *cluster.NetworkConfigResult) *cluster.Cluster {
	t.Helper()
	c, err := e.svc.CreateCluster(context.Background(), e.owner, cluster.ClusterInput{Name: name, Provider: "AlibabaCloud",
		RegionID: testRegion, ZoneID: testZone, InstanceType: "ecs.s6-c1m1.small", ImageID: "centos_7_6_x64_20G_alibase_20211030.vhd",
		Password: "ASDqwe123", AccountKey: testKey,
		Network: cluster.NetworkConfig{VPCID: nc.VPCID, SubnetID: nc.SubnetID, SecurityGroupID: nc.SecurityGroupID},
		Disks:   cluster.Disks{SystemDisk: cluster.Disk{Category: "cloud_efficiency", Size: 40}}})
	if err != nil {
		t.Fatalf("create cluster: %v", err)
	}
	return c
}

// wait waits until a cluster task has finished.
func (e *env) wait(t testing.TB, id string, within time.Duration) *cluster.Task {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ct, err := e.svc.GetTask(context.Background(), inventory.SystemScope, id)
		if err != nil {
			t.Fatal(err)
		}
		if !ct.Active() {
			return ct
		}
		if time.Now().After(deadline) {
			logs, _ := e.tasks.Logs(context.Background(), id, 0, 0)
			for _, l := range logs {
				t.Logf("log: [%s] %s %s", l.Level, l.Stage, l.Message)
			}
			t.Fatalf("task %s still %s after %s", id, ct.Status, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// simInstances counts the simulator's instances: all of the account, or
// those tagged with a task.
func (e *env) simInstances(t testing.TB, taskID string) int {
	t.Helper()
	if taskID == "" {
		n := 0
		for _, a := range e.sim.Status().Accounts {
			n += a.Counts["instances"]
		}
		return n
	}
	ctx := context.Background()
	p, err := cloud.Open(ctx, "Aliyun", cloud.AccountConfig{AccessKeyID: testKey, AccessKeySecret: testSecret, Endpoint: e.url})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	rc, err := p.Region(testRegion)
	if err != nil {
		t.Fatal(err)
	}
	all, err := cloud.Collect(ctx, 100, func(ctx context.Context, pr cloud.PageRequest) (cloud.Page[cloud.Instance], error) {
		return rc.ListInstances(ctx, cloud.InstanceQuery{Tags: map[string]string{cluster.TagTask: taskID}}, pr)
	})
	if err != nil {
		t.Fatal(err)
	}
	return len(all)
}
