package starvcentersim_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sim "github.com/skyfold/skyfold/internal/sim/starvcenter"
)

func TestBadToken(t *testing.T) {
	s, _ := mustOpen(t)
	for _, tc := range []struct {
		name, token, method, path string
	}{
		{"missing token", "", "POST", "cloudvm/search"},
		{"unknown token", "nope", "POST", "cloudvm/search"},
		{"unknown token on GET", "nope", "GET", "cloudvm/model"},
		{"unknown token on DELETE", "nope", "DELETE", "cloudvm/abc"},
		{"unknown token on admin call", "nope", "POST", "cloudTenant/create"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, s, tc.token)
			r := c.refused(sim.ResultAuthError, tc.method, tc.path, P{"app.name": "x"}, "认证失败")
			if len(r.Data) != 0 {
				t.Errorf("1003 carries data %s", r.Data)
			}
		})
	}
	// Token check comes before parameter decoding: a bad token with bad Base64 is still 1003.
	c := newClient(t, s, "nope")
	if _, r := c.rawCall("POST", "cloudvm/create", "%%%", true); r.Result != sim.ResultAuthError {
		t.Errorf("bad token + bad param: result %s", r.Result)
	}
}

func TestMissingRequiredFieldNamesIt(t *testing.T) {
	s, clk := mustOpen(t)
	c := newClient(t, s, tokenA)
	w := makeWorld(t, c, clk)
	for _, tc := range []struct {
		method, path string
		param        P
		field        string
	}{
		{"POST", "cloudvm/create", P{"vm.memory.mem": "1024", "vnic.portgroupid": w.vpc}, "vm.vcpu.num"},
		{"POST", "cloudvm/create", P{"vm.vcpu.num": "1", "vnic.portgroupid": w.vpc}, "vm.memory.mem"},
		{"POST", "cloudvm/create", P{"vm.vcpu.num": "1", "vm.memory.mem": "1024"}, "vnic.portgroupid"},
		{"PUT", "cloudvm/start", P{}, "vm.id"},
		{"PUT", "cloudvm/cpu/modify", P{"vm.id": w.vm}, "vm.vcpu.num"},
		{"POST", "cloudvm/setadminpwd", P{"vm.id": w.vm}, "pwd"},
		{"POST", "cloudvm/editvncpwd", P{"vm.id": w.vm}, "vm.vncpasswd"},
		{"POST", "cloudvm/switchfirewalld", P{"vm.id": w.vm}, "vm.firewalld.enable"},
		{"POST", "cloudvm/addVhostModelAndType", P{"type": "tenant_type", "label": "x"}, "value"},
		{"PUT", "cloudnetwork/vpc/modify", P{}, "vpc.id"},
		{"POST", "cloudnetwork/portMapping/create", P{"innerIp": w.vmIP, "innerPort": "22", "ipaddress": "203.0.113.20", "outerPort": "2222"}, "protocal"},
		{"POST", "cloudnetwork/acessrule/add", P{"vm.ip": w.vmIP}, "aclrule.type"},
		{"POST", "cloudnetwork/acessrule/add", P{"vm.ip": w.vmIP, "aclrule.type": "net_inner"}, "allow.direction"},
		{"POST", "cloudnetwork/netgate", P{"portgroup.id": w.vpc}, "type"},
		{"POST", "cloudvm/vdisk/add", P{"vdisk.vmid": w.vm}, "vdisk.size"},
		{"POST", "cloudvm/vdisk/create/pv", P{"vdisk.name": "x", "vdisk.size": "1"}, "vdisk.storageid"},
		{"POST", "cloudvm/backup/create", P{"backup.vmid": w.vm}, "backup.name"},
		{"POST", "cloudvm/snapshot/create", P{"snapshot.name": "s"}, "snapshot.vmid"},
		{"POST", "cloudmonitor/compute/history", P{"monitor.obj.type": "vm", "monitor.obj": w.vm}, "lineType"},
		{"POST", "cloudmonitor/compute/currents", P{"monitor.obj.type": "vm"}, "monitor.objids"},
		{"PUT", "resourcequota/modify", P{"tenantId": "x", "cpu": "1", "memory": "1", "storage": "1", "ip": "1"}, "vpc"},
		{"POST", "resourcequota/usableQuota", P{}, "tenant.id"},
		{"POST", "cloudslb/add", P{"slb.name": "x"}, "slb.appid"},
		{"POST", "cloudslb/realnode/add", P{"realnode.slbid": "x", "realnode.ip": "10.0.0.1", "realnode.port": "80"}, "realnode.vmid"},
		{"POST", "cloudsegroup/create", P{}, "securitygroup.name"},
		{"POST", "cloudsegroup/vnic/bind", P{"securitygroup.id": "x"}, "vnic.id"},
		{"POST", "cloudsegroup/rule/add", P{"aclrule.securitygroupid": "x"}, "aclrule.direction"},
		{"POST", "cloudsegroup/rule/search", P{}, "aclrule.securitygroupid"},
		{"POST", "cloudalarm/search", P{"page.startnum": "1"}, "page.everypagenum"},
		{"POST", "vroute/vpcDelete", P{}, "portgroup.id"},
	} {
		t.Run(tc.path+"/"+tc.field, func(t *testing.T) {
			c.on(t).refused(sim.ResultFailed, tc.method, tc.path, tc.param, tc.field)
		})
	}
	// The admin-only tenant creation names its field too.
	newClient(t, s, adminToken).refused(sim.ResultFailed, "POST", "cloudTenant/create", P{}, "app.name")
}

