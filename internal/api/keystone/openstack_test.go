package keystone_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/store"
	"github.com/skyfold/skyfold/internal/store/storetest"
)

// osc runs python-openstackclient in interactive mode, one command a line
// (one Python start for many commands), and returns the JSON documents the
// commands printed and what they wrote to stderr.
func osc(t *testing.T, env []string, cmds ...string) ([]json.RawMessage, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "openstack")
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "LANG=C.UTF-8", "OS_IDENTITY_API_VERSION=3", "OS_INTERFACE=public"}, env...)
	cmd.Stdin = strings.NewReader(strings.Join(cmds, "\n") + "\n")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("openstack: %v\n%s", err, stderr.String())
	}
	var docs []json.RawMessage
	dec := json.NewDecoder(&stdout)
	for {
		var m json.RawMessage
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("openstack output is not JSON documents: %v\n%s", err, stdout.String())
		}
		docs = append(docs, m)
	}
	return docs, stderr.String()
}

func field(t *testing.T, doc json.RawMessage, key string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatalf("%s: %v", doc, err)
	}
	s, _ := m[key].(string)
	return s
}

func rows(t *testing.T, doc json.RawMessage) []map[string]any {
	t.Helper()
	var out []map[string]any
	if err := json.Unmarshal(doc, &out); err != nil {
		t.Fatalf("%s: %v", doc, err)
	}
	return out
}

// TestOpenStackClient drives the real OpenStack command-line client (Debian's
// python3-openstackclient) against Skyfold's /v3 over loopback: issue a
// token, create and list domains, projects, users and groups, add and list
// role assignments, use an application credential, revoke a token.
func TestOpenStackClient(t *testing.T) {
	if _, err := exec.LookPath("openstack"); err != nil {
		t.Skip("the openstack command is missing: apt-get install -y python3-openstackclient (.ci/run installs it)")
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := newHarness(t, st)
		srv := httptest.NewServer(h.h)
		defer srv.Close()
		authURL := "OS_AUTH_URL=" + srv.URL + "/v3"
		admin := []string{authURL, "OS_USERNAME=admin", "OS_PASSWORD=" + adminPW, "OS_PROJECT_NAME=system",
			"OS_USER_DOMAIN_NAME=Default", "OS_PROJECT_DOMAIN_NAME=Default"}

		docs, stderr := osc(t, admin,
			"token issue -f json",
			"domain create acme -f json",
			"project create --domain acme web -f json",
			"project create --domain acme web -f json", // a duplicate: 409
			"project list -f json",
			"user create --domain acme --password pw-alice alice -f json",
			"user list --domain acme -f json",
			"group create --domain acme ops -f json",
			"group add user --group-domain acme --user-domain acme ops alice",
			"role add --project web --project-domain acme --user alice --user-domain acme member",
			"role add --domain acme --group ops --group-domain acme --inherited reader",
			"role assignment list --user alice --user-domain acme --project web --project-domain acme --names -f json",
			"role assignment list --project web --project-domain acme --effective --names -f json",
			"catalog list -f json",
		)
		if len(docs) != 10 {
			t.Fatalf("want 10 JSON answers, got %d; stderr:\n%s", len(docs), stderr)
		}
		if !strings.Contains(stderr, "HTTP 409") || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Fatalf("only the duplicate project should fail, stderr:\n%s", stderr)
		}
		if field(t, docs[0], "id") == "" || field(t, docs[0], "project_id") == "" {
			t.Fatalf("token issue: %s", docs[0])
		}
		if field(t, docs[1], "name") != "acme" || field(t, docs[2], "name") != "web" {
			t.Fatalf("create: %s %s", docs[1], docs[2])
		}
		names := map[string]bool{}
		for _, r := range rows(t, docs[3]) {
			names[r["Name"].(string)] = true
		}
		if !names["web"] || !names["system"] {
			t.Fatalf("project list: %s", docs[3])
		}
		if field(t, docs[4], "name") != "alice" || len(rows(t, docs[5])) != 1 || field(t, docs[6], "name") != "ops" {
			t.Fatalf("users and groups: %s %s %s", docs[4], docs[5], docs[6])
		}
		ra := rows(t, docs[7])
		if len(ra) != 1 || ra[0]["Role"] != "member" || ra[0]["User"] != "alice@acme" || ra[0]["Project"] != "web@acme" {
			t.Fatalf("role assignment list: %s", docs[7])
		}
		eff := map[string]bool{}
		for _, r := range rows(t, docs[8]) {
			eff[r["Role"].(string)+" "+r["User"].(string)] = true
		}
		if !eff["member alice@acme"] || !eff["reader alice@acme"] {
			t.Fatalf("effective assignments (reader inherited through the group): %s", docs[8])
		}
		types := map[string]bool{}
		for _, r := range rows(t, docs[9]) {
			types[r["Type"].(string)] = true
		}
		if !types["identity"] || !types["rating"] {
			t.Fatalf("catalog: %s", docs[9])
		}

		// alice works in her project and makes an application credential.
		alice := []string{authURL, "OS_USERNAME=alice", "OS_PASSWORD=pw-alice", "OS_PROJECT_NAME=web",
			"OS_USER_DOMAIN_NAME=acme", "OS_PROJECT_DOMAIN_NAME=acme"}
		docs, stderr = osc(t, alice, "token issue -f json", "project list -f json", "application credential create ci -f json")
		if len(docs) != 3 || stderr != "" {
			t.Fatalf("alice: %d answers, stderr:\n%s", len(docs), stderr)
		}
		aliceToken := field(t, docs[0], "id")
		if ps := rows(t, docs[1]); len(ps) != 1 || ps[0]["Name"] != "web" {
			t.Fatalf("alice sees only her project: %s", docs[1])
		}
		acID, acSecret := field(t, docs[2], "id"), field(t, docs[2], "secret")
		docs, stderr = osc(t, []string{authURL, "OS_AUTH_TYPE=v3applicationcredential",
			"OS_APPLICATION_CREDENTIAL_ID=" + acID, "OS_APPLICATION_CREDENTIAL_SECRET=" + acSecret}, "token issue -f json")
		if len(docs) != 1 || field(t, docs[0], "project_id") == "" {
			t.Fatalf("application credential login: %v\n%s", docs, stderr)
		}

		// The admin revokes alice's token: it is refused from then on.
		if r := h.do("GET", "/v3/auth/projects", aliceToken, ""); r.status != http.StatusOK {
			t.Fatalf("alice's token before revocation: %d", r.status)
		}
		_, stderr = osc(t, admin, "token revoke "+aliceToken)
		if stderr != "" {
			t.Fatalf("token revoke: %s", stderr)
		}
		if r := h.do("GET", "/v3/auth/projects", aliceToken, ""); r.status != http.StatusUnauthorized {
			t.Fatalf("alice's token after revocation: %d %s", r.status, r.raw)
		}
		_, stderr = osc(t, []string{authURL, "OS_AUTH_TYPE=v3token", "OS_TOKEN=" + aliceToken, "OS_PROJECT_NAME=web", "OS_PROJECT_DOMAIN_NAME=acme"}, "project list -f json")
		if !strings.Contains(stderr, "HTTP 401") {
			t.Fatalf("the client with a revoked token: %s", stderr)
		}
		// Clean-up through the client too.
		_, stderr = osc(t, admin, "user delete --domain acme alice", "project delete --domain acme web",
			"domain set --disable acme", "domain delete acme")
		if stderr != "" {
			t.Fatalf("clean-up: %s", stderr)
		}
	})
}
