package main_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runIn runs the binary with extra environment and stdin, and returns
// stdout, stderr and whether it succeeded.
func runIn(t *testing.T, env []string, stdin string, args ...string) (string, string, bool) {
	t.Helper()
	cmd := exec.Command(binPath, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err == nil
}

// TestLoginAndClient: skyfold login keeps a token in the user's config
// directory with mode 0600; skyfold client uses it for the generic verbs and
// the identity commands; skyfold logout revokes it.
func TestLoginAndClient(t *testing.T) {
	dir := t.TempDir()
	p := serve(t, []string{"SKYFOLD_ADMIN_PASSWORD=first-admin-pw", "SKYFOLD_RATE_LIMIT=off"}, "--data-dir", dir)
	cfg := t.TempDir()
	env := []string{"XDG_CONFIG_HOME=" + cfg, "SKYFOLD_URL=" + p.url, "SKYFOLD_CREDENTIALS=", "SKYFOLD_TOKEN=", "SKYFOLD_PASSWORD="}

	if _, stderr, ok := runIn(t, env, "wrong\n", "login", "--user", "admin", "--password-stdin"); ok || !strings.Contains(stderr, "HTTP 401") {
		t.Fatalf("a wrong password must fail with 401: %s", stderr)
	}
	out, stderr, ok := runIn(t, env, "first-admin-pw\n", "login", "--user", "admin", "--password-stdin", "--system")
	if !ok || !strings.Contains(out, "logged in") || !strings.Contains(out, "admin") {
		t.Fatalf("login: %s %s", out, stderr)
	}
	file := filepath.Join(cfg, "skyfold", "credentials.json")
	fi, err := os.Stat(file)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v %v", fi, err)
	}
	raw, _ := os.ReadFile(file)
	if strings.Contains(string(raw), "first-admin-pw") {
		t.Fatal("the password was stored")
	}
	var cr map[string]any
	if err := json.Unmarshal(raw, &cr); err != nil || cr["token"] == "" || cr["scope"] != "system" {
		t.Fatalf("credentials: %s", raw)
	}

	must := func(stdin string, args ...string) string {
		t.Helper()
		out, stderr, ok := runIn(t, env, stdin, args...)
		if !ok {
			t.Fatalf("skyfold %v: %s %s", args, out, stderr)
		}
		return out
	}
	if out := must("", "client", "whoami"); !strings.Contains(out, "scope:   system") || !strings.Contains(out, "admin") {
		t.Fatalf("whoami: %s", out)
	}
	must("", "client", "domain", "create", "acme")
	must("", "client", "project", "create", "web", "--domain", "acme")
	must("pw-alice\n", "client", "user", "create", "alice", "--domain", "acme", "--password-stdin")
	must("", "client", "role", "add", "member", "--user", "alice", "--user-domain", "acme", "--project", "web", "--project-domain", "acme")
	if out := must("", "client", "project", "list", "--domain", "acme"); !strings.Contains(out, "web") {
		t.Fatalf("project list: %s", out)
	}
	if out := must("", "client", "assignment", "list", "--effective"); !strings.Contains(out, "member") || !strings.Contains(out, "alice") {
		t.Fatalf("assignments: %s", out)
	}
	// The generic verbs reach any path of any face.
	if out := must("", "client", "get", "/api/v2/tasks?scope=system"); !strings.Contains(out, `"tasks"`) {
		t.Fatalf("client get tasks: %s", out)
	}
	if out := must("", "client", "post", "/v3/groups", "-d", `{"group":{"name":"ops","domain_id":"default"}}`); !strings.Contains(out, `"ops"`) {
		t.Fatalf("client post: %s", out)
	}
	if _, stderr, ok := runIn(t, env, "", "client", "get", "/v3/projects/nope"); ok || !strings.Contains(stderr, "HTTP 404") {
		t.Fatalf("a 404 must fail the command: %s", stderr)
	}
	if out := must("", "client", "audit", "list"); !strings.Contains(out, "projects") {
		t.Fatalf("audit: %s", out)
	}

	// alice logs in to her project: she sees it, and cannot create projects.
	aliceEnv := append(append([]string{}, env...), "SKYFOLD_CREDENTIALS="+filepath.Join(cfg, "alice.json"))
	if out, stderr, ok := runIn(t, aliceEnv, "pw-alice\n", "login", "--user", "alice", "--user-domain", "acme", "--project", "web", "--project-domain", "acme", "--password-stdin"); !ok {
		t.Fatalf("alice login: %s %s", out, stderr)
	}
	if _, stderr, ok := runIn(t, aliceEnv, "", "client", "project", "create", "mine", "--domain", "acme"); ok || !strings.Contains(stderr, "HTTP 403") {
		t.Fatalf("a member creating a project: %s", stderr)
	}

	// logout revokes the token server-side.
	must("", "logout")
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Fatal("credentials kept after logout")
	}
	if _, stderr, ok := runIn(t, append(env, "SKYFOLD_TOKEN="+cr["token"].(string)), "", "client", "get", "/v3/projects"); ok || !strings.Contains(stderr, "HTTP 401") {
		t.Fatalf("the logged-out token must be revoked: %s", stderr)
	}
	if _, stderr, ok := runIn(t, env, "", "client", "get", "/v3/projects"); ok || !strings.Contains(stderr, "not logged in") {
		t.Fatalf("after logout: %s", stderr)
	}
}

// TestGeneratedAdminPasswordIsPrintedOnce: without SKYFOLD_ADMIN_PASSWORD the
// first start prints a generated password once, outside the JSON log; it
// works; a restart does not print it again.
func TestGeneratedAdminPasswordIsPrintedOnce(t *testing.T) {
	dir := t.TempDir()
	p := serve(t, []string{"SKYFOLD_ADMIN_PASSWORD="}, "--data-dir", dir)
	logs := p.Logs()
	var pw string
	lines := strings.Split(logs, "\n")
	for i, l := range lines {
		if strings.Contains(l, "with this password") && i+2 < len(lines) {
			pw = strings.TrimSpace(lines[i+2])
		}
	}
	if pw == "" {
		t.Fatalf("no generated password on the console:\n%s", logs)
	}
	for _, l := range lines {
		if strings.HasPrefix(l, "{") && strings.Contains(l, pw) {
			t.Fatalf("the password reached the log: %s", l)
		}
	}
	cfg := t.TempDir()
	env := []string{"XDG_CONFIG_HOME=" + cfg, "SKYFOLD_URL=" + p.url, "SKYFOLD_CREDENTIALS=", "SKYFOLD_PASSWORD="}
	if out, stderr, ok := runIn(t, env, pw+"\n", "login", "--user", "admin", "--password-stdin"); !ok {
		t.Fatalf("login with the printed password: %s %s", out, stderr)
	}
	p.kill()
	p2 := serve(t, []string{"SKYFOLD_ADMIN_PASSWORD="}, "--data-dir", dir)
	if strings.Contains(p2.Logs(), pw) || strings.Contains(p2.Logs(), "with this password") {
		t.Fatal("the password was printed again on restart")
	}
}
