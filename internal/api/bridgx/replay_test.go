package bridgx_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/store/storetest"
)

// subst maps the seed's masked or made-up values to live ones.
type subst map[string]string

// params turns a seed table into request parameters, replacing values by
// parameter name where subs says so.
func params(rows [][2]string, subs subst) map[string]any {
	out := map[string]any{}
	for _, r := range rows {
		v := strings.ReplaceAll(r[1], "<br>", "")
		if s, ok := subs[r[0]]; ok {
			v = s
		}
		if strings.HasPrefix(v, "[") || strings.HasPrefix(v, "{") {
			var j any
			if json.Unmarshal([]byte(v), &j) == nil {
				out[r[0]] = j
				continue
			}
		}
		out[r[0]] = v
	}
	return out
}

func query(p map[string]any) url.Values {
	q := url.Values{}
	for k, v := range p {
		if s, ok := v.(string); ok {
			q.Set(k, s)
		}
	}
	return q
}

// TestSeed002Replay replays every request example of seed 002 against a
// whole Skyfold with an Aliyun simulator, substituting only the values the
// seed masks or that cannot exist here, and checks each answer against the
// seed's example response field by field.
func TestSeed002Replay(t *testing.T) {
	s := loadSeed(t)
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) { replay(t, s, startWorld(t, kind, 0)) })
	}
}

