package main_test

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/store/storetest"
)

// passwordLogin asks the server at base for a project token as admin and
// returns the status and the token.
func passwordLogin(t *testing.T, base, password string) (int, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{"user": map[string]any{
			"name": "admin", "domain": map[string]string{"name": "Default"}, "password": password,
		}}},
		"scope": map[string]any{"project": map[string]any{"name": "system", "domain": map[string]string{"name": "Default"}}},
	}})
	resp, err := http.Post(base+"/v3/auth/tokens", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("X-Subject-Token")
}

// tokenStatus is the status a server answers when asked to validate tok
// with tok itself.
func tokenStatus(t *testing.T, base, tok string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/v3/auth/tokens", nil)
	req.Header.Set("X-Auth-Token", tok)
	req.Header.Set("X-Subject-Token", tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// runWithStdin runs the binary with stdin and returns its standard output.
func runWithStdin(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(binPath, args...)
	cmd.Env = os.Environ()
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("skyfold %v: %v\n%s", args, err, msg)
	}
	return string(out)
}

// TestResetPasswordRevokesTokens resets the admin password while a server
// runs: the tokens issued before are refused, the old password no longer
// logs in and the new one does.
func TestResetPasswordRevokesTokens(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			common := []string{"--data-dir", t.TempDir(), "--db", storetest.NewDSN(t, kind)}
			p := serve(t, nil, common...)
			common = append(common, "--log-level", "error")
			code, before := passwordLogin(t, p.url, testAdminPassword)
			if code != http.StatusCreated || tokenStatus(t, p.url, before) != http.StatusOK {
				t.Fatalf("login before the reset: %d", code)
			}

			out := run(t, nil, append([]string{"admin", "reset-password", "admin"}, common...)...)
			lines := strings.Split(out, "\n")
			if len(lines) < 2 || !strings.Contains(lines[0], "shown only this once") {
				t.Fatalf("output:\n%s", out)
			}
			generated := strings.TrimSpace(lines[1])
			if len(generated) < 16 || generated == testAdminPassword {
				t.Fatalf("generated password %q", generated)
			}

			// The running server reads revocations every 2s.
			deadline := time.Now().Add(15 * time.Second)
			for tokenStatus(t, p.url, before) != http.StatusUnauthorized {
				if time.Now().After(deadline) {
					t.Fatal("the token issued before the reset is still accepted")
				}
				time.Sleep(200 * time.Millisecond)
			}
			if code, _ := passwordLogin(t, p.url, testAdminPassword); code != http.StatusUnauthorized {
				t.Fatalf("old password after the reset: %d", code)
			}
			code, after := passwordLogin(t, p.url, generated)
			if code != http.StatusCreated || tokenStatus(t, p.url, after) != http.StatusOK {
				t.Fatalf("new password: %d", code)
			}

			chosen := "Chosen-by-the-operator-7"
			out = runWithStdin(t, chosen+"\n", append([]string{"admin", "reset-password", "admin", "--password-stdin"}, common...)...)
			if strings.Contains(out, chosen) {
				t.Fatalf("a chosen password is echoed:\n%s", out)
			}
			if code, _ := passwordLogin(t, p.url, chosen); code != http.StatusCreated {
				t.Fatalf("password from stdin: %d", code)
			}
			if code, _ := passwordLogin(t, p.url, generated); code != http.StatusUnauthorized {
				t.Fatalf("generated password after the second reset: %d", code)
			}
		})
	}
}

func TestResetPasswordRefusals(t *testing.T) {
	dir := t.TempDir()
	serve(t, nil, "--data-dir", dir).kill() // bootstraps the identity model
	for _, tc := range []struct {
		name, stdin string
		args        []string
		want        string
	}{
		{"unknown user", "", []string{"nobody"}, "Could not find user"},
		{"unknown domain", "", []string{"admin", "--domain", "nowhere"}, "Could not find domain"},
		{"empty stdin", "\n", []string{"admin", "--password-stdin"}, "empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(binPath, append(append([]string{"admin", "reset-password"}, tc.args...), "--data-dir", dir, "--log-level", "error")...)
			cmd.Env = append(os.Environ(), "SKYFOLD_ADMIN_PASSWORD=")
			cmd.Stdin = strings.NewReader(tc.stdin)
			out, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(out), tc.want) {
				t.Fatalf("want a failure naming %q, got %v:\n%s", tc.want, err, out)
			}
		})
	}
}

// TestUnlockClearsLockout locks admin out with failed logins on a running
// server and unlocks it from the command line.
func TestUnlockClearsLockout(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			common := []string{"--data-dir", t.TempDir(), "--db", storetest.NewDSN(t, kind)}
			p := serve(t, nil, append([]string{"--lockout-failures", "2", "--lockout-duration", "1h"}, common...)...)
			common = append(common, "--log-level", "error")
			for range 2 {
				if code, _ := passwordLogin(t, p.url, "wrong-password"); code != http.StatusUnauthorized {
					t.Fatalf("wrong password: %d", code)
				}
			}
			if code, _ := passwordLogin(t, p.url, testAdminPassword); code != http.StatusUnauthorized {
				t.Fatalf("not locked out after two failures: %d", code)
			}
			out := run(t, nil, append([]string{"admin", "unlock", "admin"}, common...)...)
			if !strings.Contains(out, "unlocked") {
				t.Fatalf("output %q", out)
			}
			if code, _ := passwordLogin(t, p.url, testAdminPassword); code != http.StatusCreated {
				t.Fatalf("after unlock: %d", code)
			}
		})
	}
}

// TestFirstStartBanner starts without SKYFOLD_ADMIN_PASSWORD: the generated
// password is shown once in a banner, with the login command, and never in a
// log line. A second start with the variable set says it is ignored.
func TestFirstStartBanner(t *testing.T) {
	dir := t.TempDir()
	p := serve(t, []string{"SKYFOLD_ADMIN_PASSWORD="}, "--data-dir", dir)
	var password string
	deadline := time.Now().Add(10 * time.Second)
	for password == "" {
		lines := strings.Split(p.Logs(), "\n")
		for i, l := range lines {
			if strings.Contains(l, "with this password:") && i+2 < len(lines) {
				password = strings.TrimSpace(lines[i+2])
			}
		}
		if password == "" && time.Now().After(deadline) {
			t.Fatalf("no banner:\n%s", p.Logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
	logs := p.Logs()
	if !strings.Contains(logs, " login --url "+p.url+" --user admin\n") {
		t.Fatalf("the banner does not give the login command for %s:\n%s", p.url, logs)
	}
	for _, l := range strings.Split(logs, "\n") {
		if strings.HasPrefix(l, "{") && strings.Contains(l, password) {
			t.Fatalf("the password is in a log line: %s", l)
		}
	}
	if code, _ := passwordLogin(t, p.url, password); code != http.StatusCreated {
		t.Fatalf("login with the banner's password: %d", code)
	}
	p.kill()

	again := serve(t, []string{"SKYFOLD_ADMIN_PASSWORD=Not-used-any-more-1"}, "--data-dir", dir)
	if !strings.Contains(again.Logs(), "SKYFOLD_ADMIN_PASSWORD is set but ignored") {
		t.Fatalf("no line says the variable is ignored:\n%s", again.Logs())
	}
	if strings.Contains(again.Logs(), "with this password:") {
		t.Fatal("the banner is shown again on the second start")
	}
	if code, _ := passwordLogin(t, again.url, "Not-used-any-more-1"); code != http.StatusUnauthorized {
		t.Fatalf("the ignored variable's password logs in: %d", code)
	}
}
