package starvcentersim

import (
	"fmt"
	"net/url"
	"strings"
)

const (
	systemDiskGB = 40
	maxVCPU      = 128
	maxMemoryMB  = 999999999
)

// vmParam finds the VM a call names in key, among those the caller sees.
func (c *call) vmParam(key string) (*vm, *apiErr) {
	if e := c.p.require(key); e != nil {
		return nil, e
	}
	return c.vmByID(c.p.str(key))
}

func (c *call) vmByID(id string) (*vm, *apiErr) {
	v := c.s.st.VMs[id]
	if v == nil || !c.sees(v.TenantID) {
		return nil, failf("云主机不存在: %s", id)
	}
	return v, nil
}

// operable refuses any operation on a locked VM, naming the lock.
func operable(v *vm) *apiErr {
	if v.Lock != LockNone {
		return failf("云主机已锁定(锁定代码%d: %s), 解锁前不能进行任何操作: %s", v.Lock, LockNames[v.Lock], v.ID)
	}
	return nil
}

func stateErr(v *vm, what string) *apiErr {
	return failf("云主机当前状态为%s(%d), 不能%s: %s", VMStateNames[v.State], v.State, what, v.ID)
}

func (s *Server) primaryNIC(vmID string) *nic {
	var best *nic
	for _, n := range s.st.NICs {
		if n.VMID == vmID && (best == nil || n.Seq < best.Seq) {
			best = n
		}
	}
	return best
}

func (s *Server) vmIP(v *vm) string {
	if n := s.primaryNIC(v.ID); n != nil {
		return n.IP
	}
	return ""
}

func (s *Server) vmObj(v *vm) obj {
	return obj{
		"vm.id":              v.ID,
		"vm.name":            v.Name,
		"vm.desc":            v.Desc,
		"vm.createtime":      fmtTime(v.Created),
		"vm.state":           itoa(v.State),
		"vm.vcpu.num":        itoa(v.VCPU),
		"vm.memory.mem":      itoa(v.Memory),
		"vm.tenant.type ":    v.TenantType,
		"vm.tenant.type":     v.TenantType,
		"vm.tenant.model":    v.TenantModel,
		"vm.ip":              s.vmIP(v),
		"vm.reboot.enable":   tf(v.RebootEnable),
		"vm.shutdown.enable": tf(v.ShutdownEnable),
		"vm.hostid":          v.HostID,
		"vm.lock":            itoa(v.Lock),
	}
}

// placeVM picks the running host with the fewest VMs.
func (s *Server) placeVM() string {
	counts := map[string]int{}
	for _, v := range s.st.VMs {
		counts[v.HostID]++
	}
	best := ""
	for _, h := range sorted(s.st.Hosts, func(h *host) bool { return h.State == HostRunning && !h.Mending }) {
		if best == "" || counts[h.ID] < counts[best] {
			best = h.ID
		}
	}
	return best
}

func (s *Server) mainStorage() string {
	for _, st := range sorted(s.st.Storages, func(st *storage) bool { return st.UseType == "main" }) {
		return st.ID
	}
	return ""
}

// freeIPs returns up to n unused host addresses of a VPC.
func (s *Server) freeIPs(n *vpc, want int) []string {
	used := map[string]bool{}
	for _, x := range s.st.NICs {
		if x.VPCID == n.ID {
			used[x.IP] = true
		}
	}
	var out []string
	for h := 2; h <= 254 && len(out) < want; h++ {
		if ip := n.ip(h); !used[ip] {
			out = append(out, ip)
		}
	}
	return out
}

func (s *Server) newMAC() string {
	r := s.rand()
	return fmt.Sprintf("52:54:00:%02x:%02x:%02x", byte(r>>16), byte(r>>8), byte(r))
}

