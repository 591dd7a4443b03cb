package starvcenter

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/skyfold/skyfold/internal/cloud"
)

// Every parser of what a StarVCenter server (or a description someone
// typed) sends has a fuzz target: none may panic, and each keeps its
// invariants.

func FuzzDecodeEnvelope(f *testing.F) {
	for _, s := range []string{
		`{"result":"0","data":[{"vm.id":"a","vm.state":"1"}],"dataCount":1}`,
		`{"result":0,"startid":100023}`,
		`{"result":"1","resultinfo":"云主机不存在: x"}`,
		`{"result":"1003","resultinfo":"认证失败"}`,
		`{"result":"0","data":"{\"vnic.id\":\"n\"}"}`,
		`{"result":"0","data":{" vpc.cidr":"10.0.1.0/24","vpc.cidr":""},"dataCount":"3"}`,
		`[]`, `null`, `{}`, `{"result":null}`, `{"result":"0","dataCount":1e400}`,
	} {
		f.Add([]byte(s))
		f.Add([]byte(base64.StdEncoding.EncodeToString([]byte(s))))
	}
	f.Add([]byte("eyJyZXN1bHQiOiIwIn0\r\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		env, err := decodeEnvelope(body)
		if err != nil {
			if !errors.Is(err, errMalformed) {
				t.Fatalf("error %v is not errMalformed", err)
			}
			return
		}
		if env.Result == "" || env.DataCount < -1 {
			t.Fatalf("envelope %+v", env)
		}
		recs, err := decodeRecords(env.Data)
		if err == nil {
			for _, r := range recs {
				exercise(r)
			}
		}
		if r, err := decodeRecord(env.Data); err == nil {
			exercise(r)
		}
		_ = resultErr("fuzz", env.Result, env.ResultInfo)
	})
}

// exercise calls every accessor of a record.
func exercise(r record) {
	_ = r.str("vm.id", "vm.name")
	_, _ = r.int("vm.state")
	_, _ = r.num("monitor.cpu.rate")
	_ = r.boolean("vm.reboot.enable")
	_ = r.time(nil, "vm.createtime")
	for _, m := range r.list("model") {
		_ = m.str("vm.tenant.model")
	}
}

func FuzzDecodeRecords(f *testing.F) {
	for _, s := range []string{
		`[{"vm.id":"a","vm.state":"-2","vm.lock":"12","vm.vcpu.num":2,"vm.memory.mem":"2048.0"}]`,
		`{"vm.tenant.type":"t","model":[{"vm.tenant.mode":"centos-7-9","vm.tenant.modelname":"CentOS"}]}`,
		`"[{\"a\":1}]"`, `""`, `[null,{"x":true},""]`, `[1]`, `{"a":[{"b":{}}]}`, `12`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		recs, err := decodeRecords(raw)
		if err != nil {
			if !errors.Is(err, errMalformed) {
				t.Fatalf("error %v is not errMalformed", err)
			}
			return
		}
		for _, r := range recs {
			exercise(r)
			state, lock, ok := parseVMState(r)
			if st := vmStatus(state, lock); ok && !st.Known() {
				t.Fatalf("status %q", st)
			}
			_, _ = parseTask(r, defaultZone)
			_ = parseNIC(r, defaultZone)
			_ = ruleFrom(r)
		}
	})
}

func FuzzVMStatus(f *testing.F) {
	for _, s := range []int{0, 1, 2, 3, 4, -1, -2, 99} {
		for _, l := range []int{0, 5, 7, 8, 12, 99} {
			f.Add(s, l)
		}
	}
	f.Fuzz(func(t *testing.T, state, lock int) {
		st := vmStatus(state, lock)
		if !st.Known() {
			t.Fatalf("vmStatus(%d,%d) = %q", state, lock, st)
		}
		if raw := rawStatus(state, lock); raw == "" || (lock != 0) != strings.Contains(raw, "lock=") {
			t.Fatalf("rawStatus(%d,%d) = %q", state, lock, raw)
		}
		if LockName(lock) == "" {
			t.Fatal("empty lock name")
		}
		_ = hostStatus(state)
	})
}

func FuzzClassify(f *testing.F) {
	for _, s := range []string{"云主机不存在: x", "CPU配额不足: 配额4核, 已使用2核, 本次申请4核",
		"云主机已锁定(锁定代码5: 快照创建中), 解锁前不能进行任何操作: x", "模拟故障: 服务暂时不可用,请稍后重试",
		"参数vm.num超出范围(1-10): 11", "云主机当前状态为停止(0), 不能重启: x", "锁定代码：999", ""} {
		f.Add("1", s)
	}
	f.Add("1003", "认证失败")
	f.Add("7", "")
	f.Fuzz(func(t *testing.T, result, info string) {
		kind := classify(result, info)
		if strings.TrimSpace(result) == resultOK {
			if kind != nil {
				t.Fatalf("classify(0) = %v", kind)
			}
			return
		}
		if kind == nil || cloud.Kind(kind) == nil {
			t.Fatalf("classify(%q, %q) = %v", result, info, kind)
		}
		err := resultErr("op", result, info)
		if !errors.Is(err, kind) {
			t.Fatalf("resultErr does not match its kind %v", kind)
		}
		var le *LockedError
		if errors.As(err, &le) && le.Name == "" {
			t.Fatal("LockedError without a name")
		}
	})
}