// snapshotState is what the simulator holds, for "nothing changed" checks.
func snapshotState(t *testing.T, s *sim.Server) string {
	t.Helper()
	st := s.Status()
	b, err := json.Marshal(struct {
		T any
		C any
		O int
	}{st.Tenants, st.Counts, st.OpenTasks})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestInvalidParamChangesNothing(t *testing.T) {
	s, clk := mustOpen(t)
	c := newClient(t, s, tokenA)
	w := makeWorld(t, c, clk)
	before := snapshotState(t, s)
	enc := base64.StdEncoding.EncodeToString
	for _, tc := range []struct {
		name, method, path, param, info string
	}{
		{"not base64", "POST", "cloudvm/create", "!!!not-base64!!!", "Base64"},
		{"base64 of non-JSON", "POST", "cloudnetwork/vpc/create", enc([]byte("vpc.name=x")), "JSON"},
		{"JSON array", "POST", "cloudnetwork/vpc/create", enc([]byte(`[{"vpc.name":"x"}]`)), "JSON"},
		{"JSON with trailing garbage", "POST", "cloudnetwork/vpc/create", enc([]byte(`{"vpc.name":"x"} {}`)), "JSON"},
		{"truncated JSON", "PUT", "cloudvm/destroy", enc([]byte(`{"vm.id":"` + w.vm)), "JSON"},
		{"JSON null", "POST", "cloudsegroup/create", enc([]byte(`null`)), "JSON"},
		{"invalid UTF-8 base64 tail", "DELETE", "cloudvm/" + w.vm, "e30=e30=", "Base64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, r := c.on(t).rawCall(tc.method, tc.path, tc.param, true)
			if r.Result != sim.ResultFailed || !strings.Contains(r.ResultInfo, tc.info) {
				t.Fatalf("result %s %q, want 1 mentioning %s", r.Result, r.ResultInfo, tc.info)
			}
			if after := snapshotState(t, s); after != before {
				t.Fatalf("state changed:\n before %s\n after  %s", before, after)
			}
		})
	}
	vm := dataObj(t, c.ok("GET", "cloudvm/"+w.vm, nil))
	if str(vm, "vm.state") != "1" || str(vm, "vm.lock") != "0" {
		t.Errorf("vm changed: %v", vm)
	}
	// Java-style line-wrapped Base64 and unescaped '+' (read as ' ') are accepted.
	p, _ := json.Marshal(P{"vpc.name": strings.Repeat("长名字", 12)})
	wrapped := enc(p)
	wrapped = wrapped[:40] + "\r\n" + wrapped[40:]
	if _, r := c.rawCall("POST", "cloudnetwork/vpc/create", wrapped, true); r.Result != sim.ResultOK {
		t.Errorf("wrapped base64: %s %s", r.Result, r.ResultInfo)
	}
}

