package starvcentersim

import (
	"strings"
	"time"
)

func (s *Server) hostObj(h *host) obj {
	auth := "0"
	if h.Registered {
		auth = "1"
	}
	return obj{
		"host.id": h.ID, "host.name": h.Name, "host.desc": h.Desc, "host.state": itoa(h.State),
		"host.isconnected": tf(h.Connected), "host.createtime": fmtTime(h.Created), "host.register.address": h.IP,
		"host.authentication": auth, "host.ismending": tf(h.Mending), "host.os.product": h.OSProduct,
		"host.os.bit": h.OSBit, "host.os.versoin": h.OSVersion, "host.os.version": h.OSVersion,
		"host.virt.versoin": h.VirtVer, "host.virt.version": h.VirtVer, "host.cpu.vendor": h.CPUVendor,
		"host.cpu.num": itoa(h.CPUCores), "host.cpus": itoa(h.CPUs), "host.mem.size": itoa(h.MemGB), "host.ip": h.IP,
	}
}

// POST cloudhost/search
func (s *Server) hHostSearch(c *call) (*reply, *apiErr) {
	pg, e := c.p.page(false)
	if e != nil {
		return nil, e
	}
	id, ip := c.p.str("host.id"), c.p.str("host.ip")
	rows := []obj{}
	for _, h := range sorted(s.st.Hosts, func(h *host) bool { return exact(h.ID, id) && exact(h.IP, ip) }) {
		rows = append(rows, s.hostObj(h))
	}
	return paged(rows, pg), nil
}

func (s *Server) alarmObj(a *alarm) obj {
	return obj{
		"alarm.id": a.ID, "alarm.type": a.Type, "alarm.level": a.Level, "alarm.objid": a.ObjID,
		"alarm.objname": a.ObjName, "alarm.obj.type": a.ObjType, "alarm.content": a.Content,
		"alarm.create.time": fmtTime(a.Created), "alarm.relieve.time": fmtTime(a.RelieveTime),
		"alarm.relieve.way": a.RelieveWay,
	}
}

func (c *call) timeParam(key string) (time.Time, *apiErr) {
	v := c.p.str(key)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation(TimeLayout, v, cst)
	if err != nil {
		return time.Time{}, failf("参数%s时间格式错误(应为2010-02-03 13:33:33): %q", key, v)
	}
	return t, nil
}

// POST cloudalarm/search
func (s *Server) hAlarmSearch(c *call) (*reply, *apiErr) {
	all, _, e := c.p.boolean("isfindPage")
	if e != nil {
		return nil, e
	}
	var pg Page
	if !all {
		if pg, e = c.p.page(true); e != nil {
			return nil, e
		}
	}
	from, e := c.timeParam("alarm.starttime")
	if e != nil {
		return nil, e
	}
	to, e := c.timeParam("alarm.endtime")
	if e != nil {
		return nil, e
	}
	way := c.p.str("alarm.relieve.way")
	if way != "" && way != "auto" && way != "manual" && way != "none" {
		return nil, failf("参数alarm.relieve.way必须为auto、manual或none: %q", way)
	}
	lvl := c.p.str("alarm.level")
	if lvl != "" && lvl != "high" && lvl != "medium" && lvl != "low" {
		return nil, failf("参数alarm.level必须为high、medium或low: %q", lvl)
	}
	rows := []obj{}
	for _, a := range sorted(s.st.Alarms, func(a *alarm) bool { return a.TenantID == "" || c.sees(a.TenantID) }) {
		if !exact(a.Level, lvl) || !exact(a.ObjType, c.p.str("alarm.obj.type")) || !exact(a.ObjID, c.p.str("alarm.objid")) ||
			!exact(a.RelieveWay, way) || (!from.IsZero() && a.Created.Before(from)) || (!to.IsZero() && a.Created.After(to)) {
			continue
		}
		rows = append(rows, s.alarmObj(a))
	}
	return paged(rows, pg), nil
}

func (s *Server) storageUsed(st *storage) int64 {
	used := st.BaseUsed
	for _, d := range s.st.Disks {
		if d.StorageID == st.ID {
			used += d.Size
		}
	}
	return used
}

// POST cloudstorage/search
func (s *Server) hStorageSearch(c *call) (*reply, *apiErr) {
	pg, e := c.p.page(false)
	if e != nil {
		return nil, e
	}
	rows := []obj{}
	for _, st := range sorted(s.st.Storages, nil) {
		rows = append(rows, obj{
			"storage.id": st.ID, "storage.name": st.Name, "storage.desc": st.Desc, "storage.createtime": fmtTime(st.Created),
			"storage.type": st.Type, "storage.thin": tf(st.Thin), "storage.size": itoa(st.Size),
			"storage.location": st.Location, "storage.use.type": st.UseType, "storage.usedsize": itoa(s.storageUsed(st)),
			"storage.file.type": st.FileType, "storage.io.auth": st.IOAuth,
			"storage.ceph.monitorip ": st.CephMon, "storage.ceph.monitorip": st.CephMon,
		})
	}
	return paged(rows, pg), nil
}