func FuzzParseTask(f *testing.F) {
	f.Add(`{"task.startid":"100023","task.state":"2","task.progress":"150","task.createtime":"2024-05-20 17:30:00"}`)
	f.Add(`{"task.state":1,"task.resultinfo":"执行失败"}`)
	f.Add(`{"task.state":"x"}`)
	f.Fuzz(func(t *testing.T, raw string) {
		r, err := decodeObject([]byte(raw))
		if err != nil {
			return
		}
		task, ok := parseTask(r, defaultZone)
		if !ok {
			return
		}
		if task.Progress < 0 || task.Progress > 100 {
			t.Fatalf("progress %d", task.Progress)
		}
		if task.Done() && !task.Succeeded() {
			if err := taskErr("op", task); cloud.Kind(err) == nil {
				t.Fatalf("taskErr without a kind: %v", err)
			}
		}
	})
}

func FuzzDesc(f *testing.F) {
	f.Add("web server", "abc", "team", "ops", "vpc-1")
	f.Add("", "", "", "", "")
	f.Add("text [skyfold:{\"tok\":1}]", "t", "k]", "v[skyfold:", "")
	f.Fuzz(func(t *testing.T, text, tok, k, v, vpc string) {
		_, _ = decodeDesc(text) // never panics on anything typed by hand
		m := descMeta{Token: tok, VPC: vpc}
		if k != "" {
			m.Tags = map[string]string{k: v}
		}
		for _, s := range []string{text, tok, k, v, vpc} {
			if !utf8.ValidString(s) {
				return // JSON replaces invalid UTF-8: no round trip promised
			}
		}
		enc := encodeDesc(text, m)
		gotText, got := decodeDesc(enc)
		if !got.equal(m) && !m.empty() {
			t.Fatalf("round trip of %+v through %q gave %+v", m, enc, got)
		}
		if !m.empty() && gotText != strings.TrimSpace(text) {
			t.Fatalf("free text %q came back as %q", text, gotText)
		}
	})
}

func FuzzInstanceType(f *testing.F) {
	for _, s := range []string{"starv.2c4g", "1c512m", "STARV.128C1024G", "c4g", "2c", "2c4x", "-1c1g", "99999999999c1g", "1c+1g"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cpu, mem, err := parseInstanceType(s)
		if err != nil {
			return
		}
		if cpu < 1 || cpu > maxVCPU || mem < 1 || mem > maxMemMiB {
			t.Fatalf("parseInstanceType(%q) = %d, %d", s, cpu, mem)
		}
		c2, m2, err := parseInstanceType(typeID(cpu, mem))
		if err != nil || c2 != cpu || m2 != mem {
			t.Fatalf("%q: round trip through %q gave %d, %d, %v", s, typeID(cpu, mem), c2, m2, err)
		}
	})
}

func FuzzPorts(f *testing.F) {
	for _, s := range []string{"22/22", "80/83", "-1/-1", "", "1/65535", "80/83,85/85", "0/1", "5/4", "a/b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ports, err := portsFor(s)
		if err != nil {
			return
		}
		back := portRangeFrom(ports)
		again, err := portsFor(back)
		if err != nil || again != ports {
			t.Fatalf("%q -> %q -> %q -> %q, %v", s, ports, back, again, err)
		}
		_ = portRangeFrom(s)
	})
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2010-02-03 13:33:33", "2024-05-20T09:30:00Z", "1716190200", "1716190200000", "", "2024-13-40 99:99:99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm := parseTime(s, defaultZone)
		if !tm.IsZero() && tm.Location() != time.UTC {
			t.Fatalf("parseTime(%q) not in UTC", s)
		}
	})
}

func FuzzNameIndex(f *testing.F) {
	f.Add("web", 3, "abc")
	f.Add("", 1, "")
	f.Add("a-b", 12, "0123456789ab")
	f.Fuzz(func(t *testing.T, base string, amount int, tok string) {
		if amount < 1 || amount > 1000 || strings.Contains(base, nameMarkSep) {
			return
		}
		for _, i := range []int{1, amount} {
			n, ok := nameIndex(markedName(base, i, amount, tok), amount, tok)
			if !ok || n != i {
				t.Fatalf("markedName(%q,%d,%d,%q) read back as %d, %v", base, i, amount, tok, n, ok)
			}
		}
		_, _ = nameIndex(base, amount, tok)
	})
}

