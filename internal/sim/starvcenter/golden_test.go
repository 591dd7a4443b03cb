package starvcentersim_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	sim "github.com/skyfold/skyfold/internal/sim/starvcenter"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the simulator's answers")

type P = map[string]any

// exchange is one request and its decoded response, as stored in a golden file.
type exchange struct {
	Step     string          `json:"step"`
	Method   string          `json:"method"`
	Path     string          `json:"path"`
	Token    string          `json:"token"`
	KeyParam json.RawMessage `json:"KEY_PARAM,omitempty"`
	Response json.RawMessage `json:"response"`
}

// recorder runs a scenario step by step, checks each result code and keeps
// the exchanges of each endpoint group for its golden file.
type recorder struct {
	t       *testing.T
	h       *sim.Server
	clk     *clock
	group   string
	groups  []string
	ex      map[string][]exchange
	covered map[string]bool // "METHOD path" with result 0
}

var tokenLabel = map[string]string{tokenA: "tenant A", tokenB: "tenant B", adminToken: "admin", "": "none", "bad-token": "bad"}

func (r *recorder) begin(group string) {
	r.group = group
	r.groups = append(r.groups, group)
}

// do sends one request. want is the expected result code.
func (r *recorder) do(step, token, method, path string, param P, want string) *sim.Response {
	r.t.Helper()
	c := newClient(r.t, r.h, token)
	var kp json.RawMessage
	var resp *sim.Response
	var raw []byte
	if param == nil {
		raw = r.wire(c, method, path, "", false)
	} else {
		b, _ := json.Marshal(param)
		kp = b
		raw = r.wire(c, method, path, base64.StdEncoding.EncodeToString(b), true)
	}
	resp, err := sim.DecodeResponse(raw)
	if err != nil {
		r.t.Fatalf("%s: %v", step, err)
	}
	if resp.Result != want {
		r.t.Fatalf("%s: %s %s: result %s (%s), want %s", step, method, path, resp.Result, resp.ResultInfo, want)
	}
	if want == sim.ResultOK {
		r.covered[method+" "+path] = true
	}
	dec, _ := base64.StdEncoding.DecodeString(string(raw))
	r.ex[r.group] = append(r.ex[r.group], exchange{Step: step, Method: method, Path: path, Token: tokenLabel[token],
		KeyParam: kp, Response: dec})
	return resp
}

