package bridgx_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/store/storetest"
)

// TestOneRowPerInstance expands a cluster and reads its instances through
// both faces the moment the task reports SUCCESS, with no sync between:
// /api/v1 and /api/v2 show the same instances, addresses and states,
// because they read the same rows.
func TestOneRowPerInstance(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			w := startWorld(t, kind, 0)
			c := w.c
			vpcID := c.ok("POST", "/api/v1/network_config/create", nil, map[string]any{"provider": "AlibabaCloud", "region_id": "cn-qingdao",
				"cidr_block": "10.0.0.0/16", "vpc_name": "net", "zone_id": "cn-qingdao-b", "switch_cidr_block": "10.0.0.0/24",
				"switch_name": "sw", "security_group_name": "sg", "ak": simKey}).(string)
			sw := w.subnetOf(t, vpcID, "10.0.0.0/24")
			groups := c.ok("GET", "/api/v1/security_group/describe", url.Values{"vpc_id": {vpcID}}, nil).(map[string]any)["Groups"].([]any)
			sg := groups[0].(map[string]any)["SecurityGroupId"].(string)
			c.ok("POST", "/api/v1/cluster/create", nil, map[string]any{"name": "one", "provider": "AlibabaCloud", "account_key": simKey,
				"region_id": "cn-qingdao", "zone_id": "cn-qingdao-b", "instance_type": "ecs.s6-c1m1.small",
				"image": "centos_7_6_x64_20G_alibase_20211030.vhd", "password": "ASDqwe123",
				"network_config": map[string]any{"vpc": vpcID, "subnet_id": sw, "security_group": sg},
				"charge_config":  map[string]any{"charge_type": "PostPaid"},
				"disks":          map[string]any{"system_disk": map[string]any{"category": "cloud_efficiency", "size": 40}}})

			acct := accountOf(t, c)
			syncs := waitIdle(t, c, acct)

			tid := c.ok("POST", "/api/v1/cluster/expand", nil, map[string]any{"cluster_name": "one", "count": 3}).(json.Number)
			if task := w.waitTask(t, string(tid), 60*time.Second); task["status"] != "SUCCESS" {
				t.Fatalf("expand: %v", task)
			}
			v1 := c.ok("GET", "/api/v1/instance/describe_all", url.Values{"cluster_name": {"one"}}, nil).(map[string]any)["instance_list"].([]any)
			st, v2 := c.call("GET", "/api/v2/servers", url.Values{"limit": {"100"}}, nil)
			if st != http.StatusOK {
				t.Fatalf("servers: %d %v", st, v2)
			}
			if n := syncCount(t, c, acct); n != syncs {
				t.Fatalf("a sync ran during the expand (%s, then %s): the test would not show the rows were recorded at once", syncs, n)
			}
			servers := map[string]map[string]any{}
			for _, s := range v2["servers"].([]any) {
				m := s.(map[string]any)
				servers[m["external_id"].(string)] = m
			}
			if len(v1) != 3 {
				t.Fatalf("describe_all has %d instances, want 3: %v", len(v1), v1)
			}
			for _, x := range v1 {
				in := x.(map[string]any)
				id := in["instance_id"].(string)
				s, ok := servers[id]
				if !ok {
					t.Fatalf("instance %s is in /api/v1 but not in /api/v2/servers (%d servers)", id, len(servers))
				}
				ip := in["ip_inner"].(string)
				if ip == "" || !slices.Contains(strings.Split(s["ips"].(string), ","), ip) {
					t.Fatalf("instance %s: /api/v1 ip_inner %q, /api/v2 ips %q", id, ip, s["ips"])
				}
				if in["status"] != "Running" || s["status"] != "running" {
					t.Fatalf("instance %s: /api/v1 status %v, /api/v2 status %v", id, in["status"], s["status"])
				}
				if in["instance_type"] != s["instance_type"] {
					t.Fatalf("instance %s: /api/v1 type %v, /api/v2 type %v", id, in["instance_type"], s["instance_type"])
				}
				d := c.ok("GET", "/api/v1/instance/id/describe", url.Values{"instance_id": {id}}, nil).(map[string]any)
				if d["ip_inner"] != ip || d["zone_id"] != s["zone_id"] || d["image_id"] == "" {
					t.Fatalf("instance %s: describe %v", id, d)
				}
			}
		})
	}
}

func accountOf(t *testing.T, c *client) string {
	t.Helper()
	st, m := c.call("GET", "/api/v2/cloudaccounts", nil, nil)
	if st != http.StatusOK {
		t.Fatalf("accounts: %d %v", st, m)
	}
	return m["cloudaccounts"].([]any)[0].(map[string]any)["id"].(string)
}

func syncCount(t *testing.T, c *client, id string) string {
	t.Helper()
	_, m := c.call("GET", "/api/v2/cloudaccounts/"+id, nil, nil)
	return string(m["sync_count"].(json.Number))
}

// waitIdle waits until no sync of the account is queued or running and
// returns its sync count.
func waitIdle(t *testing.T, c *client, id string) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, m := c.call("GET", "/api/v2/cloudaccounts/"+id, nil, nil)
		if m["sync_status"] == "idle" {
			return string(m["sync_count"].(json.Number))
		}
		if time.Now().After(deadline) {
			t.Fatalf("account still syncing: %v", m)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
