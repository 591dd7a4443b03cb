package bridgx_test

import (
	"bufio"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	aliyunsim "github.com/skyfold/skyfold/internal/sim/aliyun"
	"github.com/skyfold/skyfold/internal/store/storetest"
)

// KillTestEnv sets the size of the expand the kill test interrupts
// (default 1000).
const KillTestEnv = "SKYFOLD_KILL_TEST_INSTANCES"

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// skyfoldBinary builds cmd/skyfold once per test run.
func skyfoldBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "skyfold-bridgx-bin")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "skyfold")
		out, err := exec.Command("go", "build", "-o", binary, "github.com/skyfold/skyfold/cmd/skyfold").CombinedOutput()
		if err != nil {
			buildErr = err
			binary = string(out)
		}
	})
	if buildErr != nil {
		t.Fatalf("build skyfold: %v\n%s", buildErr, binary)
	}
	return binary
}

// server is one `skyfold serve` process.
type server struct {
	cmd  *exec.Cmd
	url  string
	done chan struct{}
	mu   sync.Mutex
	logs strings.Builder
}

func startServer(t *testing.T, bin string, env []string, args ...string) *server {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--listen", "127.0.0.1:0", "--log-level", "info"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, done: make(chan struct{})}
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.logs.WriteString(line + "\n")
			s.mu.Unlock()
			var m map[string]any
			if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "skyfold listening" {
				urlc <- m["url"].(string)
			}
		}
		_ = cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(s.kill)
	select {
	case s.url = <-urlc:
	case <-s.done:
		t.Fatalf("server exited:\n%s", s.Logs())
	case <-time.After(60 * time.Second):
		t.Fatalf("server did not start:\n%s", s.Logs())
	}
	return s
}

func (s *server) Logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.String()
}

func (s *server) kill() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGKILL)
		<-s.done
	}
}

func login(t *testing.T, base string) *client {
	t.Helper()
	c := &client{t: t, base: base}
	st, tok := c.call("POST", "/v3/auth/tokens", nil, map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{
			"user": map[string]any{"name": "admin", "domain": map[string]any{"name": "Default"}, "password": adminPassword}}},
		"scope": map[string]any{"project": map[string]any{"name": "system", "domain": map[string]any{"name": "Default"}}},
	}})
	if st != http.StatusCreated {
		t.Fatalf("token: %d %v", st, tok)
	}
	c.token = tok["__token"].(string)
	return c
}