func (s *Server) newNIC(v *vm, n *vpc, ip string) *nic {
	idx := 0
	for _, x := range s.st.NICs {
		if x.VMID == v.ID {
			idx++
		}
	}
	x := &nic{ID: s.newID(), TenantID: v.TenantID, VMID: v.ID, Name: fmt.Sprintf("eth%d", idx),
		Created: s.now(), MAC: s.newMAC(), IP: ip, VPCID: n.ID, Seq: s.nextSeq()}
	s.st.NICs[x.ID] = x
	return x
}

func (s *Server) nextDevName(vmID string) string {
	used := map[string]bool{}
	for _, d := range s.st.Disks {
		if d.VMID == vmID {
			used[d.DevName] = true
		}
	}
	for ch := 'a'; ch <= 'z'; ch++ {
		if name := "vd" + string(ch); !used[name] {
			return name
		}
	}
	return ""
}

func (s *Server) newDisk(v *vm, size int64, desc string, system bool) *disk {
	dev := s.nextDevName(v.ID)
	name := v.Name + "-" + dev
	d := &disk{ID: s.newID(), TenantID: v.TenantID, VMID: v.ID, Name: name, DevName: dev, Desc: desc,
		Created: s.now(), Size: size, System: system, StorageID: s.mainStorage(), Seq: s.nextSeq()}
	s.st.Disks[d.ID] = d
	return d
}

func (s *Server) randPassword() string {
	const letters = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	r := s.rand()
	b := make([]byte, 8)
	for i := range b {
		b[i] = letters[r%uint64(len(letters))]
		r /= uint64(len(letters))
	}
	return string(b)
}

// vmSpec is what creating a VM needs, from the API or from Populate.
type vmSpec struct {
	name, model, template, tenantType string
	vcpu, mem                         int64
	vnc                               string
	hyperv                            bool
	dataDisks                         int64
	dataSize                          int64
}

// createVM adds a VM with its system disk, data disks and NIC.
func (s *Server) createVM(t *tenant, n *vpc, spec vmSpec, ip string, st, lock int) *vm {
	vncPort := 5900
	for _, x := range s.st.VMs {
		vncPort = max(vncPort, x.VNCPort+1)
	}
	v := &vm{ID: s.newID(), TenantID: t.ID, Name: spec.name, Created: s.now(), State: st, Lock: lock,
		VCPU: spec.vcpu, Memory: spec.mem, TenantType: spec.tenantType, TenantModel: spec.model,
		TemplateID: spec.template, HostID: s.placeVM(), VNCPasswd: spec.vnc, VNCPort: vncPort,
		Hyperv: spec.hyperv, RebootEnable: true, ShutdownEnable: true, AgentOnline: st == VMRunning,
		Seq: s.nextSeq()}
	v.AdminUser = "root"
	if strings.Contains(strings.ToLower(spec.model+spec.template), "win") {
		v.AdminUser = "Administrator"
	}
	if v.VNCPasswd == "" {
		v.VNCPasswd = s.randPassword()
	}
	s.st.VMs[v.ID] = v
	s.newDisk(v, systemDiskGB, "系统盘", true)
	for range spec.dataDisks {
		s.newDisk(v, spec.dataSize, "数据盘", false)
	}
	s.newNIC(v, n, ip)
	return v
}

// deleteVM removes a VM and everything that exists only through it.
func (s *Server) deleteVM(v *vm) {
	delete(s.st.VMs, v.ID)
	for id, d := range s.st.Disks {
		if d.VMID == v.ID {
			delete(s.st.Disks, id)
		}
	}
	for id, n := range s.st.NICs {
		if n.VMID == v.ID {
			delete(s.st.NICs, id)
		}
	}
	for _, m := range []map[string]*imageCopy{s.st.Backups, s.st.Snapshots} {
		for id, b := range m {
			if b.VMID == v.ID {
				delete(m, id)
			}
		}
	}
	for id, m := range s.st.NATs {
		if m.VMID == v.ID {
			delete(s.st.NATs, id)
		}
	}
	for id, r := range s.st.ACLs {
		if r.VMID == v.ID {
			delete(s.st.ACLs, id)
		}
	}
	for id, r := range s.st.RealNodes {
		if r.VMID == v.ID {
			delete(s.st.RealNodes, id)
		}
	}
	for id, r := range s.st.Retries {
		if r.VMID == v.ID {
			delete(s.st.Retries, id)
		}
	}
}

