package main_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/store/storetest"
)

var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "skyfold-bin")
	if err != nil {
		panic(err)
	}
	binPath = filepath.Join(dir, "skyfold")
	out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build skyfold: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is one `skyfold serve` process.
type proc struct {
	cmd  *exec.Cmd
	url  string
	mu   sync.Mutex
	logs strings.Builder
	done chan struct{}
}

func (p *proc) Logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

// serve starts a server on a free port and waits until it listens.
func serve(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	args = append([]string{"serve", "--listen", "127.0.0.1:0", "--log-level", "info", "--rate-limit", "off"}, args...)
	cmd := exec.Command(binPath, args...)
	cmd.Env = append(append(os.Environ(), "SKYFOLD_ADMIN_PASSWORD="+testAdminPassword), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.logs.WriteString(line + "\n")
			p.mu.Unlock()
			var m map[string]any
			if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "skyfold listening" {
				urlc <- m["url"].(string)
			}
		}
		_ = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.kill() })
	select {
	case p.url = <-urlc:
	case <-p.done:
		t.Fatalf("server exited:\n%s", p.Logs())
	case <-time.After(60 * time.Second):
		t.Fatalf("server did not start:\n%s", p.Logs())
	}
	return p
}

func (p *proc) kill() {
	if p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
	}
}

const testAdminPassword = "Process-test-admin-1"

var (
	tokenMu sync.Mutex
	tokens  = map[string]string{}
)