func TestLockedVMRefusedWithLockName(t *testing.T) {
	s, clk := mustOpen(t)
	c := newClient(t, s, tokenA)
	w := makeWorld(t, c, clk)
	ops := []struct{ method, path string }{
		{"PUT", "cloudvm/start"}, {"PUT", "cloudvm/destroy"}, {"PUT", "cloudvm/shutdown"}, {"PUT", "cloudvm/restart"},
		{"PUT", "cloudvm/modify"}, {"POST", "cloudvm/setvncpwd"}, {"PUT", "cloudvm/cpu/modify"},
		{"POST", "cloudvm/vdisk/add"}, {"POST", "cloudvm/snapshot/create"}, {"POST", "cloudvm/backup/create"},
	}
	param := P{"vm.id": w.vm, "vm.vcpu.num": "2", "vdisk.vmid": w.vm, "vdisk.size": "1", "snapshot.vmid": w.vm,
		"snapshot.name": "s", "backup.vmid": w.vm, "backup.name": "b"}
	for code, name := range sim.LockNames {
		if code == sim.LockNone {
			continue
		}
		t.Run(name, func(t *testing.T) {
			c := c.on(t)
			if err := s.SetVMState(w.vm, sim.VMRunning, code); err != nil {
				t.Fatal(err)
			}
			for _, op := range ops {
				c.refused(sim.ResultFailed, op.method, op.path, param, name, fmt.Sprintf("锁定代码%d", code))
			}
			c.refused(sim.ResultFailed, "DELETE", "cloudvm/"+w.vm, nil, name)
			// Reading is still allowed.
			c.ok("GET", "cloudvm/"+w.vm, nil)
		})
	}
	if err := s.SetVMState(w.vm, sim.VMRunning, sim.LockNone); err != nil {
		t.Fatal(err)
	}
	// A lock set by an operation: the snapshot being made.
	c.ok("POST", "cloudvm/snapshot/create", P{"snapshot.vmid": w.vm, "snapshot.name": "s1"})
	c.refused(sim.ResultFailed, "PUT", "cloudvm/destroy", P{"vm.id": w.vm}, "快照创建中")
	clk.Advance(11 * time.Second)
	c.ok("PUT", "cloudvm/destroy", P{"vm.id": w.vm})
	c.refused(sim.ResultFailed, "PUT", "cloudvm/start", P{"vm.id": w.vm}, "停止中")
}

func TestQuotaExceeded(t *testing.T) {
	s, clk := mustOpen(t)
	admin := newClient(t, s, adminToken)
	id := str(dataObj(t, admin.ok("POST", "cloudTenant/create", P{"app.name": "small", "app.cpu.quota": "4",
		"app.memory.quota": "4096", "app.storage.quota": "100", "app.portgroup.quota": "1", "app.outerip.quota": "1"})), "app.id")
	if got, err := s.AddToken("small-token", id); err != nil || got != id {
		t.Fatalf("AddToken: %v %v", got, err)
	}
	c := newClient(t, s, "small-token")
	w := makeWorld(t, c, clk) // 2 CPU, 2048 MB, 40 GB, 1 subnet

	t.Run("cpu", func(t *testing.T) {
		c := c.on(t)
		c.refused(sim.ResultFailed, "POST", "cloudvm/create", P{"vm.vcpu.num": "4", "vm.memory.mem": "512", "vnic.portgroupid": w.vpc},
			"CPU配额不足", "配额4核", "已使用2核", "本次申请4核")
		c.refused(sim.ResultFailed, "PUT", "cloudvm/cpu/modify", P{"vm.id": w.vm, "vm.vcpu.num": "5"}, "CPU配额不足", "已使用2核")
	})
	t.Run("memory across vm.num", func(t *testing.T) {
		c := c.on(t)
		c.refused(sim.ResultFailed, "POST", "cloudvm/create", P{"vm.vcpu.num": "1", "vm.memory.mem": "1536", "vm.num": "2",
			"vnic.portgroupid": w.vpc}, "内存配额不足", "配额4096MB", "已使用2048MB", "本次申请3072MB")
	})
	t.Run("storage", func(t *testing.T) {
		c := c.on(t)
		c.refused(sim.ResultFailed, "POST", "cloudvm/vdisk/add", P{"vdisk.vmid": w.vm, "vdisk.size": "61"},
			"存储配额不足", "配额100GB", "已使用40GB", "本次申请61GB")
	})
	t.Run("subnets", func(t *testing.T) {
		c := c.on(t)
		c.refused(sim.ResultFailed, "POST", "cloudnetwork/vpc/create", P{"vpc.name": "second"}, "子网配额不足", "配额1个", "已使用1个")
	})
	t.Run("outer ips", func(t *testing.T) {
		c := c.on(t)
		c.ok("POST", "cloudnetwork/portMapping/create", P{"innerIp": w.vmIP, "innerPort": "22", "ipaddress": "203.0.113.20",
			"outerPort": "2222", "protocal": "tcp"})
		// Another port on the same address costs nothing more.
		c.ok("POST", "cloudnetwork/portMapping/create", P{"innerIp": w.vmIP, "innerPort": "80", "ipaddress": "203.0.113.20",
			"outerPort": "8080", "protocal": "tcp"})
		c.refused(sim.ResultFailed, "POST", "cloudnetwork/portMapping/create", P{"innerIp": w.vmIP, "innerPort": "22",
			"ipaddress": "203.0.113.21", "outerPort": "2222", "protocal": "tcp"}, "外网IP配额不足", "配额1个", "已使用1个")
		c.refused(sim.ResultFailed, "POST", "cloudnetwork/sharenet/connect", P{"vm.id": w.vm}, "外网IP配额不足")
	})
	t.Run("raised quota admits", func(t *testing.T) {
		c, admin := c.on(t), admin.on(t)
		admin.ok("PUT", "resourcequota/modify", P{"tenantId": id, "cpu": "8", "memory": "8192", "storage": "500", "ip": "2", "vpc": "2"})
		c.ok("POST", "cloudvm/create", P{"vm.vcpu.num": "4", "vm.memory.mem": "512", "vnic.portgroupid": w.vpc})
		q := dataObj(t, c.ok("POST", "resourcequota/usableQuota", P{"tenant.id": id}))
		if q["cpu"] != float64(2) || q["countCpu"] != float64(8) || q["outerIpSize"] != float64(1) {
			t.Errorf("usable quota %v", q)
		}
	})
}

