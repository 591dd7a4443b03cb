package app_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/app"
	"github.com/skyfold/skyfold/internal/config"
	starvcentersim "github.com/skyfold/skyfold/internal/sim/starvcenter"
	"github.com/skyfold/skyfold/internal/store/storetest"
)

const starvToken = "EXAMPLE-starvcenter-e2e-token"

// starvSim starts a StarVCenter simulator with one populated tenant and
// returns its URL and the tenant id.
func starvSim(t *testing.T) (string, string) {
	t.Helper()
	sim, err := starvcentersim.New(starvcentersim.Config{Tokens: []string{starvToken}, Seed: 3,
		TaskDuration: 1200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Populate(starvcentersim.PopulateOptions{Tenants: 1, VMsPerTenant: 3}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(func() { srv.Close(); sim.Close() })
	for _, tn := range sim.Status().Tenants {
		if slices.Contains(tn.Tokens, starvToken) {
			return srv.URL, tn.ID
		}
	}
	t.Fatal("the token's tenant is not in the simulator's status")
	return "", ""
}

// startAppUnlimited is startApp without the API rate limit: following
// tasks by polling makes more calls than a token may make in a minute.
func startAppUnlimited(t *testing.T, kind string) *client {
	t.Helper()
	t.Setenv("SKYFOLD_ADMIN_PASSWORD", adminPassword)
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.DB = storetest.NewDSN(t, kind)
	cfg.Listen = "127.0.0.1:0"
	cfg.TaskLease = 2 * time.Second
	cfg.RateLimit = "off"
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Listen(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		a.Close()
	})
	c := &client{t: t, base: "http://" + a.Addr()}
	tok := c.must("POST", "/v3/auth/tokens", map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{
			"user": map[string]any{"name": "admin", "domain": map[string]any{"name": "Default"}, "password": adminPassword}}},
		"scope": map[string]any{"project": map[string]any{"name": "system", "domain": map[string]any{"name": "Default"}}},
	}}, http.StatusCreated)
	c.token = tok["__token"].(string)
	return c
}

// waitTask polls a task until it ends and returns it with its log lines.
func (c *client) waitTask(id string) (map[string]any, []string) {
	c.t.Helper()
	var tk map[string]any
	poll(c.t, "task "+id, 90*time.Second, func() bool {
		tk = c.must("GET", "/api/v2/tasks/"+id, nil, 200)
		switch tk["status"] {
		case "success", "failed", "cancelled", "timeout", "aborted", "lost":
			return true
		}
		return false
	})
	var lines []string
	for _, l := range c.must("GET", "/api/v2/tasks/"+id+"/logs", nil, 200)["logs"].([]any) {
		lines = append(lines, l.(map[string]any)["message"].(string))
	}
	return tk, lines
}

// cloudProgress matches a StarVCenter task-log progress line in a Skyfold
// task's log, e.g. "StarVCenter task 100023 启动云主机 web-1: 执行中 (40%)".
var cloudProgress = regexp.MustCompile(`^StarVCenter task \d+ .*\(\d{1,3}%\)`)

// runOp starts a server operation, waits for its task and checks the task
// succeeded with the StarVCenter task's progress in its log.
func (c *client) runOp(serverID, op string, body any) map[string]any {
	c.t.Helper()
	resp := c.must("POST", "/api/v2/servers/"+serverID+"/"+op, body, 200)
	tid, _ := resp["task_id"].(string)
	if tid == "" || resp["task_type"] != "server."+op {
		c.t.Fatalf("%s: no task in %v", op, resp)
	}
	tk, lines := c.waitTask(tid)
	if tk["status"] != "success" {
		c.t.Fatalf("%s: task %s: %v\n%s", op, tk["status"], tk["error"], strings.Join(lines, "\n"))
	}
	progress := 0
	for _, l := range lines {
		if cloudProgress.MatchString(l) {
			progress++
		}
	}
	if progress == 0 {
		c.t.Fatalf("%s: no StarVCenter progress in the task log:\n%s", op, strings.Join(lines, "\n"))
	}
	if !slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, "(100%)") }) {
		c.t.Fatalf("%s: the StarVCenter task's end is not in the log:\n%s", op, strings.Join(lines, "\n"))
	}
	c.t.Logf("%s: %d log lines, %d StarVCenter progress lines", op, len(lines), progress)
	return tk
}