// POST cloudvm/create (async)
func (s *Server) hVMCreate(c *call) (*reply, *apiErr) {
	if e := c.p.require("vm.vcpu.num", "vm.memory.mem", "vnic.portgroupid"); e != nil {
		return nil, e
	}
	t, e := c.owner("app.id")
	if e != nil {
		return nil, e
	}
	spec := vmSpec{model: c.p.str("vm.tenant.model"), template: c.p.str("vm.template.id"), vnc: c.p.str("vm.vncpasswd")}
	if spec.model != "" && spec.template != "" {
		return nil, failf("参数vm.tenant.model与vm.template.id不能同时传入")
	}
	if spec.model != "" {
		m := s.dictByValue(spec.model, false)
		if m == nil {
			return nil, failf("云主机型号不存在: %s", spec.model)
		}
		spec.tenantType = m.Type
	} else if spec.template == "" {
		spec.model, spec.tenantType = defaultModel, defaultType
	}
	var ok bool
	if spec.vcpu, _, e = c.p.intIn("vm.vcpu.num", 1, maxVCPU); e != nil {
		return nil, e
	}
	if spec.mem, _, e = c.p.intIn("vm.memory.mem", 1, maxMemoryMB); e != nil {
		return nil, e
	}
	num, ok, e := c.p.intIn("vm.num", 1, 10)
	if e != nil {
		return nil, e
	}
	if !ok {
		num = 1
	}
	if spec.hyperv, _, e = c.p.boolean("vm.hyperv.enable"); e != nil {
		return nil, e
	}
	if spec.dataDisks, _, e = c.p.intIn("vm.vdisk.num", 0, 8); e != nil {
		return nil, e
	}
	if spec.dataDisks > 0 {
		if spec.dataSize, ok, e = c.p.intIn("vm.vdisk.size", 1, 65536); e != nil {
			return nil, e
		} else if !ok {
			return nil, failf("缺少必需参数: vm.vdisk.size (vm.vdisk.num大于0时必需)")
		}
	}
	n := s.st.VPCs[c.p.str("vnic.portgroupid")]
	if n == nil || n.TenantID != t.ID {
		return nil, failf("私网不存在: %s", c.p.str("vnic.portgroupid"))
	}
	if e := s.checkQuota(t, need{CPU: spec.vcpu * num, Memory: spec.mem * num,
		Storage: (systemDiskGB + spec.dataDisks*spec.dataSize) * num}); e != nil {
		return nil, e
	}
	ips := s.freeIPs(n, int(num))
	if len(ips) < int(num) {
		return nil, failf("私网%s可用IP不足: 可用%d个, 本次申请%d个", n.ID, len(ips), num)
	}
	if s.placeVM() == "" {
		return nil, failf("没有可用的物理机")
	}
	base := c.p.str("vm.name")
	out := []obj{}
	for i := range int(num) {
		spec := spec
		spec.name = base
		if spec.name == "" {
			spec.name = "vm"
		}
		if num > 1 {
			spec.name = fmt.Sprintf("%s-%d", spec.name, i+1)
		}
		v := s.createVM(t, n, spec, ips[i], VMInstalling, LockInstalling)
		if base == "" {
			v.Name = "vm-" + v.ID[:8]
			if num > 1 {
				v.Name = fmt.Sprintf("vm-%s-%d", v.ID[:8], i+1)
			}
		}
		k := s.startTask(c, t.ID, opVMCreate, "vm", v.ID, v.Name, 0, "")
		out = append(out, obj{"vm.id": v.ID, "vm.name": v.Name, "jobstartid": k.ID})
	}
	return dataReply(out), nil
}