// --- security groups ---

func (s *Server) sgObj(g *secGroup) obj {
	o := obj{
		" securitygroup.id": g.ID, "securitygroup.id": g.ID, " securitygroup.name": g.Name, "securitygroup.name": g.Name,
		"securitygroup.desc": g.Desc, "securitygroup.appid": g.TenantID, "securitygroup.appname": "",
		" securitygroup.createtime": fmtTime(g.Created), "securitygroup.createtime": fmtTime(g.Created),
	}
	if t := s.st.Tenants[g.TenantID]; t != nil {
		o["securitygroup.appname"] = t.Name
	}
	return o
}

func (c *call) sgByID(id string) (*secGroup, *apiErr) {
	g := c.s.st.SecGroups[id]
	if g == nil || !c.sees(g.TenantID) {
		return nil, failf("安全组不存在: %s", id)
	}
	return g, nil
}

// POST cloudsegroup/search
func (s *Server) hSGSearch(c *call) (*reply, *apiErr) {
	pg, e := c.p.page(false)
	if e != nil {
		return nil, e
	}
	id, name := c.p.str("securitygroup.id"), c.p.str("securitygroup.name")
	rows := []obj{}
	for _, g := range sorted(s.st.SecGroups, func(g *secGroup) bool { return c.sees(g.TenantID) }) {
		if exact(g.ID, id) && fuzzy(g.Name, name) {
			rows = append(rows, s.sgObj(g))
		}
	}
	return paged(rows, pg), nil
}

// POST cloudsegroup/create
func (s *Server) hSGCreate(c *call) (*reply, *apiErr) {
	if e := c.p.require("securitygroup.name"); e != nil {
		return nil, e
	}
	t, e := c.owner("securitygroup.appid")
	if e != nil {
		return nil, e
	}
	g := &secGroup{ID: s.newID(), TenantID: t.ID, Name: c.p.str("securitygroup.name"), Desc: c.p.str("securitygroup.desc"),
		Created: c.now, Seq: s.nextSeq()}
	s.st.SecGroups[g.ID] = g
	return dataReply(obj{"securitygroup.id": g.ID}), nil
}

// DELETE cloudsegroup/{securitygroupid}
func (s *Server) hSGDelete(c *call) (*reply, *apiErr) {
	g, e := c.sgByID(c.id)
	if e != nil {
		return nil, e
	}
	for _, n := range sorted(s.st.NICs, func(n *nic) bool { return nicBound(n, g.ID) }) {
		return nil, failf("安全组已绑定云主机网卡(%s), 请先解绑: %s", n.ID, g.ID)
	}
	for id, r := range s.st.SGRules {
		if r.GroupID == g.ID {
			delete(s.st.SGRules, id)
		}
	}
	for id, r := range s.st.Retries {
		if r.GroupID == g.ID {
			delete(s.st.Retries, id)
		}
	}
	delete(s.st.SecGroups, g.ID)
	return dataReply(""), nil
}

func nicBound(n *nic, gid string) bool {
	for _, id := range n.SecGroups {
		if id == gid {
			return true
		}
	}
	return false
}

// vmsOfGroup returns the VMs with a NIC bound to the group.
func (s *Server) vmsOfGroup(gid string) []*vm {
	seen := map[string]bool{}
	var out []*vm
	for _, n := range sorted(s.st.NICs, func(n *nic) bool { return nicBound(n, gid) }) {
		if v := s.st.VMs[n.VMID]; v != nil && !seen[v.ID] {
			seen[v.ID] = true
			out = append(out, v)
		}
	}
	return out
}

// applyRule records a rule that could not take effect on a VM that is not
// running; cloudsegroup/retryrule lists and retries them.
func (s *Server) applyRule(r *sgRule, v *vm) {
	if v.State == VMRunning {
		return
	}
	for _, x := range s.st.Retries {
		if x.RuleID == r.ID && x.VMID == v.ID {
			return
		}
	}
	x := &retryIssue{ID: s.newID(), TenantID: r.TenantID, RuleID: r.ID, GroupID: r.GroupID, VMID: v.ID, Seq: s.nextSeq()}
	s.st.Retries[x.ID] = x
}

