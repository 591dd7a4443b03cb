package inventory_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	_ "github.com/skyfold/skyfold/internal/cloud/aliyun"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/inventory"
	"github.com/skyfold/skyfold/internal/jobs"
	"github.com/skyfold/skyfold/internal/listing"
	"github.com/skyfold/skyfold/internal/secret"
	aliyunsim "github.com/skyfold/skyfold/internal/sim/aliyun"
	"github.com/skyfold/skyfold/internal/store"
	"github.com/skyfold/skyfold/internal/store/storetest"
	"github.com/skyfold/skyfold/internal/task"
)

const (
	testAK     = "LTAI5tEXAMPLEKEYID00001"
	testSecret = "EXAMPLEsecretEXAMPLEsecret0001"
)

type env struct {
	inv   *inventory.Service
	tasks *task.Service
	sim   *aliyunsim.Server
	url   string
	st    *store.Store
}

func newEnv(t *testing.T, st *store.Store, instances int) *env { return newEnvTB(t, st, instances) }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func newEnvTB(t testing.TB, st *store.Store, instances int) *env {
	t.Helper()
	return newEnvConfig(t, st, instances, inventory.Config{})
}

// newEnvConfig is newEnvTB with the inventory service configured by cfg.
func newEnvConfig(t testing.TB, st *store.Store, instances int, cfg inventory.Config) *env {
	t.Helper()
	sim, err := aliyunsim.New(aliyunsim.Config{Accounts: []aliyunsim.Account{{AccessKeyID: testAK, AccessKeySecret: testSecret, AccountID: "1423762516458388", Name: "demo"}}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	if instances > 0 {
		if err := sim.Populate(testAK, aliyunsim.PopulateOptions{Instances: instances, Regions: []string{"cn-beijing", "cn-hangzhou"}, Buckets: 2, DBs: 2, Caches: 1, Kafkas: 1}); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	r := jobs.New(st, jobs.Config{Workers: 4, WorkerID: "t", PollInterval: 50 * time.Millisecond})
	ts := task.NewService(st.DB, r, task.Config{WorkerID: "t", Lease: 5 * time.Second})
	box, _ := secret.NewBox(secret.GenerateKey())
	cfg.BulkDB = st.Bulk
	inv := inventory.New(st.DB, box, ts, cfg)
	ts.Attach(r)
	ctx, cancel := context.WithCancel(context.Background())
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	ts.Start(ctx)
	t.Cleanup(func() {
		ts.BeginShutdown()
		_ = r.Stop(context.Background())
		cancel()
	})
	return &env{inv: inv, tasks: ts, sim: sim, url: srv.URL, st: st}
}

func (e *env) waitTask(t *testing.T, id string) *task.Task { return e.waitTaskTB(t, id) }

func (e *env) waitTaskTB(t testing.TB, id string) *task.Task {
	t.Helper()
	deadline := time.Now().Add(10 * time.Minute)
	for time.Now().Before(deadline) {
		tk, err := e.tasks.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if tk.Status.Terminal() {
			if tk.Status != task.Success {
				logs, _ := e.tasks.Logs(context.Background(), id, 0, 0)
				for _, l := range logs {
					t.Logf("%s %s", l.Stage, l.Message)
				}
				t.Fatalf("task %s %s: %s", tk.Type, tk.Status, tk.Error)
			}
			return tk
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("task %s did not finish", id)
	return nil
}

func TestAccountLifecycleAndSync(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, 40)
		ctx := context.Background()
		in := inventory.CreateInput{Name: "zhihuima@aliyun.com", Provider: "Aliyun", AccessURL: e.url,
			AccessKeyID: testAK, AccessKeySecret: testSecret, Enabled: true, DomainID: "d1", ProjectID: "p1", DryRun: true}

		// Dry run: validated, connected, account id discovered, nothing stored.
		dry, err := e.inv.Create(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if dry.AccountID != "1423762516458388" || dry.Secret != "" {
			t.Fatalf("dry run: %+v", dry)
		}
		if page, _ := e.inv.ListAccounts(ctx, inventory.SystemScope, listing.Params{Limit: 10}); page.Total != 0 {
			t.Fatal("dry run stored an account")
		}
		// Bad secret: the cloud's refusal explained, nothing stored.
		bad := in
		bad.AccessKeySecret = "wrong"
		if _, err := e.inv.Create(ctx, bad); !errs.Is(err, errs.Invalid) {
			t.Fatalf("bad secret: %v", err)
		}
		unknown := in
		unknown.Provider = "Nimbus"
		if _, err := e.inv.Create(ctx, unknown); !errs.Is(err, errs.Invalid) {
			t.Fatalf("unknown provider: %v", err)
		}
		// Create, first sync runs.
		in.DryRun = false
		a, err := e.inv.Create(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if a.SyncTaskID == "" {
			t.Fatal("no sync queued")
		}
		if _, err := e.inv.Create(ctx, in); !errs.Is(err, errs.Conflict) {
			t.Fatalf("duplicate: %v", err)
		}
		e.waitTask(t, a.SyncTaskID)
		a, _ = e.inv.Get(ctx, a.ID)
		if a.SyncStatus != inventory.SyncIdle || a.Status != inventory.StatusConnected {
			t.Fatalf("after sync: status %s sync %s err %s", a.Status, a.SyncStatus, a.LastError)
		}
		counts := a.CountMap()
		if counts["server"] != 40 || counts["vpc"] == 0 || counts["disk"] < 40 {
			t.Fatalf("counts %v", counts)
		}
		servers, err := e.inv.ListResources(ctx, inventory.Scope{ProjectIDs: []string{"p1"}}, inventory.KindServer, inventory.ResourceFilter{}, listing.Params{Limit: 5})
		if err != nil || servers.Total != 40 || len(servers.Items) != 5 {
			t.Fatalf("servers: %d %v", servers.Total, err)
		}
		other, _ := e.inv.ListResources(ctx, inventory.Scope{ProjectIDs: []string{"p2"}}, inventory.KindServer, inventory.ResourceFilter{}, listing.Params{Limit: 5})
		if other.Total != 0 {
			t.Fatalf("another project sees %d servers", other.Total)
		}

		// Resync with no change writes nothing.
		tk, err := e.inv.RequestSync(ctx, a.ID, inventory.SyncRequest{})
		if err != nil {
			t.Fatal(err)
		}
		e.waitTask(t, tk.ID)
		regions, _ := e.inv.ProviderRegions(ctx, a.ID)
		for _, pr := range regions {
			if pr.SyncStatus != inventory.SyncIdle {
				t.Fatalf("region %s: %s %s", pr.CloudregionID, pr.SyncStatus, pr.LastSyncResult)
			}
		}

		// Delete: refused while enabled, accepted after disable, then gone.
		if _, err := e.inv.Delete(ctx, a.ID, ""); !errs.Is(err, errs.Conflict) {
			t.Fatalf("delete enabled: %v", err)
		}
		if _, err := e.inv.SetEnabled(ctx, a.ID, false); err != nil {
			t.Fatal(err)
		}
		dt, err := e.inv.Delete(ctx, a.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		e.waitTask(t, dt.ID)
		if _, err := e.inv.Get(ctx, a.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("after delete: %v", err)
		}
		left, _ := e.inv.ListResources(ctx, inventory.SystemScope, inventory.KindServer, inventory.ResourceFilter{WithDeleted: true}, listing.Params{Limit: 5})
		if left.Total != 0 {
			t.Fatalf("%d servers left", left.Total)
		}
	})
}