// wire returns the raw (Base64) response body.
func (r *recorder) wire(c *client, method, path, kp string, has bool) []byte {
	target := sim.BasePath + "/" + path
	body := ""
	if has {
		body = "KEY_PARAM=" + strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(kp)
	}
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if has {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if c.token != "" {
		req.Header.Set(sim.HeaderToken, c.token)
	}
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	return rec.Body.Bytes()
}

func (r *recorder) ok(step, method, path string, param P) *sim.Response {
	r.t.Helper()
	return r.do(step, tokenA, method, path, param, sim.ResultOK)
}

func (r *recorder) obj(resp *sim.Response) map[string]any    { return dataObj(r.t, resp) }
func (r *recorder) list(resp *sim.Response) []map[string]any { return dataList(r.t, resp) }

func TestGoldenWire(t *testing.T) {
	s, clk := mustOpen(t)
	r := &recorder{t: t, h: s, clk: clk, ex: map[string][]exchange{}, covered: map[string]bool{}}
	goldenScenario(r)
	checkCoverage(t, s, r.covered)
	for i, g := range r.groups {
		name := filepath.Join("testdata", "golden", fmt.Sprintf("%02d_%s.json", i+1, g))
		got, err := json.MarshalIndent(r.ex[g], "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, '\n')
		if *update {
			if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(name, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(name)
		if err != nil {
			t.Fatalf("%v (run go test -run TestGoldenWire -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the simulator's answers: %s\n(run go test -run TestGoldenWire -update if the change is intended)",
				name, firstDiff(want, got))
		}
	}
}

func firstDiff(want, got []byte) string {
	wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := range max(len(wl), len(gl)) {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\n  want %s\n  got  %s", i+1, w, g)
		}
	}
	return "?"
}

// checkCoverage reads the simulator's service listing and checks that the
// scenario called every endpoint successfully at least once.
func checkCoverage(t *testing.T, s *sim.Server, covered map[string]bool) {
	t.Helper()
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", sim.ServicesPath, nil))
	line := regexp.MustCompile(`^(GET|POST|PUT|DELETE)\s+` + regexp.QuoteMeta(sim.BasePath) + `/(\S+)$`)
	n := 0
	sc := bufio.NewScanner(rec.Body)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		n++
		pat := regexp.MustCompile("^" + m[1] + " " + strings.ReplaceAll(regexp.QuoteMeta(m[2]), `\{id\}`, `[^/]+`) + "$")
		hit := false
		for k := range covered {
			if pat.MatchString(k) {
				hit = true
				break
			}
		}
		if !hit {
			t.Errorf("endpoint %s /%s is not exercised by the golden scenario", m[1], m[2])
		}
	}
	if n != 94 { // 92 endpoints of the document plus the two task-log endpoints
		t.Errorf("service listing has %d endpoints, want 94", n)
	}
}

const pemCert = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----"
const pemKey = "-----BEGIN PRIVATE KEY-----\nMIIBfake\n-----END PRIVATE KEY-----"

func goldenScenario(r *recorder) {
	t := r.t
	adv := func(d time.Duration) { r.clk.Advance(d) }

	r.begin("tenant")
	ten := r.obj(r.do("admin creates a tenant", adminToken, "POST", "cloudTenant/create", P{"app.name": "acme",
		"app.cpu.quota": "32", "app.memory.quota": "65536", "app.storage.quota": "1024", "app.portgroup.quota": "5",
		"app.outerip.quota": "4", "app.desc": "示例租户"}, "0"))
	if str(ten, "app.id") == "" {
		t.Fatal("no app.id")
	}
	r.do("a tenant token may not create tenants", tokenA, "POST", "cloudTenant/create", P{"app.name": "x"}, "1")
	r.do("missing app.name", adminToken, "POST", "cloudTenant/create", P{"app.desc": "x"}, "1")

	r.begin("cloudnetwork_vpc")
	vpc := r.obj(r.ok("create a VPC", "POST", "cloudnetwork/vpc/create", P{"vpc.name": "web-net", " vpc.desc": "前端子网"}))
	vpcID := str(vpc, "vpc.id")
	vpc2 := str(r.obj(r.ok("create a second VPC", "POST", "cloudnetwork/vpc/create", P{"vpc.name": "spare"})), "vpc.id")
	r.ok("modify the VPC", "PUT", "cloudnetwork/vpc/modify", P{"vpc.id": vpcID, "vpc.name": "web-net-1", "vpc.desc": "改名"})
	r.ok("search VPCs (all)", "POST", "cloudnetwork/vpc/search", nil)
	r.ok("search VPCs (page 2 of 1 per page)", "POST", "cloudnetwork/vpc/search", P{"page.startnum": "2", "page.everypagenum": "1"})

	r.begin("cloudvm")
	r.ok("list types and models", "GET", "cloudvm/model", nil)
	typ := r.list(r.ok("add a VM type", "POST", "cloudvm/addVhostModelAndType", P{"type": "tenant_type", "label": "消息队列",
		"value": "tenant_mq_model", "description": "云主机类型"}))
	model := r.list(r.ok("add a VM model", "POST", "cloudvm/addVhostModelAndType", P{"type": "tenant_mq_model", "label": "RABBITMQ_3_12",
		"value": "rabbitmq-3-12", "description": "消息队列云主机型号"}))
	created := r.list(r.ok("create a VM from a model (async)", "POST", "cloudvm/create", P{"vm.name": "web", "vm.tenant.model": "centos-7-9",
		"vm.vcpu.num": "2", "vm.memory.mem": "2048", "vnic.portgroupid": vpcID, "vm.vncpasswd": "vnc12345",
		"vm.account.pwd": "Passw0rd!", "vm.hyperv.enable": "false", "vm.vdisk.num": "1", "vm.vdisk.size": "20"}))
	vmID, job := str(created[0], "vm.id"), str(created[0], "jobstartid")
	more := r.list(r.ok("create two VMs from a template", "POST", "cloudvm/create", P{"vm.name": "worker", "vm.template.id": "tpl-ubuntu",
		"vm.vcpu.num": 1, "vm.memory.mem": 1024, "vnic.portgroupid": vpcID, "vm.num": "2"}))
	vm2, vm3 := str(more[0], "vm.id"), str(more[1], "vm.id")
	r.ok("VM detail while installing", "GET", "cloudvm/"+vmID, nil)
	r.ok("task log: queued", "GET", "tasklog/"+job, nil)
	r.do("start refused while installing (locked)", tokenA, "PUT", "cloudvm/start", P{"vm.id": vmID}, "1")
	adv(3 * time.Second)
	r.ok("task log: running", "GET", "tasklog/"+job, nil)
	adv(8 * time.Second)
	r.ok("task log: success", "GET", "tasklog/"+job, nil)
	r.ok("search VMs (all)", "POST", "cloudvm/search", nil)
	r.ok("search VMs by name, paged", "POST", "cloudvm/search", P{"vm.name": "work", "page.startnum": "1", "page.everypagenum": "1"})
	r.ok("search VMs by state and ip", "POST", "cloudvm/search", P{"vm.state": "1", "vm.ip": "10.0.1.2"})
	r.ok("VM detail", "GET", "cloudvm/"+vmID, nil)
	r.ok("modify VM", "PUT", "cloudvm/modify", P{"vm.id": vmID, "vm.name": "web-1", "vm.desc": "前端"})
	r.ok("connection info", "GET", "cloudvm/connection/"+vmID, nil)
	r.ok("reset admin password (async)", "POST", "cloudvm/setadminpwd", P{"vm.id": vmID, "pwd": "N3wPass!"})
	r.ok("resume cloud agent (async)", "POST", "cloudvm/resumeCloudAgent", P{"vm.id": vmID})
	r.ok("edit VNC password", "POST", "cloudvm/editvncpwd", P{"vm.id": vmID, "vm.vncpasswd": "abcd1234"})
	r.ok("reset VNC password", "POST", "cloudvm/setvncpwd", P{"vm.id": vmID})
	r.ok("switch firewalld", "POST", "cloudvm/switchfirewalld", P{"vm.id": vmID, "vm.firewalld.enable*": "true"})
	r.ok("change CPU (async)", "PUT", "cloudvm/cpu/modify", P{"vm.id": vmID, "vm.vcpu.num": "4"})
	r.ok("change memory (async)", "PUT", "cloudvm/mem/modify", P{"vm.id": vmID, "vm.memory.mem": "4096"})
	adv(11 * time.Second)
	r.ok("VM detail after resize", "GET", "cloudvm/"+vmID, nil)
	r.ok("soft shutdown (async)", "PUT", "cloudvm/shutdown", P{"vm.id": vmID})
	r.ok("VM detail while stopping", "GET", "cloudvm/"+vmID, nil)
	adv(11 * time.Second)
	r.ok("start (async)", "PUT", "cloudvm/start", P{"vm.id": vmID})
	adv(11 * time.Second)
	r.ok("restart (async)", "PUT", "cloudvm/restart", P{"vm.id": vmID})
	adv(11 * time.Second)
	r.ok("power off (async)", "PUT", "cloudvm/destroy", P{"vm.id": vm2})
	r.ok("delete VM (async)", "DELETE", "cloudvm/"+vm3, nil)
	adv(11 * time.Second)
	r.do("deleted VM is gone", tokenA, "GET", "cloudvm/"+vm3, nil, "1")
	r.ok("delete the VM model", "DELETE", "cloudvm/delVhostModelAndType/"+str(model[0], "id"), nil)
	r.ok("delete the VM type", "DELETE", "cloudvm/delVhostModelAndType/"+str(typ[0], "id"), nil)
	r.ok("task log search for the VM", "POST", "tasklog/search", P{"task.objid": vmID, "page.startnum": "1", "page.everypagenum": "3"})

	r.begin("vdisk")
	stor := r.list(r.ok("storages (for the PV)", "POST", "cloudstorage/search", nil))
	cephID := ""
	for _, st := range stor {
		if str(st, "storage.type") == "CEPH" {
			cephID = str(st, "storage.id")
		}
	}
	d := r.obj(r.ok("add a disk (task)", "POST", "cloudvm/vdisk/add", P{"vdisk.vmid": vmID, "vdisk.size": "50", "vdisk.desc": "日志盘"}))
	diskID := str(d, "vdisk.id")
	r.ok("search disks", "POST", "cloudvm/vdisk/search", P{"vdisk.vmid": vmID})
	adv(11 * time.Second)
	r.ok("extend the disk (task)", "PUT", "cloudvm/vdisk/extend", P{"vdisk.id": diskID, "vdisk.size": "80"})
	adv(11 * time.Second)
	r.ok("delete the disk (task)", "DELETE", "cloudvm/vdisk/"+diskID, nil)
	adv(11 * time.Second)
	r.ok("search disks after delete", "POST", "cloudvm/vdisk/search", P{"vdisk.vmid": vmID})
	r.ok("create a PV disk on Ceph", "POST", "cloudvm/vdisk/create/pv", P{"vdisk.name": "pvc-data", "vdisk.size": "10",
		"vdisk.storageid": cephID, "vdisk.use.type": "volume", "vdisk.desc": "k8s"})

	r.begin("vnic")
	r.ok("search NICs", "POST", "cloudvm/vnic/search", P{"vnic.vmid": vmID})
	r.ok("add a NIC", "POST", "cloudvm/vnic/add", P{"vnic.vmid": vmID, "vnic.portgroupid": vpc2})

	r.begin("backup")
	b := r.obj(r.ok("create a backup (async)", "POST", "cloudvm/backup/create", P{"backup.vmid": vmID, "backup.name": "daily", "backup.desc": "每日"}))
	r.ok("list backups while creating", "GET", "cloudvm/backup/"+vmID, nil)
	adv(11 * time.Second)
	r.ok("modify backup", "PUT", "cloudvm/backup/modify", P{"backup.id": str(b, "backup.id"), "backup.desc": "每日备份"})
	r.ok("restore backup (async)", "PUT", "cloudvm/backup/restore", P{"backup.id": str(b, "backup.id")})
	adv(11 * time.Second)
	r.ok("list backups", "GET", "cloudvm/backup/"+vmID, nil)
	r.ok("delete backup", "DELETE", "cloudvm/backup/"+str(b, "backup.id"), nil)

	r.begin("snapshot")
	sn := r.obj(r.ok("create a snapshot (async)", "POST", "cloudvm/snapshot/create", P{"snapshot.vmid": vmID, "snapshot.name": "before-upgrade"}))
	r.do("VM locked while the snapshot is made", tokenA, "PUT", "cloudvm/restart", P{"vm.id": vmID}, "1")
	adv(11 * time.Second)
	r.ok("list snapshots", "GET", "cloudvm/snapshot/"+vmID, nil)
	r.ok("modify snapshot", "PUT", "cloudvm/snapshot/modify", P{"snapshot.id": str(sn, "snapshot.id"), "snapshot.desc": "升级前"})
	r.ok("restore snapshot (async)", "PUT", "cloudvm/snapshot/restore", P{"snapshot.id": str(sn, "snapshot.id")})
	adv(11 * time.Second)
	r.ok("delete snapshot", "DELETE", "cloudvm/snapshot/"+str(sn, "snapshot.id"), nil)

	r.begin("cloudmonitor")
	adv(5 * time.Minute)
	mon := P{"monitor.obj.type": "vm", "monitor.obj": vmID}
	r.ok("compute current", "POST", "cloudmonitor/compute/current", mon)
	r.ok("compute history, minute line", "POST", "cloudmonitor/compute/history", P{"monitor.obj.type": "vm", "monitor.obj": vmID, "lineType": "minute"})
	r.ok("compute history, hour line", "POST", "cloudmonitor/compute/history", P{"monitor.obj.type": "vm", "monitor.obj": vmID, "lineType": "hour"})
	r.ok("disk history, day line", "POST", "cloudmonitor/disk/history", P{"monitor.obj.type": "vm", "monitor.obj": vmID, "lineType": "day"})
	r.ok("net history, minute line", "POST", "cloudmonitor/net/history", P{"monitor.obj.type": "vm", "monitor.obj": vmID, "lineType": "minute"})
	r.ok("every disk current", "POST", "cloudmonitor/everydisk/current", mon)
	r.ok("every NIC current", "POST", "cloudmonitor/everynet/current", mon)
	r.ok("compute currents, VMs (one stopped, one unknown)", "POST", "cloudmonitor/compute/currents",
		P{"monitor.obj.type": "vm", "monitor.objids": []string{vmID, vm2, "nope"}})
	hosts := r.list(r.ok("hosts (for the batch)", "POST", "cloudhost/search", P{"page.startnum": "1", "page.everypagenum": "2"}))
	r.ok("compute currents, hosts", "POST", "cloudmonitor/compute/currents",
		P{"monitor.obj.type": "host", "monitor.objids": []string{str(hosts[0], "host.id"), str(hosts[1], "host.id")}})
	r.do("lineType is required", tokenA, "POST", "cloudmonitor/net/history", mon, "1")

	r.begin("vroute")
	vr := r.list(r.ok("create an HA virtual router", "POST", "vroute/create", P{"vroute.name": "edge", "vroute.ha.enable": "true"}))
	vrID := str(vr[0], "vm.id")
	r.do("attach a subnet before the router is ready", tokenA, "POST", "vroute/vpcAdd", P{"portgroup.id": vpcID}, "1")
	adv(11 * time.Second)
	r.ok("router detail", "GET", "vroute/"+vrID, nil)
	r.ok("attach a subnet", "POST", "vroute/vpcAdd", P{"portgroup.id": vpcID})
	r.ok("attach the spare subnet", "POST", "vroute/vpcAdd", P{"portgroup.id": vpc2})
	r.ok("detach the spare subnet", "POST", "vroute/vpcDelete", P{"portgroup.id": vpc2})

	r.begin("cloudnetwork_nat")
	share := r.obj(r.ok("IP mapping for a VM", "POST", "cloudnetwork/sharenet/connect", P{"vm.id": vmID, "vm.allow.srcip": "198.51.100.0/24,192.0.2.7", "desc": "办公网"}))
	r.ok("search IP mappings", "POST", "cloudnetwork/sharenet/search", P{"page.startnum": "1", "page.everypagenum": "10"})
	r.do("IP mapping search needs paging", tokenA, "POST", "cloudnetwork/sharenet/search", P{}, "1")
	free := r.list(r.ok("free outer IPs for IP mapping", "POST", "cloudip/mapping/outerIp/search", P{"nat.type": "ip", "page.startnum": "1", "page.everypagenum": "2"}))
	pm := r.obj(r.ok("port mapping", "POST", "cloudnetwork/portMapping/create", P{"innerIp": "10.0.1.2", "innerPort": "22",
		"ipaddress": str(free[0], "ipaddress"), "outerPort": "10022", "protocal": "tcp", "sourceIp": "0.0.0.0/0", "desc": "ssh"}))
	r.ok("second port on the same outer IP", "POST", "cloudnetwork/portMapping/create", P{"innerIp": "10.0.1.2", "innerPort": "80",
		"ipaddress": str(free[0], "ipaddress"), "outerPort": "10080", "protocal": "tcp"})
	r.do("outer port already mapped", tokenA, "POST", "cloudnetwork/portMapping/create", P{"innerIp": "10.0.1.2", "innerPort": "443",
		"ipaddress": str(free[0], "ipaddress"), "outerPort": "10080", "protocal": "tcp"}, "1")
	r.ok("outer IPs for port mapping", "POST", "cloudip/mapping/outerIp/search", P{"nat.type": "port", "ipaddress": "203.0.113.1", "page.startnum": "1", "page.everypagenum": "3"})
	r.ok("outer IPs mapped to an inner IP", "POST", "cloudip/mapping/outerIp/search", P{"inner.ip": "10.0.1.2"})
	r.ok("router mappings", "POST", "vroute/Mapping/search", P{"natVrouteid": vrID})
	r.ok("router port mappings, paged", "POST", "vroute/Mapping/search", P{"natType": "port", "page.startnum": "1", "page.everypagenum": "1"})
	r.ok("delete the port mapping", "DELETE", "cloudnetwork/ipmapping/"+str(pm, "nat.id"), nil)
	_ = share
	acl := r.obj(r.ok("add an access rule", "POST", "cloudnetwork/acessrule/add", P{"vm.ip": "10.0.1.2", "aclrule.type": "net_inner",
		"allow.direction": "in", "allow.internalport": "80:83,85", "allow.sourceips": "10.0.2.0/24", "allow.protocol": "tcp", "aclrule.desc": "web"}))
	r.ok("search access rules", "POST", "cloudnetwork/acessrule/search", P{"aclrule_type": "net_inner", "page.startnum": "1", "page.everypagenum": "10"})
	r.ok("delete the access rule", "DELETE", "cloudnetwork/acessrule/"+str(acl, "rule.id"), nil)
	r.ok("open the border firewall", "POST", "cloudnetwork/netgate", P{"portgroup.id": vpcID, "type": "open"})
	r.ok("close the border firewall", "POST", "cloudnetwork/netgate", P{"portgroup.id": vpcID, "type": "close"})
	spare := str(r.obj(r.ok("create a throwaway VPC", "POST", "cloudnetwork/vpc/create", P{"vpc.name": "tmp"})), "vpc.id")
	r.ok("delete the throwaway VPC", "POST", "cloudnetwork/vpc/delete", P{"vpc.id": spare})
	r.do("a VPC with NICs is not deleted", tokenA, "POST", "cloudnetwork/vpc/delete", P{"vpc.id": vpcID}, "1")

	r.begin("resourcequota")
	r.ok("resource pool total", "POST", "resourcequota/search", nil)
	tenantA := ""
	for _, ts := range r.h.Status().Tenants {
		for _, tok := range ts.Tokens {
			if tok == tokenA {
				tenantA = ts.ID
			}
		}
	}
	r.ok("usable quota", "POST", "resourcequota/usableQuota", P{"tenant.id": tenantA})
	r.ok("modify quota", "PUT", "resourcequota/modify", P{"tenantId": tenantA, "cpu": "48", "memory": "98304", "storage": "4096", "ip": "6", "vpc": "8"})
	r.ok("usable quota after modify", "POST", "resourcequota/usableQuota", P{"tenant.id": tenantA})
	r.do("another tenant's quota is not visible", tokenB, "POST", "resourcequota/usableQuota", P{"tenant.id": tenantA}, "1")

	r.begin("cloudslb")
	ips := r.list(r.ok("a free outer IP", "POST", "cloudip/mapping/outerIp/search", P{"nat.type": "ip", "page.startnum": "1", "page.everypagenum": "2"}))
	slb := r.obj(r.ok("add a load balancer", "POST", "cloudslb/add", P{"slb.name": "web-lb", "slb.appid": tenantA,
		"slb.protocal.type": "HTTP", "slb.network.type": "outter", "slb.directip": str(ips[0], "ipaddress"), "slb.directport": "80",
		"slb.realport": "8080", "slb.vmid": vrID, "slb.policy.type": "wrr", "slb.health.retrytime": "3",
		"realnode": []P{{"realnode.name": "web-1", "realnode.ip": "10.0.1.2", "realnode.port": "8080", "realnode.vmid": vmID, "realnode.weight": "5"}}}))
	slbID := str(slb, "slb.id")
	r.ok("search load balancers", "POST", "cloudslb/search", P{"slb.protocal.type": "http", "search.orderby": "name"})
	r.ok("modify", "PUT", "cloudslb/modify", P{"slb.id": slbID, "slb.desc": "前端负载", "slb.maxoccurs": "2000"})
	r.ok("modify via the document's path \"cloud slb/modify\"", "PUT", "cloud%20slb/modify", P{"slb.id": slbID, "slb.policy.type": "wlc"})
	r.ok("stop", "POST", "cloudslb/stop", P{"slb.id": slbID})
	r.ok("start", "POST", "cloudslb/start", P{"slb.id": slbID})
	https := r.obj(r.ok("add an https load balancer", "POST", "cloudslb/add", P{"slb.name": "tls-lb", "slb.appid": tenantA,
		"slb.protocal.type": "HTTPS", "slb.network.type": "inner", "slb.directip": "10.0.1.200", "slb.directport": "443",
		"slb.vmid": vrID, "slb.https.cert.text": pemCert, "slb.https.cert.key": pemKey}))
	r.ok("configure the https certificate", "PUT", "cloudslb/https/cert/conf", P{"slb.id": str(https, "slb.id"),
		"slb.https.cert.text": pemCert, "slb.https.cert.key": pemKey})
	r.do("https needs a certificate", tokenA, "POST", "cloudslb/add", P{"slb.name": "bad", "slb.appid": tenantA,
		"slb.protocal.type": "HTTPS", "slb.network.type": "inner", "slb.directip": "10.0.1.201", "slb.directport": "443", "slb.vmid": vrID}, "1")
	r.ok("delete the https load balancer", "DELETE", "cloudslb/"+str(https, "slb.id"), nil)

	r.begin("realnode")
	rn := r.obj(r.ok("add a back end", "POST", "cloudslb/realnode/add", P{"realnode.slbid": slbID, "realnode.name": "web-2",
		"realnode.ip": "10.0.1.3", "realnode.port": "8080", "realnode.vmid": vm2, "realnode.weight": "3"}))
	r.ok("search back ends", "POST", "cloudslb/realnode/search", P{"realnode.port": "8080", "search.orderby": "name", "page.startnum": "1", "page.everypagenum": "5"})
	r.ok("modify a back end", "PUT", "cloudslb/realnode/modify", P{"realnode.id": str(rn, "realnode.id"), "realnode.weight": "7"})
	r.ok("delete a back end", "DELETE", "cloudslb/realnode/"+str(rn, "realnode.id"), nil)
	r.ok("delete the load balancer", "DELETE", "cloudslb/"+slbID, nil)

	r.begin("cloudhost")
	r.ok("all hosts", "POST", "cloudhost/search", nil)
	r.ok("host by ip", "POST", "cloudhost/search", P{"host.ip": "192.168.10.12"})

	r.begin("cloudalarm")
	r.ok("alarms, paged", "POST", "cloudalarm/search", P{"page.startnum": "1", "page.everypagenum": "2"})
	r.ok("alarms, unpaged (isfindPage)", "POST", "cloudalarm/search", P{"isfindPage": true, "alarm.relieve.way": "none"})
	r.ok("alarms in a time window", "POST", "cloudalarm/search", P{"isfindPage": "true", "alarm.starttime": "2024-05-17 00:00:00", "alarm.endtime": "2024-05-19 18:00:00"})
	r.do("alarms need paging", tokenA, "POST", "cloudalarm/search", P{"alarm.level": "high"}, "1")

	r.begin("cloudstorage")
	r.ok("storages, paged", "POST", "cloudstorage/search", P{"page.startnum": "1", "page.everypagenum": "2"})

	r.begin("cloudsegroup")
	sg := r.obj(r.ok("create a security group", "POST", "cloudsegroup/create", P{" securitygroup.name": "web-sg", " securitygroup.desc": "web"}))
	sgID := str(sg, "securitygroup.id")
	r.ok("search security groups", "POST", "cloudsegroup/search", P{" securitygroup.name": "web"})
	nics := r.list(r.ok("NICs of the stopped VM", "POST", "cloudvm/vnic/search", P{"vnic.vmid": vm2}))
	r.ok("add a rule", "POST", "cloudsegroup/rule/add", P{"aclrule.vmport": "80,443", "aclrule.srcip": "0.0.0.0/0",
		"aclrule.direction": "in", "aclrule.protocal": "tcp", "aclrule. securitygroupid": sgID})
	r.ok("bind NICs", "POST", "cloudsegroup/vnic/bind", P{" securitygroup.id": sgID, "vnic.id": str(nics[0], "vnic.id")})
	r.ok("NICs of the group", "POST", "cloudsegroup/vnic/search", P{"securitygroup.id": sgID})
	rules := r.list(r.ok("search rules", "POST", "cloudsegroup/rule/search", P{"aclrule.securitygroupid": sgID, "aclrule.direction": "in"}))
	r.ok("rules of the VM (not in effect: VM stopped)", "POST", "cloudsegroup/rule/vm", P{"vm.id": vm2})
	r.ok("rules not in effect", "POST", "cloudsegroup/retryrule/search", P{"vm.id": vm2})
	r.ok("retry them (VM still stopped)", "PUT", "cloudsegroup/retryrule/reset", nil)
	r.ok("retry count went up", "POST", "cloudsegroup/retryrule/search", P{"securitygroup.id": sgID, "page.startnum": "1", "page.everypagenum": "5"})
	r.ok("start the VM", "PUT", "cloudvm/start", P{"vm.id": vm2})
	adv(11 * time.Second)
	r.ok("retry again (VM running)", "PUT", "cloudsegroup/retryrule/reset", P{"vm.id": vm2})
	r.ok("rules of the VM (in effect)", "POST", "cloudsegroup/rule/vm", P{"vm.id": vm2, "page.startnum": "1", "page.everypagenum": "5"})
	r.do("a bound group is not deleted", tokenA, "DELETE", "cloudsegroup/"+sgID, nil, "1")
	r.ok("unbind via the document's path \"cloudsegroup /vnic/unbind\"", "POST", "cloudsegroup%20/vnic/unbind", P{"securitygroup.id": sgID, "vnic.id": str(nics[0], "vnic.id")})
	r.ok("NICs of the group after unbind", "POST", "cloudsegroup/vnic/search", P{"securitygroup.id": sgID})
	r.ok("delete the rule", "DELETE", "cloudsegroup/rule/"+str(rules[0], "aclrule_id"), nil)
	r.ok("delete the group", "DELETE", "cloudsegroup/"+sgID, nil)
	sg2 := str(r.obj(r.ok("create another group", "POST", "cloudsegroup/create", P{"securitygroup.name": "tmp"})), "securitygroup.id")
	r.ok("bind via the plain path", "POST", "cloudsegroup/vnic/bind", P{"securitygroup.id": sg2, "vnic.id": str(nics[0], "vnic.id")})
	r.ok("unbind via the plain path", "POST", "cloudsegroup/vnic/unbind", P{"securitygroup.id": sg2, "vnic.id": str(nics[0], "vnic.id")})

	r.begin("tasklog")
	r.ok("recent tasks, paged", "POST", "tasklog/search", P{"page.startnum": "1", "page.everypagenum": "3"})
	r.ok("tasks by startid", "POST", "tasklog/search", P{"startid": job})
	r.do("unknown task", tokenA, "GET", "tasklog/999999", nil, "1")
	r.do("another tenant's task is not visible", tokenB, "GET", "tasklog/"+job, nil, "1")

	r.begin("errors")
	r.do("no token", "", "POST", "cloudvm/search", P{}, "1003")
	r.do("bad token", "bad-token", "GET", "cloudvm/"+vmID, nil, "1003")
	r.do("missing required field", tokenA, "PUT", "cloudvm/start", P{}, "1")
	r.do("value out of range", tokenA, "POST", "cloudvm/search", P{"page.startnum": "1", "page.everypagenum": "31"}, "1")
	r.do("wrong method", tokenA, "POST", "cloudvm/start", P{"vm.id": vmID}, "1")
	r.do("unknown endpoint", tokenA, "POST", "cloudvm/nothing/here", P{}, "1")
	r.do("other tenant's VM", tokenB, "GET", "cloudvm/"+vmID, nil, "1")
}
