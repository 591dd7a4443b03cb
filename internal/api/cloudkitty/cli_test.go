package cloudkitty_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// cli runs Debian's CloudKitty client (python3-cloudkittyclient) and the
// OpenStack client against an in-process Skyfold, authenticating through
// its Keystone-compatible /v3.
type cli struct {
	t      *testing.T
	env    []string
	python string
}

func newCLI(t *testing.T, c *client) *cli {
	t.Helper()
	for _, bin := range []string{"cloudkitty", "openstack"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("the %s CLI is not installed (apt-get install -y python3-cloudkittyclient python3-openstackclient); CI installs it", bin)
		}
	}
	env := []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"), "LANG=C.UTF-8",
		"OS_AUTH_URL=" + c.base + "/v3", "OS_USERNAME=admin", "OS_PASSWORD=" + adminPassword,
		"OS_PROJECT_NAME=system", "OS_USER_DOMAIN_NAME=Default", "OS_PROJECT_DOMAIN_NAME=Default",
		"OS_IDENTITY_API_VERSION=3", "OS_AUTH_TYPE=password", "OS_INTERFACE=public"}
	return &cli{t: t, env: env, python: interpreter(t)}
}

// interpreter is the Python the cloudkitty script runs with.
func interpreter(t *testing.T) string {
	path, _ := exec.LookPath("cloudkitty")
	f, err := os.Open(path)
	if err != nil {
		return "python3"
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n')
	if p, ok := strings.CutPrefix(strings.TrimSpace(line), "#!"); ok {
		if fields := strings.Fields(p); len(fields) > 0 {
			return fields[0]
		}
	}
	return "python3"
}

// run runs a command and returns its standard output.
func (x *cli) run(name string, args ...string) string {
	x.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = x.env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		x.t.Fatalf("%s %s: %v\nstdout: %s\nstderr: %s", name, strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return out.String()
}

// fails runs a command that must fail and returns its standard error.
func (x *cli) fails(name string, args ...string) string {
	x.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = x.env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err == nil {
		x.t.Fatalf("%s %s succeeded: %s", name, strings.Join(args, " "), out.String())
	}
	return errOut.String()
}

// json runs a cloudkitty command with -f json and decodes its output.
func (x *cli) json(args ...string) any {
	x.t.Helper()
	out := x.run("cloudkitty", append(args, "-f", "json")...)
	var v any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		x.t.Fatalf("cloudkitty %s: not JSON: %s", strings.Join(args, " "), out)
	}
	return v
}

func rows(v any) []map[string]any {
	var out []map[string]any
	for _, r := range v.([]any) {
		out = append(out, r.(map[string]any))
	}
	return out
}

// quotePy prices resources through the client library's rating.get_quotation.
const quotePy = `
import json, os, sys
from keystoneauth1 import loading, session
from cloudkittyclient import client
auth = loading.get_plugin_loader('password').load_from_options(
    auth_url=os.environ['OS_AUTH_URL'], username='admin', password=os.environ['OS_PASSWORD'],
    project_name='system', user_domain_name='Default', project_domain_name='Default')
ck = client.Client('1', session=session.Session(auth=auth))
for gib in sys.argv[1:]:
    print(json.dumps(ck.rating.get_quotation(res_data=[{'service': 'volume.size', 'volume': gib, 'desc': {}}])))
`

func TestCloudKittyClient(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the CloudKitty CLI: skipped with -short")
	}
	c := startApp(t, "sqlite")
	x := newCLI(t, c)

	// Modules: list, enable, priority, through both CLIs.
	mods := rows(x.json("module", "list"))
	if len(mods) != 3 {
		t.Fatalf("module list = %v", mods)
	}
	if r := rows(x.json("module", "enable", "hashmap")); r[0]["Enabled"] != true {
		t.Fatalf("module enable = %v", r)
	}
	if r := rows(x.json("module", "set", "priority", "hashmap", "5")); r[0]["Priority"] != 5.0 {
		t.Fatalf("module set priority = %v", r)
	}
	var osMods []map[string]any
	if err := json.Unmarshal([]byte(x.run("openstack", "rating", "module", "list", "-f", "json")), &osMods); err != nil || len(osMods) != 3 {
		t.Fatalf("openstack rating module list = %v (%v)", osMods, err)
	}

	// Hashmap: the documented example, with a field and a group.
	svc := rows(x.json("hashmap", "service", "create", "volume.size"))[0]["Service ID"].(string)
	field := rows(x.json("hashmap", "field", "create", svc, "volume_type"))[0]["Field ID"].(string)
	group := rows(x.json("hashmap", "group", "create", "volume_thresholds"))[0]["Group ID"].(string)
	mapping := rows(x.json("hashmap", "mapping", "create", "-s", svc, "-g", group, "-t", "flat", "0.001"))[0]["Mapping ID"].(string)
	var thresholds []string
	for _, lc := range [][2]string{{"50", "0.98"}, {"200", "0.95"}} {
		thresholds = append(thresholds, rows(x.json("hashmap", "threshold", "create", "-s", svc, "-g", group, "-t", "rate", lc[0], lc[1]))[0]["Threshold ID"].(string))
	}
	fm := rows(x.json("hashmap", "mapping", "create", "--field-id", field, "--value", "ssd", "-t", "rate", "1"))[0]["Mapping ID"].(string)
	if l := rows(x.json("hashmap", "service", "list")); len(l) != 1 || l[0]["Name"] != "volume.size" {
		t.Fatalf("service list = %v", l)
	}
	if l := rows(x.json("hashmap", "field", "list", svc)); len(l) != 1 || l[0]["Name"] != "volume_type" {
		t.Fatalf("field list = %v", l)
	}
	if l := rows(x.json("hashmap", "group", "list")); len(l) != 1 || l[0]["Name"] != "volume_thresholds" {
		t.Fatalf("group list = %v", l)
	}
	if l := rows(x.json("hashmap", "mapping", "list", "-s", svc)); len(l) != 1 || l[0]["Cost"] != "0.001" || l[0]["Type"] != "flat" {
		t.Fatalf("mapping list = %v", l)
	}
	if l := rows(x.json("hashmap", "threshold", "list", "-s", svc)); len(l) != 2 {
		t.Fatalf("threshold list = %v", l)
	}
	if l := rows(x.json("hashmap", "group", "mappings", "get", group)); len(l) != 1 || l[0]["Mapping ID"] != mapping {
		t.Fatalf("group mappings = %v", l)
	}

	// Pyscripts: create, update (answered 201, as CloudKitty does), and an
	// unknown script worded as CloudKitty words it.
	script := rows(x.json("pyscript", "create", "noop", "x = 1"))[0]["Script ID"].(string)
	if r := rows(x.json("pyscript", "update", "-d", "x = 2", script)); r[0]["Data"] != "x = 2" {
		t.Fatalf("pyscript update = %v", r)
	}
	if msg := x.fails("cloudkitty", "pyscript", "get", "42"); !strings.Contains(msg, "No such script: None (UUID: 42)") {
		t.Errorf("pyscript get 42: %s", msg)
	}
	x.run("cloudkitty", "pyscript", "delete", script)

	// Quote, through the client library (the CLI has no quote command).
	out := strings.Fields(x.run(x.python, "-c", quotePy, "80", "250"))
	if fmt.Sprint(out) != "[0.0784 0.2375]" {
		t.Fatalf("quotes = %v, want [0.0784 0.2375]", out)
	}

	// Rated data: process a day of hourly periods, then report.
	for id, gib := range map[string]int{"d20": 20, "d80": 80, "d250": 250} {
		c.disk(id, "proj-a", gib)
	}
	c.process()
	now := time.Now().UTC()
	from := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).Add(-24 * time.Hour)
	c.must("PUT", "/v2/scope", map[string]any{"scope_id": "proj-a", "state": from.Format(time.RFC3339)}, 202)
	c.process()
	b, e := from.Format("2006-01-02T15:04:05"), from.Add(3*time.Hour).Format("2006-01-02T15:04:05")
	if tot := x.json("total", "get", "-a", "-b", b, "-e", e).(map[string]any); tot["Total"] != 1.0077 {
		t.Errorf("total get = %v, want 1.0077 (3 periods of 0.02 + 0.0784 + 0.2375)", tot)
	}
	if tot := x.json("total", "get", "-t", "proj-a", "-s", "volume.size", "-b", b, "-e", e).(map[string]any); tot["Total"] != 1.0077 {
		t.Errorf("total get -t = %v", tot)
	}
	sum := rows(x.json("summary", "get", "-a", "-g", "tenant_id", "res_type", "-b", b, "-e", e))
	if len(sum) != 1 || sum[0]["Tenant ID"] != "proj-a" || sum[0]["Resource Type"] != "volume.size" || sum[0]["Rate"] != "1.0077" {
		t.Errorf("summary get = %v", sum)
	}
	if l := rows(x.json("report", "tenant", "list", "-b", b, "-e", e)); len(l) != 1 || l[0]["Tenant ID"] != "proj-a" {
		t.Errorf("report tenant list = %v", l)
	}
	dfs := rows(x.json("dataframes", "get", "-p", "proj-a", "-r", "volume.size", "-b", b, "-e", from.Add(time.Hour).Format("2006-01-02T15:04:05")))
	if len(dfs) != 1 {
		t.Fatalf("dataframes get = %v", dfs)
	}
	got := map[string]string{}
	for _, r := range dfs[0]["Resources"].([]any) {
		r := r.(map[string]any)
		got[r["desc"].(map[string]any)["id"].(string)] = fmt.Sprint(r["rating"], " ", r["rate_value"])
	}
	if got["d80"] != "0.0784 0.0010" || got["d250"] != "0.2375 0.0009" {
		t.Errorf("dataframes resources = %v", got)
	}

	// Delete everything again.
	x.run("cloudkitty", "hashmap", "mapping", "delete", fm)
	x.run("cloudkitty", "hashmap", "mapping", "delete", mapping)
	for _, id := range thresholds {
		x.run("cloudkitty", "hashmap", "threshold", "delete", id)
	}
	x.run("cloudkitty", "hashmap", "field", "delete", field)
	x.run("cloudkitty", "hashmap", "group", "delete", group)
	x.run("cloudkitty", "hashmap", "service", "delete", svc)
	if l := rows(x.json("hashmap", "service", "list")); len(l) != 0 {
		t.Fatalf("services left: %v", l)
	}
	if r := rows(x.json("module", "disable", "hashmap")); r[0]["Enabled"] != false {
		t.Fatalf("module disable = %v", r)
	}
}