func (c *call) bindArgs() (*secGroup, []*nic, *apiErr) {
	if e := c.p.require("securitygroup.id", "vnic.id"); e != nil {
		return nil, nil, e
	}
	g, e := c.sgByID(c.p.str("securitygroup.id"))
	if e != nil {
		return nil, nil, e
	}
	var nics []*nic
	for _, id := range c.p.list("vnic.id") {
		n := c.s.st.NICs[id]
		if n == nil || n.TenantID != g.TenantID || !c.sees(n.TenantID) {
			return nil, nil, failf("云主机网卡不存在: %s", id)
		}
		nics = append(nics, n)
	}
	return g, nics, nil
}

// POST cloudsegroup/vnic/bind
func (s *Server) hSGBind(c *call) (*reply, *apiErr) {
	g, nics, e := c.bindArgs()
	if e != nil {
		return nil, e
	}
	for _, n := range nics {
		if nicBound(n, g.ID) {
			continue
		}
		n.SecGroups = append(n.SecGroups, g.ID)
		if v := s.st.VMs[n.VMID]; v != nil {
			for _, r := range sorted(s.st.SGRules, func(r *sgRule) bool { return r.GroupID == g.ID }) {
				s.applyRule(r, v)
			}
		}
	}
	return dataReply(""), nil
}

// POST cloudsegroup/vnic/unbind (the document writes "cloudsegroup /vnic/unbind")
func (s *Server) hSGUnbind(c *call) (*reply, *apiErr) {
	g, nics, e := c.bindArgs()
	if e != nil {
		return nil, e
	}
	for _, n := range nics {
		if !nicBound(n, g.ID) {
			return nil, failf("云主机网卡未绑定该安全组: %s", n.ID)
		}
	}
	for _, n := range nics {
		kept := n.SecGroups[:0]
		for _, id := range n.SecGroups {
			if id != g.ID {
				kept = append(kept, id)
			}
		}
		n.SecGroups = kept
	}
	bound := map[string]bool{}
	for _, v := range s.vmsOfGroup(g.ID) {
		bound[v.ID] = true
	}
	for id, r := range s.st.Retries {
		if r.GroupID == g.ID && !bound[r.VMID] {
			delete(s.st.Retries, id)
		}
	}
	return dataReply(""), nil
}

// POST cloudsegroup/vnic/search
func (s *Server) hSGNICSearch(c *call) (*reply, *apiErr) {
	if e := c.p.require("securitygroup.id"); e != nil {
		return nil, e
	}
	pg, e := c.p.page(false)
	if e != nil {
		return nil, e
	}
	g, e := c.sgByID(c.p.str("securitygroup.id"))
	if e != nil {
		return nil, e
	}
	ip := c.p.str("vnic.ipaddress")
	rows := []obj{}
	for _, n := range sorted(s.st.NICs, func(n *nic) bool { return nicBound(n, g.ID) && fuzzy(n.IP, ip) }) {
		rows = append(rows, s.nicObj(n))
	}
	return paged(rows, pg), nil
}

func sgRuleObj(r *sgRule) obj {
	return obj{
		"aclrule_id": r.ID, "aclrule_srcip": r.SrcIP, "aclrule_target": r.Target, "aclrule_direction": r.Direction,
		"aclrule_vmport": r.VMPort, "aclrule_protocal": r.Protocol,
		"aclrule_ securitygroupid": r.GroupID, "aclrule_securitygroupid": r.GroupID,
	}
}

// POST cloudsegroup/rule/search
func (s *Server) hSGRuleSearch(c *call) (*reply, *apiErr) {
	if e := c.p.require("aclrule.securitygroupid"); e != nil {
		return nil, e
	}
	pg, e := c.p.page(false)
	if e != nil {
		return nil, e
	}
	groups := map[string]bool{}
	for _, id := range c.p.list("aclrule.securitygroupid") {
		if _, e := c.sgByID(id); e != nil {
			return nil, e
		}
		groups[id] = true
	}
	f := func(k string) string { return c.p.str(k) }
	rows := []obj{}
	for _, r := range sorted(s.st.SGRules, func(r *sgRule) bool { return groups[r.GroupID] }) {
		if exact(r.ID, f("aclrule.id")) && fuzzy(r.VMPort, f("aclrule.vmport")) &&
			exact(r.Protocol, strings.ToLower(f("aclrule.protocal"))) && fuzzy(r.SrcIP, f("aclrule.srcip")) &&
			fuzzy(r.Target, f("aclrule.target")) && exact(r.Direction, f("aclrule.direction")) {
			rows = append(rows, sgRuleObj(r))
		}
	}
	return paged(rows, pg), nil
}