func items(m map[string]any, key string) []map[string]any {
	var out []map[string]any
	for _, x := range m[key].([]any) {
		out = append(out, x.(map[string]any))
	}
	return out
}

// TestStarVCenterThroughSkyfold connects a StarVCenter tenant as a cloud
// account through /api/v2, checks what the sync brings (servers, disks,
// snapshots, backups, security groups, hosts, storages) and the tenant's
// quota, then runs a VM's life through /api/v2: create, stop, start,
// snapshot, resize, stop, restore (snapshot and backup), delete — each a
// task whose log shows the StarVCenter task's progress. An Aliyun account
// shows that the generic operations are the SPI's and the private ones
// answer 501.
func TestStarVCenterThroughSkyfold(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			simURL, tenantID := starvSim(t)
			c := startAppUnlimited(t, kind)

			// The connection test, then the account.
			body := map[string]any{"name": "starv-tenant", "provider": "StarVCenter", "access_url": simURL,
				"access_key_id": tenantID, "access_key_secret": starvToken, "dry_run": true}
			dry := c.must("POST", "/api/v2/cloudaccounts", body, 200)
			if dry["account_id"] != tenantID || dry["provider"] != "StarVCenter" {
				t.Fatalf("dry run: account_id %v provider %v", dry["account_id"], dry["provider"])
			}
			bad := map[string]any{}
			for k, v := range body {
				bad[k] = v
			}
			bad["access_key_secret"] = "EXAMPLE-wrong-token"
			if st, m := c.do("POST", "/api/v2/cloudaccounts", bad); st != 400 {
				t.Fatalf("wrong token: %d %v", st, m)
			}
			delete(body, "dry_run")
			acct := c.must("POST", "/api/v2/cloudaccounts", body, 200)
			aid := acct["id"].(string)
			var a map[string]any
			poll(t, "first sync", 60*time.Second, func() bool {
				a = c.must("GET", "/api/v2/cloudaccounts/"+aid+"?show_fail_reason=true", nil, 200)
				return a["sync_status"] == "idle" && a["status"] == "connected"
			})
			if a["guest_count"].(float64) != 3 || a["host_count"].(float64) < 3 || a["storage_count"].(float64) != 3 {
				t.Fatalf("counts after sync: guests %v hosts %v storages %v (%v)", a["guest_count"], a["host_count"], a["storage_count"], a["fail_reason"])
			}
			project := a["tenant_id"].(string)
			for _, coll := range []string{"servers", "disks", "networks", "vpcs", "secgroups", "snapshots", "instancebackups", "hosts", "storages"} {
				m := c.must("GET", "/api/v2/"+coll+"?cloudaccount="+aid+"&details=true", nil, 200)
				if m["total"].(float64) < 1 {
					t.Fatalf("%s: none synced", coll)
				}
				for _, it := range items(m, coll) {
					if it["project_id"] != project || it["provider"] != "StarVCenter" {
						t.Fatalf("%s %v: project %v provider %v, want the account's project %s", coll, it["name"], it["project_id"], it["provider"], project)
					}
				}
			}
			host := items(c.must("GET", "/api/v2/hosts?cloudaccount="+aid+"&details=true", nil, 200), "hosts")[0]
			if host["cpu_cores"] == nil || host["status"] != "running" {
				t.Fatalf("host: %v", host)
			}

			// The tenant's quota, per account and per project.
			q := c.must("GET", "/api/v2/cloudaccounts/"+aid+"/quota", nil, 200)
			if q["cloud_tenant_id"] != tenantID || q["project_id"] != project || q["cpu"].(float64) <= 0 || q["usage.cpu"].(float64) <= 0 {
				t.Fatalf("quota: %v", q)
			}
			pq := c.must("GET", "/api/v2/project_quotas?project_id="+project, nil, 200)
			if pq["total"].(float64) != 1 {
				t.Fatalf("project quotas: %v", pq)
			}
			usedCPU := q["usage.cpu"].(float64)

			// Create a VM through /api/v2 (the SPI's CreateInstances).
			network := items(c.must("GET", "/api/v2/networks?cloudaccount="+aid, nil, 200), "networks")[0]["id"].(string)
			created := c.must("POST", "/api/v2/servers", map[string]any{"name": "e2e-vm", "network": network,
				"vcpu_count": 1, "vmem_size": "1G", "password": "EXAMPLE-pass-1"}, 200)
			sid := created["id"].(string)
			if created["status"] != "creating" {
				t.Fatalf("created: %v", created["status"])
			}
			if st, _ := c.do("POST", "/api/v2/servers/"+sid+"/stop", nil); st != 409 {
				t.Fatalf("an operation on a server being created: %d, want 409", st)
			}
			tk, lines := c.waitTask(created["task_id"].(string))
			if tk["status"] != "success" || !slices.ContainsFunc(lines, cloudProgress.MatchString) {
				t.Fatalf("create: %v %v\n%s", tk["status"], tk["error"], strings.Join(lines, "\n"))
			}
			srv := c.must("GET", "/api/v2/servers/"+sid+"?details=true", nil, 200)
			if srv["status"] != "running" || srv["name"] != "e2e-vm" || strings.HasPrefix(srv["external_id"].(string), "creating:") ||
				srv["vcpu_count"].(float64) != 1 || srv["vmem_size"].(float64) != 1024 {
				t.Fatalf("created server: %v %v %v %v/%v", srv["status"], srv["name"], srv["external_id"], srv["vcpu_count"], srv["vmem_size"])
			}
			ext := srv["external_id"].(string)
			if m := c.must("GET", "/api/v2/disks?cloudaccount="+aid+"&details=true", nil, 200); !slices.ContainsFunc(items(m, "disks"),
				func(d map[string]any) bool { return d["instance_id"] == ext }) {
				t.Fatal("the new server's disks are not in the inventory")
			}

			// Its life, each step a task.
			c.runOp(sid, "stop", nil)
			if st := c.must("GET", "/api/v2/servers/"+sid, nil, 200)["status"]; st != "stopped" {
				t.Fatalf("after stop: %v", st)
			}
			resp := c.must("POST", "/api/v2/servers/"+sid+"/start", nil, 200)
			if resp["status"] != "starting" {
				t.Fatalf("while starting: %v", resp["status"])
			}
			if st, _ := c.do("POST", "/api/v2/servers/"+sid+"/restart", nil); st != 409 {
				t.Fatalf("a second operation on a busy server: %d, want 409", st)
			}
			if tk, lines := c.waitTask(resp["task_id"].(string)); tk["status"] != "success" || !slices.ContainsFunc(lines, cloudProgress.MatchString) {
				t.Fatalf("start: %v\n%s", tk["status"], strings.Join(lines, "\n"))
			}
			if st := c.must("GET", "/api/v2/servers/"+sid, nil, 200)["status"]; st != "running" {
				t.Fatalf("after start: %v", st)
			}
			tk = c.runOp(sid, "set-password", map[string]any{"password": "EXAMPLE-new-pass-2"})
			if raw := fmt.Sprint(tk); strings.Contains(raw, "EXAMPLE-new-pass-2") {
				t.Fatalf("the password is in the task record: %s", raw)
			}
			tk = c.runOp(sid, "snapshot", map[string]any{"name": "e2e-snap"})
			snapExt := tk["result"].(map[string]any)["snapshot_external_id"].(string)
			snap := c.must("GET", "/api/v2/snapshots/"+snapExt, nil, 200)
			if snap["name"] != "e2e-snap" {
				t.Fatalf("snapshot: %v", snap)
			}
			c.runOp(sid, "change-config", map[string]any{"vcpu_count": 2, "vmem_size": 2048})
			srv = c.must("GET", "/api/v2/servers/"+sid, nil, 200)
			if srv["vcpu_count"].(float64) != 2 || srv["vmem_size"].(float64) != 2048 {
				t.Fatalf("after change-config: %v vCPUs %v MB", srv["vcpu_count"], srv["vmem_size"])
			}
			if q := c.must("GET", "/api/v2/cloudaccounts/"+aid+"/quota", nil, 200); q["usage.cpu"].(float64) != usedCPU+2 {
				t.Fatalf("quota usage: %v cores, want %v", q["usage.cpu"], usedCPU+2)
			}
			c.runOp(sid, "stop", map[string]any{"is_force": true})
			c.runOp(sid, "snapshot-restore", map[string]any{"instance_snapshot": snap["id"]})
			tk = c.runOp(sid, "backup", map[string]any{"name": "e2e-backup"})
			backupExt := tk["result"].(map[string]any)["backup_external_id"].(string)
			backup := c.must("GET", "/api/v2/instancebackups/"+backupExt+"?details=true", nil, 200)
			if backup["vm_id"] != ext || backup["status"] != "running" {
				t.Fatalf("backup: %v", backup)
			}
			c.runOp(sid, "backup-restore", map[string]any{"instance_backup": backupExt})
			tk = c.runOp(sid, "disk-add", map[string]any{"size_gb": 20})
			diskExt := tk["result"].(map[string]any)["disk_external_id"].(string)
			c.runOp(sid, "disk-extend", map[string]any{"disk": diskExt, "size": 30 * 1024})
			if d := c.must("GET", "/api/v2/disks/"+diskExt, nil, 200); d["disk_size"].(float64) != 30*1024 {
				t.Fatalf("extended disk: %v MB", d["disk_size"])
			}
			if st := c.must("GET", "/api/v2/servers/"+sid, nil, 200)["status"]; st != "stopped" {
				t.Fatalf("after restores: %v", st)
			}
			del := c.must("DELETE", "/api/v2/servers/"+sid, nil, 200)
			if tk, lines := c.waitTask(del["task_id"].(string)); tk["status"] != "success" || !slices.ContainsFunc(lines, cloudProgress.MatchString) {
				t.Fatalf("delete: %v %v\n%s", tk["status"], tk["error"], strings.Join(lines, "\n"))
			}
			if st, _ := c.do("GET", "/api/v2/servers/"+sid, nil); st != 404 {
				t.Fatalf("deleted server: %d", st)
			}
			for _, coll := range []string{"snapshots", "instancebackups"} {
				if st, _ := c.do("GET", "/api/v2/"+coll+"/"+map[string]string{"snapshots": snapExt, "instancebackups": backupExt}[coll], nil); st != 404 {
					t.Fatalf("%s of the deleted server: %d", coll, st)
				}
			}
			// A full sync agrees with what the tasks wrote.
			sync := c.must("POST", "/api/v2/cloudaccounts/"+aid+"/sync", nil, 200)
			if tk, _ := c.waitTask(sync["task_id"].(string)); tk["status"] != "success" {
				t.Fatalf("sync: %v", tk)
			}
			if m := c.must("GET", "/api/v2/servers?cloudaccount="+aid, nil, 200); m["total"].(float64) != 3 {
				t.Fatalf("servers after the life cycle: %v", m["total"])
			}

			// Another provider: generic operations run, private ones are 501.
			aliURL := simServer(t, 2)
			ali := c.must("POST", "/api/v2/cloudaccounts", map[string]any{"name": "ali", "provider": "Aliyun", "access_url": aliURL,
				"access_key_id": "LTAI5tEXAMPLEKEYID00001", "access_key_secret": "EXAMPLEsecretEXAMPLEsecret0001",
				"sub_accounts": map[string]any{"cloudregions": []map[string]any{{"id": "Aliyun/cn-beijing"}}}}, 200)
			poll(t, "aliyun sync", 60*time.Second, func() bool {
				return c.must("GET", "/api/v2/cloudaccounts/"+ali["id"].(string), nil, 200)["sync_status"] == "idle"
			})
			aliSrv := items(c.must("GET", "/api/v2/servers?cloudaccount="+ali["id"].(string)+"&status=running", nil, 200), "servers")[0]["id"].(string)
			for _, op := range []string{"backup", "snapshot-restore", "vnc"} {
				st, m := c.do("POST", "/api/v2/servers/"+aliSrv+"/"+op, map[string]any{"instance_snapshot": snapExt})
				if st != http.StatusNotImplemented || !strings.Contains(fmt.Sprint(m), "NotImplementedError") {
					t.Fatalf("aliyun %s: %d %v", op, st, m)
				}
			}
			if st, _ := c.do("GET", "/api/v2/cloudaccounts/"+ali["id"].(string)+"/quota", nil); st != http.StatusNotImplemented {
				t.Fatalf("aliyun quota: %d", st)
			}
			resp = c.must("POST", "/api/v2/servers/"+aliSrv+"/stop", nil, 200)
			if tk, _ := c.waitTask(resp["task_id"].(string)); tk["status"] != "success" {
				t.Fatalf("aliyun stop: %v %v", tk["status"], tk["error"])
			}
			if st := c.must("GET", "/api/v2/servers/"+aliSrv, nil, 200)["status"]; st != "stopped" {
				t.Fatalf("aliyun after stop: %v", st)
			}
		})
	}
}