// POST cloudvm/search
func (s *Server) hVMSearch(c *call) (*reply, *apiErr) {
	pg, e := c.p.page(false)
	if e != nil {
		return nil, e
	}
	name, id, st, ip, hostID := c.p.str("vm.name"), c.p.str("vm.id"), c.p.str("vm.state"), c.p.str("vm.ip"), c.p.str("vm.hostid")
	rows := []obj{}
	for _, v := range sorted(s.st.VMs, func(v *vm) bool { return c.sees(v.TenantID) }) {
		if !fuzzy(v.Name, name) || !fuzzy(v.ID, id) || !exact(itoa(v.State), st) || !exact(v.HostID, hostID) {
			continue
		}
		if ip != "" && !s.vmHasIP(v.ID, ip) {
			continue
		}
		rows = append(rows, s.vmObj(v))
	}
	return paged(rows, pg), nil
}

func (s *Server) vmHasIP(vmID, ip string) bool {
	for _, n := range s.st.NICs {
		if n.VMID == vmID && n.IP == ip {
			return true
		}
	}
	return false
}

// GET cloudvm/{vmId}
func (s *Server) hVMGet(c *call) (*reply, *apiErr) {
	v, e := c.vmByID(c.id)
	if e != nil {
		return nil, e
	}
	return dataReply(s.vmObj(v)), nil
}

// vmTask runs the common path of the VM operations that return a startid.
func (s *Server) vmTask(c *call, op string, lock int, check func(v *vm) *apiErr, arg int64, argText string) (*reply, *apiErr) {
	var v *vm
	var e *apiErr
	if c.id != "" {
		v, e = c.vmByID(c.id)
	} else {
		v, e = c.vmParam("vm.id")
	}
	if e != nil {
		return nil, e
	}
	if e := operable(v); e != nil {
		return nil, e
	}
	if check != nil {
		if e := check(v); e != nil {
			return nil, e
		}
	}
	if lock != LockNone {
		v.Lock = lock
	}
	t := s.startTask(c, v.TenantID, op, "vm", v.ID, v.Name, arg, argText)
	return taskReply(t.ID), nil
}

// PUT cloudvm/start
func (s *Server) hVMStart(c *call) (*reply, *apiErr) {
	return s.vmTask(c, opVMStart, LockStarting, func(v *vm) *apiErr {
		if v.State != VMStopped && v.State != VMSleeping {
			return stateErr(v, "启动")
		}
		return nil
	}, 0, "")
}

// PUT cloudvm/destroy
func (s *Server) hVMDestroy(c *call) (*reply, *apiErr) {
	return s.vmTask(c, opVMDestroy, LockStopping, func(v *vm) *apiErr {
		if v.State != VMRunning && v.State != VMSleeping && v.State != VMFaultCheck {
			return stateErr(v, "关闭电源")
		}
		return nil
	}, 0, "")
}

// PUT cloudvm/shutdown
func (s *Server) hVMShutdown(c *call) (*reply, *apiErr) {
	return s.vmTask(c, opVMShutdown, LockStopping, func(v *vm) *apiErr {
		if v.State != VMRunning {
			return stateErr(v, "关闭系统")
		}
		if !v.ShutdownEnable {
			return failf("云主机不支持软关机(vm.shutdown.enable=false): %s", v.ID)
		}
		return nil
	}, 0, "")
}

// PUT cloudvm/restart
func (s *Server) hVMRestart(c *call) (*reply, *apiErr) {
	return s.vmTask(c, opVMRestart, LockStarting, func(v *vm) *apiErr {
		if v.State != VMRunning {
			return stateErr(v, "重启")
		}
		if !v.RebootEnable {
			return failf("云主机不支持重启系统(vm.reboot.enable=false): %s", v.ID)
		}
		return nil
	}, 0, "")
}

// DELETE cloudvm/{vmId}
func (s *Server) hVMDelete(c *call) (*reply, *apiErr) {
	return s.vmTask(c, opVMDelete, LockStopping, nil, 0, "")
}