func TestAsyncTaskProgressesThroughTaskLog(t *testing.T) {
	s, clk := mustOpen(t)
	c := newClient(t, s, tokenA)
	vpc := str(dataObj(t, c.ok("POST", "cloudnetwork/vpc/create", nil)), "vpc.id")
	l := dataList(t, c.ok("POST", "cloudvm/create", P{"vm.vcpu.num": "1", "vm.memory.mem": "1024", "vnic.portgroupid": vpc}))
	vmID, job := str(l[0], "vm.id"), str(l[0], "jobstartid")
	step := func(wantTask, wantVM, wantLock string) {
		t.Helper()
		task := dataObj(t, c.ok("GET", "tasklog/"+job, nil))
		vm := dataObj(t, c.ok("GET", "cloudvm/"+vmID, nil))
		if str(task, "task.state") != wantTask || str(vm, "vm.state") != wantVM || str(vm, "vm.lock") != wantLock {
			t.Fatalf("task %s (%s) vm %s lock %s, want %s %s %s", str(task, "task.state"), str(task, "task.statename"),
				str(vm, "vm.state"), str(vm, "vm.lock"), wantTask, wantVM, wantLock)
		}
	}
	step("3", "3", "12") // queued; VM installing, locked "安装中"
	clk.Advance(2 * time.Second)
	step("2", "3", "12") // running
	clk.Advance(5 * time.Second)
	if p := str(dataObj(t, c.ok("GET", "tasklog/"+job, nil)), "task.progress"); p != "62" {
		t.Errorf("progress %s, want 62", p)
	}
	clk.Advance(3 * time.Second)
	step("0", "1", "0") // success; running and unlocked

	// A start of a stopped VM goes through the same states and leaves it running.
	c.ok("PUT", "cloudvm/destroy", P{"vm.id": vmID})
	clk.Advance(10 * time.Second)
	start := c.ok("PUT", "cloudvm/start", P{"vm.id": vmID})
	if start.StartID == "" || len(start.Data) != 0 {
		t.Fatalf("start: startid %q data %s", start.StartID, start.Data)
	}
	job = start.StartID
	step("3", "0", "7")
	clk.Advance(10 * time.Second)
	step("0", "1", "0")

	// Task failures injected at run time end in code 1 and undo the lock.
	fail := 1.0
	if err := postJSON(s, "/_sim/config", sim.RuntimeConfig{TaskFailRate: &fail}); err != nil {
		t.Fatal(err)
	}
	job = c.ok("PUT", "cloudvm/restart", P{"vm.id": vmID}).StartID
	clk.Advance(10 * time.Second)
	step("1", "1", "0")
}