func replay(t *testing.T, s *seed, w *world) {
	c := w.c
	shape := func(title string, data any) {
		t.Helper()
		golden := s.responseExample(t, title).(map[string]any)
		sameShape(t, title, golden["data"], data)
	}
	get := func(title, path string, subs subst) any {
		t.Helper()
		_, rows, _ := s.requestExample(t, title)
		data := c.ok("GET", path, query(params(rows, subs)), nil)
		shape(title, data)
		return data
	}
	post := func(title, path string, subs subst) any {
		t.Helper()
		_, rows, _ := s.requestExample(t, title)
		data := c.ok("POST", path, nil, params(rows, subs))
		shape(title, data)
		return data
	}

	// Catalogs and the template.
	get("获取网络配置模板", "/api/v1/network_config/template", nil)
	get("查看region列表", "/api/v1/region/list", nil)
	get("查看zone列表", "/api/v1/zone/list", nil)
	types := get("查看机型列表", "/api/v1/instance_type/list", nil).([]any)
	if len(types) == 0 {
		t.Fatal("no instance types")
	}
	get("获取镜像列表", "/api/v1/image/list", nil)

	// Network.
	vpcH := post("创建VPC", "/api/v1/vpc/create", subst{"ak": simKey}).(string)
	if !strings.HasPrefix(vpcH, "vpc-") {
		t.Fatalf("vpc id %q", vpcH)
	}
	before := w.sim.Status().Accounts[0].Counts
	// The seed's network example misspells its zone (cn-qigndao-b): the
	// cloud refuses the subnet, and the VPC made first is deleted again.
	_, rows, _ := s.requestExample(t, "创建网络配置")
	detail := c.fails("POST", "/api/v1/network_config/create", nil, params(rows, subst{"ak": simKey}), http.StatusBadRequest, "param_invalid")
	if !strings.Contains(detail, "deleted again") {
		t.Fatalf("rollback not reported: %s", detail)
	}
	if after := w.sim.Status().Accounts[0].Counts; after["vpcs"] != before["vpcs"] || after["vswitches"] != before["vswitches"] {
		t.Fatalf("rollback left objects: before %v after %v", before, after)
	}
	vpcQ := post("创建网络配置", "/api/v1/network_config/create", subst{"ak": simKey, "zone_id": "cn-qingdao-b"}).(string)
	post("同步云厂商网络配置", "/api/v1/network_config/sync", subst{"account_key": simKey})
	vpcs := get("查看VPC", "/api/v1/vpc/describe", nil).(map[string]any)["Vpcs"].([]any)
	found := false
	for _, v := range vpcs {
		found = found || v.(map[string]any)["VpcId"] == vpcQ
	}
	if !found {
		t.Fatalf("vpc %s not described: %v", vpcQ, vpcs)
	}
	shape("获取VPC详情", c.ok("GET", "/api/v1/vpc/info/"+vpcQ, nil, nil))

	// The seed's subnet example asks for the CIDR its network example took.
	_, rows, _ = s.requestExample(t, "创建子网")
	sw := c.ok("GET", "/api/v1/subnet/create", query(params(rows, subst{"vpc_id": vpcQ, "cidr_block": "172.16.1.0/24"})), nil).(string)
	shape("创建子网", sw)
	get("查看子网", "/api/v1/subnet/describe", subst{"vpc_id": vpcQ, "switch_name": "VSwitch-1"})
	shape("获取子网详情", c.ok("GET", "/api/v1/subnet/info/"+sw, url.Values{"vpc_id": {vpcQ}}, nil))
	sg := post("创建安全组", "/api/v1/security_group/create_with_rule", subst{"vpc_id": vpcQ}).(string)
	groups := get("查看安全组", "/api/v1/security_group/describe", subst{"vpc_id": vpcQ, "region_id": "cn-qingdao"}).(map[string]any)["Groups"].([]any)
	if len(groups) < 2 {
		t.Fatalf("groups: %v", groups)
	}
	rules := c.ok("GET", "/api/v1/security_group/"+sg+"/rules", nil, nil)
	shape("获取安全组详情", rules)
	if r := rules.(map[string]any)["rules"].([]any); len(r) != 1 || r[0].(map[string]any)["cidr_ip"] != "10.0.0.0/8" {
		t.Fatalf("rules: %v", r)
	}

	// Clusters: the seed's example as printed (trailing commas and all),
	// with its masked ids, unknown instance type and masked password
	// replaced.
	body, _, _ := s.requestExample(t, "创建集群")
	subnetOfQ := w.subnetOf(t, vpcQ, "172.16.0.0/24")
	for old, nu := range map[string]string{`"LTAI5t7qCv**Fh3hzSYpSv"`: `"` + simKey + `"`, `"vpc-m5***6tgd"`: `"` + vpcQ + `"`,
		`"vsw-m5***4y3xs6ivwc"`: `"` + subnetOfQ + `"`, `"sg-m5***2cu2f5x8"`: `"` + sg + `"`, `"ecs.n1.tiny"`: `"ecs.s6-c1m1.small"`,
		`"********"`: `"ASDqwe123"`} {
		if !strings.Contains(body, old) {
			t.Fatalf("seed cluster example lacks %s", old)
		}
		body = strings.ReplaceAll(body, old, nu)
	}
	name := c.ok("POST", "/api/v1/cluster/create", nil, body)
	shape("创建集群", name)
	if name != "测试集群" {
		t.Fatalf("cluster name %v", name)
	}
	c.fails("POST", "/api/v1/cluster/create", nil, body, http.StatusConflict, "conflict")
	list := get("获取集群列表", "/api/v1/cluster/describe_all", subst{"account": simKey}).(map[string]any)
	if list["pager"].(map[string]any)["page_size"] != json.Number("15") {
		t.Fatalf("pager %v", list["pager"])
	}

	// Expand, then the task and instance views.
	_, _, _ = s.requestExample(t, "创建扩容任务")
	body, _, _ = s.requestExample(t, "创建扩容任务")
	body = strings.ReplaceAll(body, "gf.bridgx.online", "测试集群")
	tid := c.ok("POST", "/api/v1/cluster/expand", nil, body)
	shape("创建扩容任务", tid)
	task := w.waitTask(t, string(tid.(json.Number)), 60*time.Second)
	if task["status"] != "SUCCESS" {
		t.Fatalf("expand: %v", task)
	}
	get("查看任务列表", "/api/v1/task/list", subst{"account": simKey})
	inst := c.ok("GET", "/api/v1/instance/describe_all", url.Values{"cluster_name": {"测试集群"}}, nil).(map[string]any)["instance_list"].([]any)[0].(map[string]any)
	id, ip := inst["instance_id"].(string), inst["ip_inner"].(string)
	all := get("机器列表", "/api/v1/instance/describe_all", subst{"account": simKey, "instance_id": id, "ip": ip, "cluster_name": "测试集群"}).(map[string]any)
	if all["pager"].(map[string]any)["total"] != json.Number("1") {
		t.Fatalf("filtered list: %v", all)
	}
	get("机器详情", "/api/v1/instance/id/describe", subst{"instance_id": id})
	if n := get("获取机器数量", "/api/v1/instance/num", subst{"account": simKey, "cluster_name": "测试集群"}).(map[string]any)["instance_num"]; n != json.Number("1") {
		t.Fatalf("instance_num %v", n)
	}
	get("单日使用机器总时长", "/api/v1/instance/usage_total", subst{"cluster_name": "测试集群"})
	today := time.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01-02")
	time.Sleep(1100 * time.Millisecond)
	if u := c.ok("GET", "/api/v1/instance/usage_total", url.Values{"cluster_name": {"测试集群"}, "date": {today}}, nil).(map[string]any); u["usage_total"] == json.Number("0") {
		t.Fatalf("usage today: %v", u)
	}
	stats := get("单日使用机器时长明细", "/api/v1/instance/usage_statistics", subst{"cluster_name": "测试集群", "date": today}).(map[string]any)
	if len(stats["instance_list"].([]any)) != 1 {
		t.Fatalf("usage rows: %v", stats)
	}

	// Shrink: the seed's example on /cluster/shrink, and on the expand path
	// with the ips its table documents.
	body, _, _ = s.requestExample(t, "创建缩容任务")
	body = strings.ReplaceAll(body, "gf.bridgx.online", "测试集群")
	var expand map[string]any
	if err := json.Unmarshal([]byte(body), &expand); err != nil {
		t.Fatal(err)
	}
	expand["count"] = 2
	tid = c.ok("POST", "/api/v1/cluster/expand", nil, expand) // no ips, no intent: an expand
	if task := w.waitTask(t, string(tid.(json.Number)), 60*time.Second); task["task_action"] != "EXPAND" || task["status"] != "SUCCESS" {
		t.Fatalf("expand: %v", task)
	}
	tid = c.ok("POST", "/api/v1/cluster/shrink", nil, body)
	shape("创建缩容任务", tid)
	if task := w.waitTask(t, string(tid.(json.Number)), 60*time.Second); task["task_action"] != "SHRINK" || task["status"] != "SUCCESS" {
		t.Fatalf("shrink: %v", task)
	}
	ips := c.ok("GET", "/api/v1/instance/describe_all", url.Values{"cluster_name": {"测试集群"}, "status": {"running"}}, nil).(map[string]any)["instance_list"].([]any)
	if len(ips) != 2 {
		t.Fatalf("%d running, want 2", len(ips))
	}
	tid = c.ok("POST", "/api/v1/cluster/expand", nil, map[string]any{"cluster_name": "测试集群", "task_name": "by ip",
		"ips": []string{ips[0].(map[string]any)["ip_inner"].(string), ips[1].(map[string]any)["ip_inner"].(string)}, "count": 10})
	task = w.waitTask(t, string(tid.(json.Number)), 60*time.Second)
	if task["task_action"] != "SHRINK" || task["status"] != "SUCCESS" || task["success_num"] != json.Number("2") {
		t.Fatalf("shrink by ip on the expand path: %v", task)
	}
	if n := c.ok("GET", "/api/v1/instance/num", url.Values{"cluster_name": {"测试集群"}}, nil).(map[string]any)["instance_num"]; n != json.Number("0") {
		t.Fatalf("instances left: %v", n)
	}
	if shapes := len(s.sections); shapes != 26 {
		t.Fatalf("seed sections parsed: %d", shapes)
	}
}

// subnetOf finds the subnet of a VPC with a CIDR through the face.
func (w *world) subnetOf(t *testing.T, vpc, cidr string) string {
	t.Helper()
	sws := w.c.ok("GET", "/api/v1/subnet/describe", url.Values{"vpc_id": {vpc}}, nil).(map[string]any)["Switches"].([]any)
	for _, s := range sws {
		if m := s.(map[string]any); m["CidrBlock"] == cidr {
			return m["SwitchId"].(string)
		}
	}
	t.Fatalf("no subnet %s in %s: %v", cidr, vpc, sws)
	return ""
}