func TestClassify(t *testing.T) {
	cases := []struct {
		result, info string
		want         error
	}{
		{"1003", "认证失败: 租户令牌号无效", cloud.ErrInvalidCredential},
		{"1", "云主机不存在: x", cloud.ErrNotFound},
		{"1", "租户不存在: x", cloud.ErrNotFound},
		{"1", "CPU配额不足: 配额4核, 已使用2核, 本次申请4核", cloud.ErrQuotaExceeded},
		{"1", "私网x可用IP不足: 可用0个, 本次申请1个", cloud.ErrShortage},
		{"1", "没有可用的物理机", cloud.ErrShortage},
		{"1", "云主机磁盘数量已达上限: x", cloud.ErrQuotaExceeded},
		{"1", "云主机已锁定(锁定代码5: 快照创建中), 解锁前不能进行任何操作: x", cloud.ErrConflict},
		{"1", "模拟故障: 服务暂时不可用,请稍后重试", cloud.ErrUnavailable},
		{"1", "无权限: 该操作须使用管理令牌", cloud.ErrForbidden},
		{"1", "缺少必需参数: vm.vcpu.num", cloud.ErrInvalidParameter},
		{"1", "参数vm.tenant.model与vm.template.id不能同时传入", cloud.ErrInvalidParameter},
		{"1", "云主机当前状态为停止(0), 不能重启: x", cloud.ErrConflict},
		{"1", "私网中存在云主机网卡(x), 不能删除: y", cloud.ErrConflict},
		{"1", "安全组已绑定云主机网卡(x), 请先解绑: y", cloud.ErrConflict},
		{"1", "快照不可用(创建中或已失效): x", cloud.ErrConflict},
		{"1", "something else entirely", cloud.ErrInvalidParameter},
		{"500", "", cloud.ErrProvider},
	}
	for _, tc := range cases {
		if got := classify(tc.result, tc.info); got != tc.want {
			t.Errorf("classify(%s, %q) = %v; want %v", tc.result, tc.info, got, tc.want)
		}
	}
	err := resultErr("op", "1", "云主机已锁定(锁定代码3), 解锁前不能进行任何操作")
	var le *LockedError
	if !errors.As(err, &le) || le.Code != 3 || !strings.Contains(err.Error(), "备份创建中") {
		t.Errorf("a lock refusal without the lock's name: %v", err)
	}
}

func TestVMStatus(t *testing.T) {
	cases := []struct {
		state, lock int
		want        cloud.Status
	}{
		{0, 0, cloud.StatusStopped}, {1, 0, cloud.StatusRunning}, {2, 0, cloud.StatusStopped},
		{3, 12, cloud.StatusPending}, {4, 0, cloud.StatusPending}, {-1, 0, cloud.StatusError},
		{-2, 0, cloud.StatusError}, {0, 7, cloud.StatusStarting}, {1, 8, cloud.StatusStopping},
		{1, 5, cloud.StatusRunning}, {9, 0, cloud.StatusUnknown},
	}
	for _, tc := range cases {
		if got := vmStatus(tc.state, tc.lock); got != tc.want {
			t.Errorf("vmStatus(%d, %d) = %s; want %s", tc.state, tc.lock, got, tc.want)
		}
	}
}

func TestPortsAndRules(t *testing.T) {
	for in, want := range map[string]string{"22/22": "22", "80/83": "80:83", "-1/-1": "", "": "", "80/80,443/443": "80,443"} {
		if got, err := portsFor(in); err != nil || got != want {
			t.Errorf("portsFor(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"0/10", "10/5", "1/70000", "x"} {
		if _, err := portsFor(bad); err == nil {
			t.Errorf("portsFor(%q) accepted", bad)
		}
	}
	rule := cloud.SecurityGroupRule{Direction: cloud.Egress, Protocol: "ICMP", PortRange: "-1/-1", CIDR: "10.0.0.0/8", Action: "accept"}
	prm, err := ruleParams("op", "g", rule)
	if err != nil || prm["aclrule.direction"] != "out" || prm["aclrule.target"] != "10.0.0.0/8" || prm["aclrule.protocal"] != "icmp" {
		t.Fatalf("ruleParams = %v, %v", prm, err)
	}
	for _, bad := range []cloud.SecurityGroupRule{
		{Direction: cloud.Ingress, Protocol: "tcp", PortRange: "22/22", CIDR: "0.0.0.0/0", Action: "drop"},
		{Direction: "sideways", Protocol: "tcp", PortRange: "22/22"},
		{Direction: cloud.Ingress, Protocol: "gre"},
		{Direction: cloud.Ingress, Protocol: "tcp", PortRange: "22/22", CIDR: "not-a-cidr"},
	} {
		if _, err := ruleParams("op", "g", bad); !errors.Is(err, cloud.ErrInvalidParameter) {
			t.Errorf("ruleParams(%+v) = %v; want invalid parameter", bad, err)
		}
	}
}

func TestBaseURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8702":                  "http://127.0.0.1:8702" + basePath,
		"10.0.0.5:18081":                         "http://10.0.0.5:18081" + basePath,
		"https://svc.example/starvcenter/x/api/": "https://svc.example/starvcenter/x/api",
	} {
		if got, _, err := baseURL(in); err != nil || got != want {
			t.Errorf("baseURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if slug("My.Host_1") != "my-host-1" || slug("") != "default" {
		t.Errorf("slug: %q %q", slug("My.Host_1"), slug(""))
	}
}
