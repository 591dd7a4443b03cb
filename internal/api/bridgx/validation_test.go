package bridgx_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestBadInput checks that every validation rule answers 400 param_invalid
// (or the documented conflict) with a message naming the field and the
// rule, and that an expand on a busy cluster names the task it waits for.
func TestBadInput(t *testing.T) {
	w := startWorld(t, "sqlite", 3)
	c := w.c
	vpc := func(over map[string]any) map[string]any {
		m := map[string]any{"provider": "AlibabaCloud", "region_id": "cn-qingdao", "cidr_block": "172.16.0.0/12", "vpc_name": "abc", "ak": simKey}
		for k, v := range over {
			m[k] = v
		}
		return m
	}
	netcfg := func(over map[string]any) map[string]any {
		m := map[string]any{"provider": "AlibabaCloud", "region_id": "cn-qingdao", "cidr_block": "10.0.0.0/16", "vpc_name": "net",
			"zone_id": "cn-qingdao-b", "switch_cidr_block": "10.0.0.0/24", "switch_name": "sw", "security_group_name": "sg", "ak": simKey}
		for k, v := range over {
			m[k] = v
		}
		return m
	}
	rule := func(over map[string]any) map[string]any {
		r := map[string]any{"protocol": "tcp", "port_range": "22/22", "direction": "ingress", "cidr_ip": "10.0.0.0/8"}
		for k, v := range over {
			r[k] = v
		}
		return netcfg(map[string]any{"rules": []any{r}})
	}
	many := make([]any, 0, 201)
	for i := range 201 {
		many = append(many, map[string]any{"protocol": "tcp", "port_range": fmt.Sprintf("%d/%d", i+1, i+1), "direction": "ingress", "cidr_ip": "0.0.0.0/0"})
	}
	cases := []struct {
		name, path string
		body       any
		field      string
		rule       string
	}{
		{"vpc cidr outside private ranges", "/api/v1/vpc/create", vpc(map[string]any{"cidr_block": "11.0.0.0/8"}), "cidr_block", "not within"},
		{"vpc cidr mask too long", "/api/v1/vpc/create", vpc(map[string]any{"cidr_block": "192.168.1.0/25"}), "cidr_block", "outside 8 to 24"},
		{"vpc cidr mask wider than its range", "/api/v1/vpc/create", vpc(map[string]any{"cidr_block": "172.0.0.0/8"}), "cidr_block", "not within"},
		{"vpc cidr not a network", "/api/v1/vpc/create", vpc(map[string]any{"cidr_block": "10.1.2.3/16"}), "cidr_block", "not a network address"},
		{"vpc name too short", "/api/v1/vpc/create", vpc(map[string]any{"vpc_name": "a"}), "vpc_name", "2 to 64"},
		{"vpc name too long", "/api/v1/vpc/create", vpc(map[string]any{"vpc_name": strings.Repeat("a", 65)}), "vpc_name", "2 to 64"},
		{"vpc name starts with a digit", "/api/v1/vpc/create", vpc(map[string]any{"vpc_name": "1abc"}), "vpc_name", "start with a letter"},
		{"vpc name is a URL", "/api/v1/vpc/create", vpc(map[string]any{"vpc_name": "http://x"}), "vpc_name", "http://"},
		{"vpc unknown provider", "/api/v1/vpc/create", vpc(map[string]any{"provider": "Nimbus"}), "provider", "unknown provider"},
		{"vpc unknown ak", "/api/v1/vpc/create", vpc(map[string]any{"ak": "LTAInope"}), "ak", "not connected"},
		{"vpc no region", "/api/v1/vpc/create", vpc(map[string]any{"region_id": ""}), "region_id", "required"},
		{"vpc unknown region", "/api/v1/vpc/create", vpc(map[string]any{"region_id": "cn-nowhere"}), "region_id", "no region"},
		{"network config unknown region", "/api/v1/network_config/create", netcfg(map[string]any{"region_id": "cn-nowhere"}), "region_id", "no region"},
		{"sync unknown region", "/api/v1/network_config/sync", map[string]any{"provider": "AlibabaCloud", "region_id": "cn-nowhere", "account_key": simKey}, "region_id", "no region"},
		{"sync region with a NUL", "/api/v1/network_config/sync", map[string]any{"provider": "AlibabaCloud", "region_id": "a\u0000b", "account_key": simKey}, "region_id", ""},
		{"subnet mask too short", "/api/v1/network_config/create", netcfg(map[string]any{"switch_cidr_block": "10.0.0.0/15"}), "switch_cidr_block", "outside 16 to 29"},
		{"subnet mask too long", "/api/v1/network_config/create", netcfg(map[string]any{"switch_cidr_block": "10.0.0.0/30"}), "switch_cidr_block", "outside 16 to 29"},
		{"subnet outside the vpc", "/api/v1/network_config/create", netcfg(map[string]any{"switch_cidr_block": "10.1.0.0/24"}), "switch_cidr_block", "not inside the VPC"},
		{"switch name", "/api/v1/network_config/create", netcfg(map[string]any{"switch_name": "https://sw"}), "switch_name", "http"},
		{"security group name", "/api/v1/network_config/create", netcfg(map[string]any{"security_group_name": "s"}), "security_group_name", "2 to 128"},
		{"security group type", "/api/v1/network_config/create", netcfg(map[string]any{"security_group_type": "open"}), "security_group_type", "normal or enterprise"},
		{"rule protocol", "/api/v1/network_config/create", rule(map[string]any{"protocol": "sctp"}), "rules[0].protocol", "tcp, udp, icmp, gre or all"},
		{"rule port range", "/api/v1/network_config/create", rule(map[string]any{"port_range": "0/22"}), "rules[0].port_range", "1 to 65535"},
		{"rule port range order", "/api/v1/network_config/create", rule(map[string]any{"port_range": "80/22"}), "rules[0].port_range", "1 to 65535"},
		{"rule icmp ports", "/api/v1/network_config/create", rule(map[string]any{"protocol": "icmp", "port_range": "1/2"}), "rules[0].port_range", "-1/-1"},
		{"rule direction", "/api/v1/network_config/create", rule(map[string]any{"direction": "inbound"}), "rules[0].direction", "ingress or egress"},
		{"rule peer", "/api/v1/network_config/create", rule(map[string]any{"cidr_ip": ""}), "rules[0]", "group_id or cidr_ip"},
		{"rule cidr", "/api/v1/network_config/create", rule(map[string]any{"cidr_ip": "10.0.0.0/33"}), "rules[0].cidr_ip", "IPv4 CIDR"},
		{"too many rules", "/api/v1/network_config/create", netcfg(map[string]any{"rules": many}), "rules", "at most 200"},
		{"bad json", "/api/v1/vpc/create", `{"provider": }`, "body", "JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			detail := c.fails("POST", tc.path, nil, tc.body, http.StatusBadRequest, "param_invalid")
			if !strings.Contains(detail, tc.field) || !strings.Contains(detail, tc.rule) {
				t.Fatalf("detail %q does not name %q and %q", detail, tc.field, tc.rule)
			}
		})
	}

	// An unknown region just under the door's 64 KiB limit on strings is a
	// 400 that quotes it short.
	long := strings.Repeat("r", 60000)
	for _, path := range []string{"/api/v1/vpc/create", "/api/v1/network_config/sync"} {
		d := c.fails("POST", path, nil, map[string]any{"provider": "AlibabaCloud", "region_id": long, "ak": simKey, "account_key": simKey,
			"vpc_name": "abc", "cidr_block": "172.16.0.0/12"}, http.StatusBadRequest, "param_invalid")
		if !strings.Contains(d, "region_id") || len(d) > 400 {
			t.Fatalf("%s: %d bytes of detail: %.200s", path, len(d), d)
		}
	}
	for _, path := range []string{"/api/v1/zone/list", "/api/v1/instance_type/list", "/api/v1/image/list"} {
		d := c.fails("GET", path, url.Values{"provider": {"AlibabaCloud"}, "region_id": {"cn-nowhere"}, "zone_id": {"cn-nowhere-a"}}, nil,
			http.StatusBadRequest, "param_invalid")
		if !strings.HasPrefix(d, "region_id: ") || strings.Count(d, "cn-nowhere") != 1 {
			t.Fatalf("%s: %s", path, d)
		}
	}
	// The account's syncs still run.
	c.ok("POST", "/api/v1/network_config/sync", nil, map[string]any{"provider": "AlibabaCloud", "region_id": "cn-qingdao", "account_key": simKey})

	// A real network and cluster for the cluster rules.
	vpcID := c.ok("POST", "/api/v1/network_config/create", nil, netcfg(nil)).(string)
	sw := w.subnetOf(t, vpcID, "10.0.0.0/24")
	groups := c.ok("GET", "/api/v1/security_group/describe", url.Values{"vpc_id": {vpcID}}, nil).(map[string]any)["Groups"].([]any)
	sg := groups[0].(map[string]any)["SecurityGroupId"].(string)
	cl := func(over map[string]any) map[string]any {
		m := map[string]any{"name": "c1", "provider": "AlibabaCloud", "account_key": simKey, "region_id": "cn-qingdao", "zone_id": "cn-qingdao-b",
			"instance_type": "ecs.s6-c1m1.small", "image": "centos_7_6_x64_20G_alibase_20211030.vhd", "password": "ASDqwe123",
			"network_config": map[string]any{"vpc": vpcID, "subnet_id": sw, "security_group": sg},
			"charge_config":  map[string]any{"charge_type": "PostPaid"},
			"disks":          map[string]any{"system_disk": map[string]any{"category": "cloud_efficiency", "size": 40}}}
		for k, v := range over {
			m[k] = v
		}
		return m
	}
	for _, tc := range []struct {
		name  string
		body  map[string]any
		field string
		rule  string
	}{
		{"charge type", cl(map[string]any{"charge_config": map[string]any{"charge_type": "Free"}}), "charge_config.charge_type", "PostPaid or PrePaid"},
		{"prepaid without unit", cl(map[string]any{"charge_config": map[string]any{"charge_type": "PrePaid", "period": 1}}), "charge_config.period_unit", "required"},
		{"prepaid month period", cl(map[string]any{"charge_config": map[string]any{"charge_type": "PrePaid", "period_unit": "Month", "period": 10}}), "charge_config.period", "1-9, 12, 24, 36, 48, 60"},
		{"prepaid week period", cl(map[string]any{"charge_config": map[string]any{"charge_type": "PrePaid", "period_unit": "Week", "period": 5}}), "charge_config.period", "1, 2, 3 or 4"},
		{"no system disk", cl(map[string]any{"disks": map[string]any{}}), "disks.system_disk", "required"},
		{"system disk size", cl(map[string]any{"disks": map[string]any{"system_disk": map[string]any{"category": "cloud_efficiency", "size": 10}}}), "disks.system_disk.size", "20 to 2048"},
		{"no password", cl(map[string]any{"password": ""}), "password", "required"},
		{"no image", cl(map[string]any{"image": ""}), "image", "required"},
		{"unknown image (dry run)", cl(map[string]any{"image": "m-nope"}), "image", "the cloud refused it"},
		{"unknown instance type (dry run)", cl(map[string]any{"instance_type": "ecs.n1.tiny"}), "instance_type", "the cloud refused it"},
		{"subnet of another zone", cl(map[string]any{"zone_id": "cn-qingdao-c"}), "zone_id", "not cn-qingdao-c"},
		{"weak password (dry run)", cl(map[string]any{"password": "aaaaaaaa"}), "password", "the cloud refused it"},
		{"reserved tag", cl(map[string]any{"tags": map[string]any{"skyfold:cluster": "x"}}), "tags", "reserved"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			detail := c.fails("POST", "/api/v1/cluster/create", nil, tc.body, http.StatusBadRequest, "param_invalid")
			if !strings.Contains(detail, tc.field) || !strings.Contains(detail, tc.rule) {
				t.Fatalf("detail %q does not name %q and %q", detail, tc.field, tc.rule)
			}
		})
	}
	c.ok("POST", "/api/v1/cluster/create", nil, cl(nil))
	if d := c.fails("POST", "/api/v1/cluster/create", nil, cl(nil), http.StatusConflict, "conflict"); !strings.Contains(d, "c1") {
		t.Fatalf("duplicate name: %s", d)
	}
	for _, tc := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"count zero", map[string]any{"cluster_name": "c1", "count": 0}, "count"},
		{"count text", map[string]any{"cluster_name": "c1", "count": "ten"}, "count"},
		{"no cluster", map[string]any{"cluster_name": "nope", "count": 1}, "cluster_name"},
		{"bad intent", map[string]any{"cluster_name": "c1", "count": 1, "task_action": "GROW"}, "task_action"},
		{"bad ip", map[string]any{"cluster_name": "c1", "ips": []string{"10.0.0.300"}}, "ips[0]"},
		{"shrink below zero", map[string]any{"cluster_name": "c1", "count": 1, "task_action": "SHRINK"}, "count"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := c.fails("POST", "/api/v1/cluster/expand", nil, tc.body, http.StatusBadRequest, "param_invalid"); !strings.Contains(d, tc.field) {
				t.Fatalf("detail %q does not name %q", d, tc.field)
			}
		})
	}
	for _, q := range []url.Values{{"page_size": {"51"}}, {"page_number": {"x"}}} {
		c.fails("GET", "/api/v1/cluster/describe_all", q, nil, http.StatusBadRequest, "param_invalid")
	}
	c.fails("GET", "/api/v1/instance/usage_total", url.Values{"date": {"2021-13-45"}}, nil, http.StatusBadRequest, "param_invalid")
	c.fails("GET", "/api/v1/instance/describe_all", url.Values{"status": {"sleeping"}}, nil, http.StatusBadRequest, "param_invalid")

	// The simulator's quota is 3 instances: an expand of 5 gets exactly 3,
	// ends PARTIAL_SUCCESS and quotes the cloud; while it runs, a second
	// expand is refused naming it.
	tid := c.ok("POST", "/api/v1/cluster/expand", nil, map[string]any{"cluster_name": "c1", "task_name": "five", "count": "5"}).(json.Number)
	if d := c.fails("POST", "/api/v1/cluster/expand", nil, map[string]any{"cluster_name": "c1", "count": 1}, http.StatusConflict, "conflict"); !strings.Contains(d, string(tid)) {
		t.Fatalf("busy cluster: %s does not name task %s", d, tid)
	}
	task := w.waitTask(t, string(tid), 60*time.Second)
	if task["status"] != "PARTIAL_SUCCESS" || task["success_num"] != json.Number("3") || !strings.Contains(task["error"].(string), "QuotaExceed.ElasticQuota") {
		t.Fatalf("quota expand: %v", task)
	}
	var quoted bool
	for _, b := range task["batches"].([]any) {
		quoted = quoted || strings.Contains(b.(map[string]any)["error_message"].(string), "exceeds the quota")
	}
	if !quoted {
		t.Fatalf("no batch quotes the cloud: %v", task["batches"])
	}
	if n := c.ok("GET", "/api/v1/instance/num", url.Values{"cluster_name": {"c1"}}, nil).(map[string]any)["instance_num"]; n != json.Number("3") {
		t.Fatalf("instance_num %v", n)
	}
	if d := c.fails("DELETE", "/api/v1/cluster/delete/c1", nil, nil, http.StatusConflict, "conflict"); !strings.Contains(d, "3 instances") {
		t.Fatalf("delete with instances: %s", d)
	}
}