func TestPaging(t *testing.T) {
	s, _ := mustOpen(t)
	c := newClient(t, s, tokenA)
	for i := range 7 {
		c.ok("POST", "cloudsegroup/create", P{"securitygroup.name": fmt.Sprintf("g%d", i)})
	}
	names := func(r *sim.Response) string {
		var out []string
		for _, m := range dataList(t, r) {
			out = append(out, str(m, "securitygroup.name"))
		}
		return strings.Join(out, ",")
	}
	for _, tc := range []struct {
		name  string
		param P
		want  string
	}{
		{"no paging parameters means all", P{}, "g0,g1,g2,g3,g4,g5,g6"},
		{"no KEY_PARAM at all means all", nil, "g0,g1,g2,g3,g4,g5,g6"},
		{"first page", P{"page.startnum": "1", "page.everypagenum": "3"}, "g0,g1,g2"},
		{"startnum is a page number", P{"page.startnum": "3", "page.everypagenum": "3"}, "g6"},
		{"numbers as JSON numbers", P{"page.startnum": 2, "page.everypagenum": 3}, "g3,g4,g5"},
		{"past the end", P{"page.startnum": "9", "page.everypagenum": "30"}, ""},
		{"largest page", P{"page.startnum": "1", "page.everypagenum": "30"}, "g0,g1,g2,g3,g4,g5,g6"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := c.on(t)
			r := c.ok("POST", "cloudsegroup/search", tc.param)
			if got := names(r); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if r.DataCount == nil || *r.DataCount != 7 {
				t.Errorf("dataCount %v, want 7", r.DataCount)
			}
		})
	}
	for _, tc := range []struct {
		name  string
		param P
		field string
	}{
		{"page size 0", P{"page.startnum": "1", "page.everypagenum": "0"}, "page.everypagenum"},
		{"page size 31", P{"page.startnum": "1", "page.everypagenum": "31"}, "page.everypagenum"},
		{"page 0", P{"page.startnum": "0", "page.everypagenum": "10"}, "page.startnum"},
		{"negative page", P{"page.startnum": "-1", "page.everypagenum": "10"}, "page.startnum"},
		{"not a number", P{"page.startnum": "one", "page.everypagenum": "10"}, "page.startnum"},
		{"fraction", P{"page.startnum": "1", "page.everypagenum": 2.5}, "page.everypagenum"},
		{"only startnum", P{"page.startnum": "1"}, "page.everypagenum"},
		{"only everypagenum", P{"page.everypagenum": "5"}, "page.startnum"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.on(t).refused(sim.ResultFailed, "POST", "cloudsegroup/search", tc.param, tc.field)
		})
	}
	t.Run("required paging", func(t *testing.T) {
		c := c.on(t)
		c.refused(sim.ResultFailed, "POST", "cloudnetwork/acessrule/search", P{}, "page.startnum")
		c.refused(sim.ResultFailed, "POST", "cloudnetwork/sharenet/search", P{}, "page.startnum")
		c.refused(sim.ResultFailed, "POST", "cloudalarm/search", P{}, "page.startnum")
		r := c.ok("POST", "cloudalarm/search", P{"isfindPage": true})
		if *r.DataCount != len(dataList(t, r)) {
			t.Errorf("isfindPage: dataCount %d, rows %d", *r.DataCount, len(dataList(t, r)))
		}
	})
}

func TestPersistenceAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	clk := newClock()
	open := func() *sim.Server {
		s, err := sim.New(sim.Config{StateDir: dir, Tokens: []string{tokenA}, AdminToken: adminToken, Seed: 7, Now: clk.Now,
			TaskDuration: 10 * time.Second, SaveInterval: time.Hour, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s1 := open()
	c := newClient(t, s1, tokenA)
	w := makeWorld(t, c, clk)
	c.ok("PUT", "cloudvm/modify", P{"vm.id": w.vm, "vm.desc": "kept"})
	queued := c.ok("PUT", "cloudvm/restart", P{"vm.id": w.vm}).StartID
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, sim.StateFile)); err != nil {
		t.Fatal(err)
	}

	s2 := open()
	defer s2.Close()
	c2 := newClient(t, s2, tokenA)
	vm := dataObj(t, c2.ok("GET", "cloudvm/"+w.vm, nil))
	if str(vm, "vm.desc") != "kept" || str(vm, "vm.ip") != w.vmIP {
		t.Errorf("vm after restart: %v", vm)
	}
	if str(vm, "vm.lock") != "0" {
		t.Errorf("lock of the interrupted task not released: %v", vm)
	}
	// The install finished before the stop; the queued restart was lost (appendix code 4).
	if st := str(dataObj(t, c2.ok("GET", "tasklog/"+w.task, nil)), "task.state"); st != "0" {
		t.Errorf("finished task state %s", st)
	}
	if st := str(dataObj(t, c2.ok("GET", "tasklog/"+queued, nil)), "task.state"); st != "4" {
		t.Errorf("interrupted queued task state %s, want 4", st)
	}
	// New ids do not collide with old ones.
	vpc2 := str(dataObj(t, c2.ok("POST", "cloudnetwork/vpc/create", nil)), "vpc.id")
	if vpc2 == w.vpc {
		t.Error("id reused after restart")
	}
	// A running task at stop is aborted (code 6).
	job := c2.ok("PUT", "cloudvm/restart", P{"vm.id": w.vm}).StartID
	clk.Advance(5 * time.Second)
	c2.ok("GET", "tasklog/"+job, nil)
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	s3 := open()
	defer s3.Close()
	if st := str(dataObj(t, newClient(t, s3, tokenA).ok("GET", "tasklog/"+job, nil)), "task.state"); st != "6" {
		t.Errorf("interrupted running task state %s, want 6", st)
	}
}

func TestTenantIsolation(t *testing.T) {
	s, clk := mustOpen(t)
	a, b := newClient(t, s, tokenA), newClient(t, s, tokenB)
	w := makeWorld(t, a, clk)
	sg := str(dataObj(t, a.ok("POST", "cloudsegroup/create", P{"securitygroup.name": "a-sg"})), "securitygroup.id")
	for _, tc := range []struct {
		method, path string
		param        P
	}{
		{"GET", "cloudvm/" + w.vm, nil},
		{"PUT", "cloudvm/start", P{"vm.id": w.vm}},
		{"DELETE", "cloudvm/" + w.vm, nil},
		{"PUT", "cloudvm/modify", P{"vm.id": w.vm, "vm.name": "stolen"}},
		{"POST", "cloudvm/vnic/search", P{"vnic.vmid": w.vm}},
		{"GET", "cloudvm/snapshot/" + w.vm, nil},
		{"POST", "cloudmonitor/compute/current", P{"monitor.obj.type": "vm", "monitor.obj": w.vm}},
		{"PUT", "cloudnetwork/vpc/modify", P{"vpc.id": w.vpc, "vpc.name": "stolen"}},
		{"POST", "cloudvm/create", P{"vm.vcpu.num": "1", "vm.memory.mem": "512", "vnic.portgroupid": w.vpc}},
		{"DELETE", "cloudsegroup/" + sg, nil},
		{"GET", "tasklog/" + w.task, nil},
		{"POST", "cloudnetwork/portMapping/create", P{"innerIp": w.vmIP, "innerPort": "22", "ipaddress": "203.0.113.30", "outerPort": "22", "protocal": "tcp"}},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			b.on(t).refused(sim.ResultFailed, tc.method, tc.path, tc.param)
		})
	}
	for _, path := range []string{"cloudvm/search", "cloudnetwork/vpc/search", "cloudsegroup/search", "tasklog/search", "vroute/Mapping/search"} {
		if r := b.ok("POST", path, nil); *r.DataCount != 0 {
			t.Errorf("%s: tenant B sees %d of tenant A's objects", path, *r.DataCount)
		}
	}
	// Shared infrastructure is seen by both.
	if *a.ok("POST", "cloudhost/search", nil).DataCount != *b.ok("POST", "cloudhost/search", nil).DataCount {
		t.Error("hosts differ between tenants")
	}
	// The admin token sees everyone's.
	if r := newClient(t, s, adminToken).ok("POST", "cloudvm/search", nil); *r.DataCount != 1 {
		t.Errorf("admin sees %d VMs", *r.DataCount)
	}
	// An outer IP held by A is not available to B.
	a.ok("POST", "cloudnetwork/portMapping/create", P{"innerIp": w.vmIP, "innerPort": "22", "ipaddress": "203.0.113.30", "outerPort": "22", "protocal": "tcp"})
	wb := makeWorld(t, b, clk)
	b.refused(sim.ResultFailed, "POST", "cloudnetwork/portMapping/create", P{"innerIp": wb.vmIP, "innerPort": "22",
		"ipaddress": "203.0.113.30", "outerPort": "23", "protocal": "tcp"}, "已被使用")
}