// TestKillDuringExpand SIGKILLs Skyfold while an expand of 1000 instances
// is creating them, starts it again on the same store, and checks that the
// task finishes with exactly the instances asked for, all running, and that
// the simulator holds no instance Skyfold does not know.
func TestKillDuringExpand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	size := 1000
	if v := os.Getenv(KillTestEnv); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q", KillTestEnv, v)
		}
		size = n
	}
	bin := skyfoldBinary(t)
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			sim, err := aliyunsim.New(aliyunsim.Config{Accounts: []aliyunsim.Account{{AccessKeyID: simKey, AccessKeySecret: simSecret,
				AccountID: simAccountID, Name: "bridgx"}}, Latency: 300 * time.Millisecond, RateLimit: 20, StateDelay: time.Second,
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				t.Fatal(err)
			}
			hs := httptest.NewServer(sim.Handler())
			t.Cleanup(func() { hs.Close(); _ = sim.Close() })

			dir := t.TempDir()
			args := []string{"--data-dir", dir, "--db", storetest.NewDSN(t, kind), "--task-lease", "2s"}
			env := []string{"SKYFOLD_ADMIN_PASSWORD=" + adminPassword, "SKYFOLD_RATE_LIMIT=off"}
			p1 := startServer(t, bin, append(env, "SKYFOLD_WORKER_ID=first"), args...)
			c := login(t, p1.url)
			st, acct := c.call("POST", "/api/v2/cloudaccounts", nil, map[string]any{"name": "bridgx", "provider": "Aliyun", "access_url": hs.URL,
				"access_key_id": simKey, "access_key_secret": simSecret, "enabled": true,
				"sub_accounts": map[string]any{"cloudregions": []map[string]any{{"id": "Aliyun/cn-qingdao"}}}})
			if st != http.StatusOK {
				t.Fatalf("connect account: %d %v", st, acct)
			}
			vpc := c.ok("POST", "/api/v1/network_config/create", nil, map[string]any{"provider": "AlibabaCloud", "region_id": "cn-qingdao",
				"cidr_block": "10.0.0.0/8", "vpc_name": "kill", "zone_id": "cn-qingdao-b", "switch_cidr_block": "10.0.0.0/16",
				"switch_name": "kill", "security_group_name": "kill", "ak": simKey}).(string)
			w := &world{c: c}
			sw := w.subnetOf(t, vpc, "10.0.0.0/16")
			sg := c.ok("GET", "/api/v1/security_group/describe", url.Values{"vpc_id": {vpc}}, nil).(map[string]any)["Groups"].([]any)[0].(map[string]any)["SecurityGroupId"]
			c.ok("POST", "/api/v1/cluster/create", nil, map[string]any{"name": "kill", "provider": "AlibabaCloud", "account_key": simKey,
				"region_id": "cn-qingdao", "zone_id": "cn-qingdao-b", "instance_type": "ecs.s6-c1m1.small",
				"image": "centos_7_6_x64_20G_alibase_20211030.vhd", "password": "ASDqwe123",
				"network_config": map[string]any{"vpc": vpc, "subnet_id": sw, "security_group": sg},
				"disks":          map[string]any{"system_disk": map[string]any{"category": "cloud_efficiency", "size": 40}}})
			tid := string(c.ok("POST", "/api/v1/cluster/expand", nil, map[string]any{"cluster_name": "kill", "task_name": "big", "count": size}).(json.Number))

			// Kill as soon as the first batch is recorded: others are in flight.
			deadline := time.Now().Add(60 * time.Second)
			for {
				d := c.ok("GET", "/api/v1/task/info/"+tid, nil, nil).(map[string]any)
				done := 0
				for _, b := range d["batches"].([]any) {
					if b.(map[string]any)["status"] == "done" {
						done++
					}
				}
				if done > 0 {
					t.Logf("killing the server: %d of %d batches recorded, %d instances on the cloud", done, len(d["batches"].([]any)),
						sim.Status().Accounts[0].Counts["instances"])
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no batch recorded: %v", d)
				}
				time.Sleep(20 * time.Millisecond)
			}
			p1.kill()

			p2 := startServer(t, bin, append(env, "SKYFOLD_WORKER_ID=second"), args...)
			c = login(t, p2.url)
			w = &world{c: c}
			task := w.waitTask(t, tid, 5*time.Minute)
			if task["status"] != "SUCCESS" || task["success_num"] != json.Number(strconv.Itoa(size)) {
				t.Fatalf("after restart: %v\n%s", task, p2.Logs())
			}
			resumed := false
			for _, l := range task["logs"].([]any) {
				resumed = resumed || strings.Contains(l.(map[string]any)["message"].(string), "resuming")
			}
			if !resumed {
				t.Errorf("the log does not show the task resuming: %v", task["logs"])
			}
			// Exactly size instances on the cloud, each known to Skyfold as running.
			if n := sim.Status().Accounts[0].Counts["instances"]; n != size {
				t.Fatalf("the simulator holds %d instances, want %d", n, size)
			}
			known := map[string]bool{}
			for page := 1; ; page++ {
				data := c.ok("GET", "/api/v1/instance/describe_all", url.Values{"cluster_name": {"kill"}, "status": {"running"},
					"page_number": {strconv.Itoa(page)}, "page_size": {"50"}}, nil).(map[string]any)
				items := data["instance_list"].([]any)
				for _, it := range items {
					known[it.(map[string]any)["instance_id"].(string)] = true
				}
				if len(items) < 50 {
					break
				}
			}
			if len(known) != size {
				t.Fatalf("Skyfold knows %d running instances, want %d", len(known), size)
			}
			var orphans []string
			for _, id := range simInstanceIDs(t, hs.URL) {
				if !known[id] {
					orphans = append(orphans, id)
				}
			}
			if len(orphans) > 0 {
				t.Fatalf("%d orphans on the cloud: %v", len(orphans), orphans[:min(len(orphans), 5)])
			}
		})
	}
}

// simInstanceIDs lists every instance the simulator holds in cn-qingdao,
// through its admin API.
func simInstanceIDs(t *testing.T, base string) []string {
	t.Helper()
	resp, err := http.Get(base + "/_sim/state/instances?region=cn-qingdao&limit=1000000")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Total int `json:"total"`
		Items []struct {
			ID string `json:"ID"`
		} `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("sim state: %v", err)
	}
	ids := make([]string, 0, len(out.Items))
	for _, in := range out.Items {
		ids = append(ids, in.ID)
	}
	if len(ids) != out.Total {
		t.Fatalf("sim state listed %d of %d instances", len(ids), out.Total)
	}
	return ids
}