// POST cloudsegroup/rule/add
func (s *Server) hSGRuleAdd(c *call) (*reply, *apiErr) {
	if e := c.p.require("aclrule.direction", "aclrule.securitygroupid"); e != nil {
		return nil, e
	}
	g, e := c.sgByID(c.p.str("aclrule.securitygroupid"))
	if e != nil {
		return nil, e
	}
	dir := c.p.str("aclrule.direction")
	if dir != "in" && dir != "out" {
		return nil, failf("参数aclrule.direction必须为in或out: %q", dir)
	}
	proto := strings.ToLower(c.p.str("aclrule.protocal"))
	if proto != "" && proto != "tcp" && proto != "udp" && proto != "icmp" {
		return nil, failf("参数aclrule.protocal必须为tcp、udp或icmp: %q", proto)
	}
	if e := checkPorts("aclrule.vmport", c.p.str("aclrule.vmport")); e != nil {
		return nil, e
	}
	if e := checkCIDRList("aclrule.srcip", c.p.str("aclrule.srcip")); e != nil {
		return nil, e
	}
	if e := checkCIDRList("aclrule.target", c.p.str("aclrule.target")); e != nil {
		return nil, e
	}
	r := &sgRule{ID: s.newID(), TenantID: g.TenantID, GroupID: g.ID, VMPort: c.p.str("aclrule.vmport"),
		SrcIP: c.p.str("aclrule.srcip"), Target: c.p.str("aclrule.target"), Direction: dir, Protocol: proto, Seq: s.nextSeq()}
	s.st.SGRules[r.ID] = r
	for _, v := range s.vmsOfGroup(g.ID) {
		s.applyRule(r, v)
	}
	return dataReply(obj{"aclrule.id": r.ID}), nil
}

// DELETE cloudsegroup/rule/{ruleid}
func (s *Server) hSGRuleDelete(c *call) (*reply, *apiErr) {
	r := s.st.SGRules[c.id]
	if r == nil || !c.sees(r.TenantID) {
		return nil, failf("安全组规则不存在: %s", c.id)
	}
	delete(s.st.SGRules, r.ID)
	for id, x := range s.st.Retries {
		if x.RuleID == r.ID {
			delete(s.st.Retries, id)
		}
	}
	return dataReply(""), nil
}

// POST cloudsegroup/rule/vm
func (s *Server) hSGRuleVM(c *call) (*reply, *apiErr) {
	v, e := c.vmParam("vm.id")
	if e != nil {
		return nil, e
	}
	pg, e := c.p.page(false)
	if e != nil {
		return nil, e
	}
	groups := map[string]bool{}
	for _, n := range s.st.NICs {
		if n.VMID == v.ID {
			for _, id := range n.SecGroups {
				groups[id] = true
			}
		}
	}
	pending := map[string]bool{}
	for _, x := range s.st.Retries {
		if x.VMID == v.ID {
			pending[x.RuleID] = true
		}
	}
	rows := []obj{}
	for _, r := range sorted(s.st.SGRules, func(r *sgRule) bool { return groups[r.GroupID] }) {
		o := sgRuleObj(r)
		delete(o, "aclrule_ securitygroupid")
		o["aclrule_securitygroupname"] = ""
		if g := s.st.SecGroups[r.GroupID]; g != nil {
			o["aclrule_securitygroupname"] = g.Name
		}
		o["aclrule_status"] = tf(!pending[r.ID])
		rows = append(rows, o)
	}
	return paged(rows, pg), nil
}

func (s *Server) retryMatches(c *call, x *retryIssue) bool {
	return c.sees(x.TenantID) && exact(x.VMID, c.p.str("vm.id")) && exact(x.GroupID, c.p.str("securitygroup.id")) &&
		exact(x.ID, c.p.str("issue.id"))
}

// POST cloudsegroup/retryrule/search
func (s *Server) hRetrySearch(c *call) (*reply, *apiErr) {
	pg, e := c.p.page(false)
	if e != nil {
		return nil, e
	}
	rows := []obj{}
	for _, x := range sorted(s.st.Retries, func(x *retryIssue) bool { return s.retryMatches(c, x) }) {
		rows = append(rows, obj{"issue.id": x.ID, "aclrule.id": x.RuleID, "vm.id": x.VMID, "retry.num": itoa(x.RetryNum),
			"securitygroup.id": x.GroupID})
	}
	return paged(rows, pg), nil
}

// PUT cloudsegroup/retryrule/reset: retry every matching rule that has not
// taken effect; those whose VM now runs take effect, the others count a retry.
func (s *Server) hRetryReset(c *call) (*reply, *apiErr) {
	for _, x := range sorted(s.st.Retries, func(x *retryIssue) bool { return s.retryMatches(c, x) }) {
		if v := s.st.VMs[x.VMID]; v == nil || v.State == VMRunning {
			delete(s.st.Retries, x.ID)
			continue
		}
		x.RetryNum++
	}
	return dataReply(""), nil
}