func TestFaultsAndLatency(t *testing.T) {
	s, _ := mustOpen(t, func(c *sim.Config) { c.FailRate = 1 })
	c := newClient(t, s, tokenA)
	before := snapshotState(t, s)
	c.refused(sim.ResultFailed, "POST", "cloudnetwork/vpc/create", P{"vpc.name": "x"}, "模拟故障")
	if snapshotState(t, s) != before {
		t.Fatal("an injected failure changed state")
	}
	zero := 0.0
	if err := postJSON(s, "/_sim/config", sim.RuntimeConfig{FailRate: &zero, Latency: "30ms"}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	c.ok("POST", "cloudnetwork/vpc/create", P{"vpc.name": "x"})
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("call took %v, want >= 30ms latency", d)
	}
	if cfg := getJSON(t, s, "/_sim/config"); cfg["latency"] != "30ms" {
		t.Errorf("config %v", cfg)
	}
	// Bad admin input is refused.
	rate := 2.0
	if err := postJSON(s, "/_sim/config", sim.RuntimeConfig{FailRate: &rate}); err == nil {
		t.Error("fail rate 2 accepted")
	}
}

func TestRoutingQuirks(t *testing.T) {
	s, _ := mustOpen(t)
	c := newClient(t, s, tokenA)
	code, r := c.rawCall("POST", "cloudvm/start", "", false)
	if code != http.StatusMethodNotAllowed || r.Result != sim.ResultFailed || !strings.Contains(r.ResultInfo, "PUT") {
		t.Errorf("wrong method: %d %v", code, r)
	}
	if code, _ := c.rawCall("GET", "nothing/here", "", false); code != http.StatusNotFound {
		t.Errorf("unknown path: %d", code)
	}
	// "cloudvm/model" is GET; DELETE on it is the path parameter route.
	c.refused(sim.ResultFailed, "DELETE", "cloudvm/model", nil, "云主机不存在")
	// KEY_PARAM in the query string of a GET is accepted, and GET without it too.
	c.ok("GET", "cloudvm/model", P{})
	// The service listing answers.
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", sim.ServicesPath, nil))
	if !strings.Contains(rec.Body.String(), "cloudsegroup/retryrule/reset") {
		t.Error("listing lacks endpoints")
	}
}

func TestMonitoringIsDeterministic(t *testing.T) {
	run := func() (string, string) {
		s, clk := mustOpen(t)
		c := newClient(t, s, tokenA)
		w := makeWorld(t, c, clk)
		clk.Advance(3 * time.Hour)
		h := c.ok("POST", "cloudmonitor/compute/history", P{"monitor.obj.type": "vm", "monitor.obj": w.vm, "lineType": "hour"})
		cur := c.ok("POST", "cloudmonitor/compute/current", P{"monitor.obj.type": "vm", "monitor.obj": w.vm})
		return string(h.Data), string(cur.Data)
	}
	h1, c1 := run()
	h2, c2 := run()
	if h1 != h2 || c1 != c2 {
		t.Error("monitoring differs between identical runs")
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(h1), &rows); err != nil || len(rows) != 4 {
		t.Fatalf("hour line: %d rows, %v", len(rows), err)
	}
}

func TestPopulate(t *testing.T) {
	s, _ := mustOpen(t)
	if err := s.Populate(sim.PopulateOptions{Tenants: 3, VMsPerTenant: 12, Hosts: 2}); err != nil {
		t.Fatal(err)
	}
	st := s.Status()
	if st.Counts["tenants"] != 3 || st.Counts["vms"] != 36 || st.Counts["hosts"] != 5 {
		t.Fatalf("counts %v", st.Counts)
	}
	c := newClient(t, s, tokenA)
	if n := *c.ok("POST", "cloudvm/search", nil).DataCount; n != 12 {
		t.Errorf("token A tenant has %d VMs", n)
	}
	demo := newClient(t, s, "svc-demo-token-1")
	vms := dataList(t, demo.ok("POST", "cloudvm/search", P{"page.startnum": "1", "page.everypagenum": "30"}))
	if len(vms) != 12 {
		t.Fatalf("demo tenant has %d VMs", len(vms))
	}
	for _, path := range []string{"vroute/Mapping/search", "cloudslb/search", "cloudsegroup/search", "cloudnetwork/vpc/search"} {
		if *demo.ok("POST", path, nil).DataCount == 0 {
			t.Errorf("%s: populated tenant has none", path)
		}
	}
	// Populated VMs work with the API.
	demo.ok("PUT", "cloudvm/destroy", P{"vm.id": str(vms[0], "vm.id")})
}