// PUT cloudvm/modify
func (s *Server) hVMModify(c *call) (*reply, *apiErr) {
	v, e := c.vmParam("vm.id")
	if e != nil {
		return nil, e
	}
	if e := operable(v); e != nil {
		return nil, e
	}
	if c.p.has("vm.name") {
		v.Name = c.p.str("vm.name")
	}
	if _, _, ok := c.p.raw("vm.desc"); ok {
		v.Desc = c.p.str("vm.desc")
	}
	return dataReply(""), nil
}

// GET cloudvm/connection/{vmId}
func (s *Server) hVMConnection(c *call) (*reply, *apiErr) {
	v, e := c.vmByID(c.id)
	if e != nil {
		return nil, e
	}
	hostIP := ""
	if h := s.st.Hosts[v.HostID]; h != nil {
		hostIP = h.IP
	}
	return dataReply(obj{
		"vm.console.url": fmt.Sprintf("http://%s:6080/vnc_auto.html?path=%s", hostIP,
			url.QueryEscape("websockify?token="+v.ID)),
		"vm.hostip":  hostIP,
		"vm.vncport": itoa(v.VNCPort),
	}), nil
}

// POST cloudvm/setadminpwd (async)
func (s *Server) hVMAdminPwd(c *call) (*reply, *apiErr) {
	if e := c.p.require("vm.id", "pwd"); e != nil {
		return nil, e
	}
	v, e := c.vmParam("vm.id")
	if e != nil {
		return nil, e
	}
	user := c.p.str("username")
	if user == "" {
		user = v.AdminUser
	}
	return s.vmTask(c, opVMAdminPwd, LockNone, func(v *vm) *apiErr {
		if v.State != VMRunning {
			return stateErr(v, "重置系统管理员密码")
		}
		if !v.AgentOnline {
			return failf("云主机代理服务未运行, 请先唤醒云主机代理服务: %s", v.ID)
		}
		return nil
	}, 0, user)
}

// POST cloudvm/resumeCloudAgent (async)
func (s *Server) hVMAgent(c *call) (*reply, *apiErr) {
	return s.vmTask(c, opVMAgent, LockNone, func(v *vm) *apiErr {
		if v.State != VMRunning {
			return stateErr(v, "唤醒云主机代理服务")
		}
		return nil
	}, 0, "")
}

// POST cloudvm/editvncpwd
func (s *Server) hVMEditVNC(c *call) (*reply, *apiErr) {
	if e := c.p.require("vm.id", "vm.vncpasswd"); e != nil {
		return nil, e
	}
	v, e := c.vmParam("vm.id")
	if e != nil {
		return nil, e
	}
	if e := operable(v); e != nil {
		return nil, e
	}
	v.VNCPasswd = c.p.str("vm.vncpasswd")
	return &reply{}, nil
}

// POST cloudvm/setvncpwd
func (s *Server) hVMResetVNC(c *call) (*reply, *apiErr) {
	v, e := c.vmParam("vm.id")
	if e != nil {
		return nil, e
	}
	if e := operable(v); e != nil {
		return nil, e
	}
	v.VNCPasswd = s.randPassword()
	return &reply{}, nil
}

// PUT cloudvm/cpu/modify (async)
func (s *Server) hVMCPU(c *call) (*reply, *apiErr) {
	if e := c.p.require("vm.id", "vm.vcpu.num"); e != nil {
		return nil, e
	}
	n, _, e := c.p.intIn("vm.vcpu.num", 1, maxVCPU)
	if e != nil {
		return nil, e
	}
	return s.vmTask(c, opVMCPU, LockNone, func(v *vm) *apiErr {
		if v.PendingVCPU != 0 {
			return failf("云主机CPU变更任务执行中: %s", v.ID)
		}
		if e := s.checkQuota(s.st.Tenants[v.TenantID], need{CPU: n - v.VCPU}); e != nil {
			return e
		}
		v.PendingVCPU = n
		return nil
	}, n, "")
}