// tokenFor logs in as admin on the server at base (cached per server).
func tokenFor(t *testing.T, base string) string {
	t.Helper()
	tokenMu.Lock()
	defer tokenMu.Unlock()
	if tok, ok := tokens[base]; ok {
		return tok
	}
	body := `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"name":"Default"},"password":"` +
		testAdminPassword + `"}}},"scope":{"project":{"name":"system","domain":{"name":"Default"}}}}}`
	resp, err := http.Post(base+"/v3/auth/tokens", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	resp.Body.Close()
	tok := resp.Header.Get("X-Subject-Token")
	if resp.StatusCode != http.StatusCreated || tok == "" {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	tokens[base] = tok
	return tok
}

// baseOf is the scheme://host part of a URL.
func baseOf(u string) string {
	if i := strings.Index(u[len("http://"):], "/"); i >= 0 {
		return u[:len("http://")+i]
	}
	return u
}

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if !strings.HasSuffix(url, "/healthz") {
		req.Header.Set("X-Auth-Token", tokenFor(t, baseOf(url)))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if v != nil {
		_ = json.NewDecoder(resp.Body).Decode(v)
	}
	return resp.StatusCode
}

func run(t *testing.T, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(binPath, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("skyfold %v: %v\n%s", args, err, msg)
	}
	return strings.TrimSpace(string(out))
}

type taskView struct {
	ID        string          `json:"id"`
	Status    string          `json:"status"`
	Stage     int             `json:"stage"`
	Worker    string          `json:"worker"`
	Result    json.RawMessage `json:"result"`
	StageName string          `json:"stage_name"`
}

func waitTask(t *testing.T, url, id string, within time.Duration, ok func(taskView) bool) taskView {
	t.Helper()
	deadline := time.Now().Add(within)
	var tv taskView
	for time.Now().Before(deadline) {
		if getJSON(t, url+"/api/v2/tasks/"+id, &tv) == 200 && ok(tv) {
			return tv
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("task %s never reached the wanted state; last %+v", id, tv)
	return tv
}

func TestServeAnswersProbes(t *testing.T) {
	dir := t.TempDir()
	p := serve(t, nil, "--data-dir", dir)
	for _, path := range []string{"/healthz", "/readyz", "/openapi.json", "/openapi.yaml", "/docs", "/metrics"} {
		resp, err := http.Get(p.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
	}
	var spec map[string]any
	getJSON(t, p.url+"/openapi.json", &spec)
	if !strings.HasPrefix(fmt.Sprint(spec["openapi"]), "3.1") {
		t.Fatalf("openapi version %v", spec["openapi"])
	}
	if fi, err := os.Stat(filepath.Join(dir, "master.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("master key file: %v %v", fi, err)
	}
	// SIGTERM drains and exits cleanly.
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
	if p.cmd.ProcessState.ExitCode() != 0 {
		t.Fatalf("exit code %d:\n%s", p.cmd.ProcessState.ExitCode(), p.Logs())
	}
}

// TestKillDuringTaskResumes SIGKILLs the server in the middle of a multi-stage
// task; after a restart the task resumes at the first unfinished stage and
// completes, on each store.
func TestKillDuringTaskResumes(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			dsn := storetest.NewDSN(t, kind)
			common := []string{"--data-dir", dir, "--db", dsn, "--task-lease", "2s"}
			p1 := serve(t, []string{"SKYFOLD_WORKER_ID=first"}, common...)
			id := run(t, nil, append([]string{"admin", "probe-task", "--stages", "6", "--stage-ms", "600"}, common...)...)
			waitTask(t, p1.url, id, 30*time.Second, func(tv taskView) bool { return tv.Stage >= 2 && tv.Status == "running" })
			p1.kill()

			p2 := serve(t, []string{"SKYFOLD_WORKER_ID=second"}, common...)
			tv := waitTask(t, p2.url, id, 60*time.Second, func(tv taskView) bool { return tv.Status == "success" })
			var res struct {
				Done []string `json:"done"`
			}
			if err := json.Unmarshal(tv.Result, &res); err != nil {
				t.Fatal(err)
			}
			if len(res.Done) != 6 {
				t.Fatalf("steps done %v", res.Done)
			}
			first, second := 0, 0
			for i, d := range res.Done {
				if !strings.HasPrefix(d, fmt.Sprintf("step-%d@", i+1)) {
					t.Fatalf("steps out of order: %v", res.Done)
				}
				if strings.HasSuffix(d, "@first") {
					first++
				} else if strings.HasSuffix(d, "@second") {
					second++
				}
			}
			if first < 2 || second < 1 || first+second != 6 {
				t.Fatalf("steps by first %d, by second %d: %v", first, second, res.Done)
			}
			var logs struct {
				Logs []struct{ Message string } `json:"logs"`
			}
			getJSON(t, p2.url+"/api/v2/tasks/"+id+"/logs", &logs)
			joined := ""
			for _, l := range logs.Logs {
				joined += l.Message + "\n"
			}
			if !strings.Contains(joined, "resuming at stage") {
				t.Fatalf("log does not show the resume:\n%s", joined)
			}
		})
	}
}

// TestTwoProcessesShareTasks runs two servers on one PostgreSQL: both take
// tasks from the shared queue; one is killed and the other finishes its work.
func TestTwoProcessesShareTasks(t *testing.T) {
	if os.Getenv(storetest.PostgresEnv) == "" {
		t.Skipf("needs PostgreSQL: set %s", storetest.PostgresEnv)
	}
	dsn := storetest.NewDSN(t, "postgres")
	dir := t.TempDir()
	common := []string{"--data-dir", dir, "--db", dsn, "--task-lease", "2s", "--workers", "3"}
	a := serve(t, []string{"SKYFOLD_WORKER_ID=alpha"}, common...)
	b := serve(t, []string{"SKYFOLD_WORKER_ID=beta"}, common...)
	var ids []string
	for i := 0; i < 8; i++ {
		ids = append(ids, run(t, nil, append([]string{"admin", "probe-task", "--stages", "4", "--stage-ms", "700"}, common...)...))
	}
	// Wait until both processes are working on tasks.
	deadline := time.Now().Add(40 * time.Second)
	onAlpha := map[string]bool{}
	for {
		workers := map[string]bool{}
		clear(onAlpha)
		for _, id := range ids {
			var tv taskView
			getJSON(t, b.url+"/api/v2/tasks/"+id, &tv)
			if tv.Status == "running" {
				workers[tv.Worker] = true
				if tv.Worker == "alpha" {
					onAlpha[id] = true
				}
			}
		}
		if workers["alpha"] && workers["beta"] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("work did not spread across both processes: %v\nalpha:\n%s", workers, a.Logs())
		}
		time.Sleep(100 * time.Millisecond)
	}
	a.kill()
	byAlphaThenBeta := 0
	for _, id := range ids {
		tv := waitTask(t, b.url, id, 90*time.Second, func(tv taskView) bool { return tv.Status == "success" })
		var res struct {
			Done []string `json:"done"`
		}
		_ = json.Unmarshal(tv.Result, &res)
		if len(res.Done) != 4 {
			t.Fatalf("task %s steps %v", id, res.Done)
		}
		if onAlpha[id] {
			if !strings.HasSuffix(res.Done[3], "@beta") {
				t.Fatalf("task %s was running on the killed process but finished as %v", id, res.Done)
			}
			byAlphaThenBeta++
		}
	}
	if byAlphaThenBeta == 0 {
		t.Fatal("no task was started by the killed process and finished by the survivor")
	}
}