func TestAdminEndpoints(t *testing.T) {
	s, _ := mustOpen(t)
	h := s.Handler()
	do := func(method, path, body string) (int, map[string]any) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
		var m map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &m)
		return rec.Code, m
	}
	if code, m := do("POST", "/_sim/populate", `{"tenants":2,"vmsPerTenant":3}`); code != 200 || m["counts"].(map[string]any)["vms"] != float64(6) {
		t.Fatalf("populate: %d %v", code, m)
	}
	code, m := do("POST", "/_sim/tokens", `{"token":"extra-token"}`)
	if code != 200 || m["tenantId"] == "" {
		t.Fatalf("tokens: %d %v", code, m)
	}
	newClient(t, s, "extra-token").ok("POST", "cloudvm/search", nil)
	if code, _ := do("POST", "/_sim/vm", `{"vmId":"nope","lock":1}`); code != 400 {
		t.Errorf("vm lock on unknown vm: %d", code)
	}
	if code, m := do("POST", "/_sim/reset", ``); code != 200 || m["counts"].(map[string]any)["vms"] != float64(0) {
		t.Fatalf("reset: %d %v", code, m)
	}
	newClient(t, s, tokenA).ok("POST", "cloudvm/search", nil)
	newClient(t, s, "extra-token").refused(sim.ResultAuthError, "POST", "cloudvm/search", nil)
	if code, _ := do("GET", "/_sim/nothing", ``); code != 404 {
		t.Errorf("unknown admin path: %d", code)
	}
	if code, _ := do("POST", "/_sim/config", `{"latency":`); code != 400 {
		t.Errorf("bad admin JSON: %d", code)
	}
}

func postJSON(s *sim.Server, path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("PUT", path, bytes.NewReader(b)))
	if rec.Code != http.StatusOK {
		return fmt.Errorf("%s: %d %s", path, rec.Code, rec.Body.String())
	}
	return nil
}

func getJSON(t *testing.T, s *sim.Server, path string) map[string]any {
	t.Helper()
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestConcurrentClientsOverLoopback drives the simulator through a real
// loopback HTTP server from several goroutines while the state is saved in
// the background, then reloads it.
func TestConcurrentClientsOverLoopback(t *testing.T) {
	dir := t.TempDir()
	cfg := sim.Config{StateDir: dir, Tokens: []string{tokenA, tokenB}, Seed: 3, TaskDuration: time.Millisecond,
		SaveInterval: 5 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)}
	s, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	call := func(token, path string, param P) (*sim.Response, error) {
		form, err := sim.ParamForm(param)
		if err != nil {
			return nil, err
		}
		req, err := http.NewRequest("POST", srv.URL+sim.BasePath+"/"+path, strings.NewReader(form))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set(sim.HeaderToken, token)
		resp, err := srv.Client().Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		if _, err := buf.ReadFrom(resp.Body); err != nil {
			return nil, err
		}
		return sim.DecodeResponse(buf.Bytes())
	}
	errs := make(chan error, 8)
	for g := range 8 {
		go func() {
			tok := []string{tokenA, tokenB}[g%2]
			for i := range 10 {
				r, err := call(tok, "cloudsegroup/create", P{"securitygroup.name": fmt.Sprintf("g%d-%d", g, i)})
				if err == nil && r.Result != sim.ResultOK {
					err = fmt.Errorf("create: %s %s", r.Result, r.ResultInfo)
				}
				if err == nil {
					_, err = call(tok, "cloudsegroup/search", P{"page.startnum": "1", "page.everypagenum": "5"})
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if n := s2.Status().Counts["securityGroups"]; n != 80 {
		t.Errorf("%d security groups after reload, want 80", n)
	}
}