// PUT cloudvm/mem/modify (async)
func (s *Server) hVMMem(c *call) (*reply, *apiErr) {
	if e := c.p.require("vm.id", "vm.memory.mem"); e != nil {
		return nil, e
	}
	n, _, e := c.p.intIn("vm.memory.mem", 1, maxMemoryMB)
	if e != nil {
		return nil, e
	}
	return s.vmTask(c, opVMMem, LockNone, func(v *vm) *apiErr {
		if v.PendingMemory != 0 {
			return failf("云主机内存变更任务执行中: %s", v.ID)
		}
		if e := s.checkQuota(s.st.Tenants[v.TenantID], need{Memory: n - v.Memory}); e != nil {
			return e
		}
		v.PendingMemory = n
		return nil
	}, n, "")
}

// POST cloudvm/switchfirewalld
func (s *Server) hVMFirewalld(c *call) (*reply, *apiErr) {
	if e := c.p.require("vm.id", "vm.firewalld.enable"); e != nil {
		return nil, e
	}
	v, e := c.vmParam("vm.id")
	if e != nil {
		return nil, e
	}
	on, _, e := c.p.boolean("vm.firewalld.enable")
	if e != nil {
		return nil, e
	}
	if e := operable(v); e != nil {
		return nil, e
	}
	v.Firewalld = on
	return dataReply([]obj{}), nil
}

const (
	dictTypeKey  = "tenant_type"
	defaultType  = "tenant_app_model"
	defaultModel = "centos-7-9"
)

func (s *Server) dictByValue(value string, isType bool) *dictEntry {
	for _, d := range s.st.Dict {
		if d.Value == value && (d.Type == dictTypeKey) == isType {
			return d
		}
	}
	return nil
}

// GET cloudvm/model
func (s *Server) hVMModel(c *call) (*reply, *apiErr) {
	out := []obj{}
	for _, t := range sorted(s.st.Dict, func(d *dictEntry) bool { return d.Type == dictTypeKey }) {
		models := []obj{}
		for _, m := range sorted(s.st.Dict, func(d *dictEntry) bool { return d.Type == t.Value }) {
			models = append(models, obj{"vm.tenant.mode": m.Value, "vm.tenant.model": m.Value, "vm.tenant.modelname": m.Label})
		}
		out = append(out, obj{"vm.tenant.type": t.Value, "vm.tenant.typename": t.Label, "model": models})
	}
	return dataReply(out), nil
}

// POST cloudvm/addVhostModelAndType
func (s *Server) hDictAdd(c *call) (*reply, *apiErr) {
	if e := c.p.require("type", "label", "value"); e != nil {
		return nil, e
	}
	typ, label, value := c.p.str("type"), c.p.str("label"), c.p.str("value")
	isType := typ == dictTypeKey
	if !isType && s.dictByValue(typ, true) == nil {
		return nil, failf("云主机类型不存在: %s (创建类型时type须为%s)", typ, dictTypeKey)
	}
	if s.dictByValue(value, isType) != nil {
		return nil, failf("字典类型值已存在: %s", value)
	}
	d := &dictEntry{ID: s.newID(), Type: typ, Label: label, Value: value, Desc: c.p.str("description"), Seq: s.nextSeq()}
	s.st.Dict[d.ID] = d
	return dataReply([]obj{{"id": d.ID}}), nil
}

// DELETE cloudvm/delVhostModelAndType/{id}
func (s *Server) hDictDelete(c *call) (*reply, *apiErr) {
	d := s.st.Dict[c.id]
	if d == nil {
		return nil, failf("云主机型号或类型不存在: %s", c.id)
	}
	if d.Type == dictTypeKey {
		for _, m := range s.st.Dict {
			if m.Type == d.Value {
				return nil, failf("云主机类型下存在云主机型号, 不能删除: %s", d.Value)
			}
		}
	}
	delete(s.st.Dict, d.ID)
	return dataReply(obj{}), nil
}
