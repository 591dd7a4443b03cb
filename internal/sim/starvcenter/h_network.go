package starvcentersim

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

func (c *call) vpcParam(key string) (*vpc, *apiErr) {
	if e := c.p.require(key); e != nil {
		return nil, e
	}
	id := c.p.str(key)
	n := c.s.st.VPCs[id]
	if n == nil || !c.sees(n.TenantID) {
		return nil, failf("私网不存在: %s", id)
	}
	return n, nil
}

func (s *Server) newVPC(t *tenant, name, desc string) (*vpc, *apiErr) {
	used := map[int]bool{}
	for _, n := range s.st.VPCs {
		used[n.Net] = true
	}
	for range 65535 {
		s.st.NetSeq = s.st.NetSeq%65535 + 1
		if !used[s.st.NetSeq] {
			n := &vpc{ID: s.newID(), TenantID: t.ID, Name: name, Desc: desc, Created: s.now(), Net: s.st.NetSeq, Seq: s.nextSeq()}
			if n.Name == "" {
				n.Name = "vpc-" + n.ID[:8]
			}
			s.st.VPCs[n.ID] = n
			return n, nil
		}
	}
	return nil, failf("没有可分配的私网网段")
}

// POST cloudnetwork/vpc/create
func (s *Server) hVPCCreate(c *call) (*reply, *apiErr) {
	t, e := c.owner("app.id")
	if e != nil {
		return nil, e
	}
	if e := s.checkQuota(t, need{PortGroup: 1}); e != nil {
		return nil, e
	}
	n, e := s.newVPC(t, c.p.str("vpc.name"), c.p.str("vpc.desc"))
	if e != nil {
		return nil, e
	}
	return dataReply(obj{"vpc.id": n.ID, "vpc.name": n.Name, "vpc.cidr": n.cidr(), "vpc.gateway": n.gateway()}), nil
}

// PUT cloudnetwork/vpc/modify
func (s *Server) hVPCModify(c *call) (*reply, *apiErr) {
	n, e := c.vpcParam("vpc.id")
	if e != nil {
		return nil, e
	}
	if c.p.has("vpc.name") {
		n.Name = c.p.str("vpc.name")
	}
	if _, _, ok := c.p.raw("vpc.desc"); ok {
		n.Desc = c.p.str("vpc.desc")
	}
	return dataReply(""), nil
}

// POST cloudnetwork/vpc/delete
func (s *Server) hVPCDelete(c *call) (*reply, *apiErr) {
	n, e := c.vpcParam("vpc.id")
	if e != nil {
		return nil, e
	}
	for _, x := range sorted(s.st.NICs, func(x *nic) bool { return x.VPCID == n.ID }) {
		return nil, failf("私网中存在云主机网卡(%s), 不能删除: %s", x.ID, n.ID)
	}
	delete(s.st.VPCs, n.ID)
	return dataReply(""), nil
}

func (s *Server) vpcObj(n *vpc) obj {
	return obj{
		"vpc.id":             n.ID,
		"vpc.name":           n.Name,
		" vpc.cidr":          n.cidr(),
		"vpc.cidr":           n.cidr(),
		"vpc.gateway":        n.gateway(),
		"vpc.usable.ipcount": itoa(len(s.freeIPs(n, 253))),
		"vpc.desc":           n.Desc,
		"vpc.createtime":     fmtTime(n.Created),
		"vpc.netgate.enable": tf(n.NetGate),
		"vpc.vrouteid":       n.VRouteID,
	}
}

// POST cloudnetwork/vpc/search
func (s *Server) hVPCSearch(c *call) (*reply, *apiErr) {
	pg, e := c.p.page(false)
	if e != nil {
		return nil, e
	}
	id, name := c.p.str("vpc.id"), c.p.str("vpc.name")
	rows := []obj{}
	for _, n := range sorted(s.st.VPCs, func(n *vpc) bool { return c.sees(n.TenantID) }) {
		if fuzzy(n.ID, id) && fuzzy(n.Name, name) {
			rows = append(rows, s.vpcObj(n))
		}
	}
	return paged(rows, pg), nil
}

// POST cloudnetwork/netgate
func (s *Server) hNetGate(c *call) (*reply, *apiErr) {
	if e := c.p.require("portgroup.id", "type"); e != nil {
		return nil, e
	}
	n, e := c.vpcParam("portgroup.id")
	if e != nil {
		return nil, e
	}
	switch c.p.str("type") {
	case "open":
		n.NetGate = true
	case "close":
		n.NetGate = false
	default:
		return nil, failf("参数type必须为open或close: %q", c.p.str("type"))
	}
	return dataReply(""), nil
}

// --- IP pool and NAT ---

func (s *Server) inPool(ip string) bool {
	for _, p := range s.st.Pool {
		if p.IP == ip {
			return true
		}
	}
	return false
}

// ipHolder says who holds a pool address: "" when free.
func (s *Server) ipHolder(ip string) (tenantID, kind string) {
	for _, m := range s.st.NATs {
		if m.OuterIP == ip {
			return m.TenantID, m.Type
		}
	}
	for _, b := range s.st.SLBs {
		if b.DirectIP == ip && b.NetworkType == "outter" {
			return b.TenantID, "slb"
		}
	}
	return "", ""
}

func (s *Server) nicByIP(c *call, tenantID, ip string) *nic {
	for _, n := range sorted(s.st.NICs, func(n *nic) bool { return n.IP == ip && n.TenantID == tenantID }) {
		return n
	}
	return nil
}

func (s *Server) tenantVRoute(tenantID string) *vroute {
	for _, r := range sorted(s.st.VRoutes, func(r *vroute) bool { return r.TenantID == tenantID }) {
		return r
	}
	return nil
}

func (s *Server) newNAT(t *tenant, typ, outerIP, innerIP string, n *nic) *natMapping {
	m := &natMapping{ID: s.newID(), TenantID: t.ID, Type: typ, OuterIP: outerIP, InnerIP: innerIP,
		VMID: n.VMID, VNetID: n.VPCID, Created: s.now(), Seq: s.nextSeq()}
	if v := s.st.VPCs[n.VPCID]; v != nil && v.VRouteID != "" {
		m.VRouteID = v.VRouteID
	} else if r := s.tenantVRoute(t.ID); r != nil {
		m.VRouteID = r.ID
	}
	s.st.NATs[m.ID] = m
	return m
}

// POST cloudnetwork/sharenet/connect
func (s *Server) hShareConnect(c *call) (*reply, *apiErr) {
	v, e := c.vmParam("vm.id")
	if e != nil {
		return nil, e
	}
	if e := operable(v); e != nil {
		return nil, e
	}
	t := s.st.Tenants[v.TenantID]
	n := s.primaryNIC(v.ID)
	if n == nil {
		return nil, failf("云主机没有网卡: %s", v.ID)
	}
	for _, m := range s.st.NATs {
		if m.Type == "ip" && m.InnerIP == n.IP && m.TenantID == t.ID {
			return nil, failf("云主机已存在IP映射(%s): %s", m.OuterIP, v.ID)
		}
	}
	if e := checkCIDRList("vm.allow.srcip", c.p.str("vm.allow.srcip")); e != nil {
		return nil, e
	}
	ip := c.p.str("vm.outer.ipaddress")
	if ip != "" {
		if !s.inPool(ip) {
			return nil, failf("外网IP不在IP地址池中: %s", ip)
		}
		if holder, _ := s.ipHolder(ip); holder != "" {
			return nil, failf("外网IP已被使用: %s", ip)
		}
	} else {
		for _, p := range s.st.Pool {
			if holder, _ := s.ipHolder(p.IP); holder == "" {
				ip = p.IP
				break
			}
		}
		if ip == "" {
			return nil, failf("IP地址池中没有可用的外网IP")
		}
	}
	if e := s.checkQuota(t, need{OuterIP: 1}); e != nil {
		return nil, e
	}
	m := s.newNAT(t, "ip", ip, n.IP, n)
	m.SrcIP, m.Desc = c.p.str("vm.allow.srcip"), c.p.str("desc")
	return dataReply(obj{"tenant.shareip": ip}), nil
}

// POST cloudnetwork/sharenet/search
func (s *Server) hShareSearch(c *call) (*reply, *apiErr) {
	pg, e := c.p.page(true)
	if e != nil {
		return nil, e
	}
	name, ip := c.p.str("vm.name"), c.p.str("tenant.shareip")
	rows := []obj{}
	for _, m := range sorted(s.st.NATs, func(m *natMapping) bool { return m.Type == "ip" && c.sees(m.TenantID) }) {
		vmName := ""
		if v := s.st.VMs[m.VMID]; v != nil {
			vmName = v.Name
		}
		if fuzzy(vmName, name) && fuzzy(m.OuterIP, ip) {
			rows = append(rows, obj{"nat.id": m.ID, "vm.id": m.VMID, "vm.name": vmName, "tenant.shareip": m.OuterIP})
		}
	}
	return paged(rows, pg), nil
}

func checkPort(key, v string) (int64, *apiErr) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 || n > 65535 {
		return 0, failf("参数%s必须为1-65535的端口: %q", key, v)
	}
	return n, nil
}

// checkPorts validates "80:83,85,87".
func checkPorts(key, v string) *apiErr {
	if v == "" {
		return nil
	}
	for _, part := range strings.Split(v, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), ":")
		a, e := checkPort(key, lo)
		if e != nil {
			return e
		}
		if isRange {
			b, e := checkPort(key, hi)
			if e != nil {
				return e
			}
			if b < a {
				return failf("参数%s端口段无效: %q", key, part)
			}
		}
	}
	return nil
}

// checkCIDRList validates "ip or cidr, mixed, comma separated".
func checkCIDRList(key, v string) *apiErr {
	if v == "" {
		return nil
	}
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if _, err := netip.ParseAddr(part); err == nil {
			continue
		}
		if _, err := netip.ParsePrefix(part); err == nil {
			continue
		}
		return failf("参数%s包含无效的IP或CIDR: %q", key, part)
	}
	return nil
}

func checkIPv4(key, v string) *apiErr {
	a, err := netip.ParseAddr(v)
	if err != nil || !a.Is4() {
		return failf("参数%s不是有效的IPv4地址: %q", key, v)
	}
	return nil
}

// POST cloudnetwork/portMapping/create
func (s *Server) hPortMapping(c *call) (*reply, *apiErr) {
	if e := c.p.require("innerIp", "innerPort", "ipaddress", "outerPort", "protocal"); e != nil {
		return nil, e
	}
	t, e := c.owner("app.id")
	if e != nil {
		return nil, e
	}
	inner, outer := c.p.str("innerIp"), c.p.str("ipaddress")
	if _, e := checkPort("innerPort", c.p.str("innerPort")); e != nil {
		return nil, e
	}
	if _, e := checkPort("outerPort", c.p.str("outerPort")); e != nil {
		return nil, e
	}
	proto := strings.ToLower(c.p.str("protocal"))
	if !slices.Contains([]string{"tcp", "udp"}, proto) {
		return nil, failf("参数protocal必须为tcp或udp: %q", c.p.str("protocal"))
	}
	if e := checkCIDRList("sourceIp", c.p.str("sourceIp")); e != nil {
		return nil, e
	}
	n := s.nicByIP(c, t.ID, inner)
	if n == nil {
		return nil, failf("虚拟机内网IP不存在: %s", inner)
	}
	if !s.inPool(outer) {
		return nil, failf("外网IP不在IP地址池中: %s", outer)
	}
	holder, kind := s.ipHolder(outer)
	if holder != "" && (holder != t.ID || kind != "port") {
		return nil, failf("外网IP已被使用: %s", outer)
	}
	for _, m := range s.st.NATs {
		if m.OuterIP == outer && m.OuterPort == c.p.str("outerPort") && m.Protocol == proto {
			return nil, failf("外网端口已被映射: %s:%s/%s", outer, m.OuterPort, proto)
		}
	}
	if holder == "" {
		if e := s.checkQuota(t, need{OuterIP: 1}); e != nil {
			return nil, e
		}
	}
	m := s.newNAT(t, "port", outer, inner, n)
	m.OuterPort, m.InnerPort, m.Protocol = c.p.str("outerPort"), c.p.str("innerPort"), proto
	m.SrcIP, m.Desc = c.p.str("sourceIp"), c.p.str("desc")
	return dataReply(obj{"nat.id": m.ID}), nil
}

// DELETE cloudnetwork/ipmapping/{natId}
func (s *Server) hIPMappingDelete(c *call) (*reply, *apiErr) {
	m := s.st.NATs[c.id]
	if m == nil || !c.sees(m.TenantID) {
		return nil, failf("映射不存在: %s", c.id)
	}
	delete(s.st.NATs, m.ID)
	return dataReply(obj{}), nil
}

// POST vroute/Mapping/search
func (s *Server) hMappingSearch(c *call) (*reply, *apiErr) {
	pg, e := c.p.page(false)
	if e != nil {
		return nil, e
	}
	f := func(k string) string { return c.p.str(k) }
	rows := []obj{}
	for _, m := range sorted(s.st.NATs, func(m *natMapping) bool { return c.sees(m.TenantID) }) {
		if !fuzzy(m.OuterIP, f("natOuterip")) || !exact(m.Type, f("natType")) || !exact(m.OuterPort, f("natOuterport")) ||
			!exact(m.InnerPort, f("natInnerport")) || !fuzzy(m.InnerIP, f("natInnerip")) ||
			!exact(m.VRouteID, f("natVrouteid")) || !exact(m.TenantID, f("natAppid")) {
			continue
		}
		vmName := ""
		if v := s.st.VMs[m.VMID]; v != nil {
			vmName = v.Name
		}
		rows = append(rows, obj{
			"nat_outerport": m.OuterPort, "nat_id": m.ID, "nat_protocal": m.Protocol,
			"nat_usedtime": fmtTime(m.Created), "nat_innerport": m.InnerPort, "nat_innerip": m.InnerIP,
			"net_vmid": m.VMID, "nat_vmid": m.VMID, "net_vmname": vmName, "nat_vmname": vmName,
			"nat_type": m.Type, "nat_vnetid": m.VNetID, "nat_outerip": m.OuterIP, "nat_vrouteid": m.VRouteID,
			"nat_desc": m.Desc, "nat_srcip": m.SrcIP, "nat_appid": m.TenantID,
		})
	}
	return paged(rows, pg), nil
}

// POST cloudip/mapping/outerIp/search
func (s *Server) hOuterIPSearch(c *call) (*reply, *apiErr) {
	pg, e := c.p.page(false)
	if e != nil {
		return nil, e
	}
	tenantID := c.p.str("tenant.id")
	if !c.admin {
		if tenantID != "" && tenantID != c.tenant.ID {
			return nil, failf("无权查询其他租户: %s", tenantID)
		}
		tenantID = c.tenant.ID
	}
	natType, inner := c.p.str("nat.type"), c.p.str("inner.ip")
	if natType != "" && natType != "ip" && natType != "port" {
		return nil, failf("参数nat.type必须为ip或port: %q", natType)
	}
	rows := []obj{}
	for _, p := range s.st.Pool {
		if !fuzzy(p.IP, c.p.str("ipaddress")) || !exact(p.IP, c.p.str("ipaddress.only")) {
			continue
		}
		holder, kind := s.ipHolder(p.IP)
		var ports []string
		innerMatch := false
		for _, m := range sorted(s.st.NATs, func(m *natMapping) bool { return m.OuterIP == p.IP }) {
			if m.OuterPort != "" {
				ports = append(ports, m.OuterPort)
			}
			innerMatch = innerMatch || m.InnerIP == inner
		}
		if inner != "" {
			if !innerMatch || (tenantID != "" && holder != tenantID) {
				continue
			}
		} else {
			free := holder == ""
			ownPorts := kind == "port" && (tenantID == "" || holder == tenantID)
			switch natType {
			case "ip":
				if !free {
					continue
				}
			default:
				if !free && !ownPorts {
					continue
				}
			}
		}
		row := obj{"ipaddress": p.IP, "gateway": p.Gateway, "netmask": p.Netmask}
		if natType != "ip" {
			row["ports"] = strings.Join(ports, ",")
		}
		rows = append(rows, row)
	}
	return paged(rows, pg), nil
}

// --- access rules (vroute ACL) ---

func (s *Server) aclObj(r *aclRule) obj {
	o := obj{
		"aclrule_id": r.ID, "aclrule_type": r.Type, "aclrule_vrouteid": r.VRouteID, "aclrule_vnetid": r.VNetID,
		"aclrule_target": r.DstIPs, "vmname": "", "aclrule_srcip": r.SrcIPs, "aclrule_vmport": r.Ports,
		"aclrule_protocal": r.Protocol, "aclrule_appid": r.TenantID, "aclrule_direction": r.Direction,
		"aclrule_desc": r.Desc,
	}
	if v := s.st.VMs[r.VMID]; v != nil {
		o["vmname"] = v.Name
	}
	if vr := s.st.VRoutes[r.VRouteID]; vr != nil {
		o["aclrule_vroutename"] = vr.Name
	}
	if t := s.st.Tenants[r.TenantID]; t != nil {
		o["aclrule_appname"] = t.Name
	}
	return o
}

// POST cloudnetwork/acessrule/search
func (s *Server) hACLSearch(c *call) (*reply, *apiErr) {
	pg, e := c.p.page(true)
	if e != nil {
		return nil, e
	}
	f := func(k string) string { return c.p.str(k, strings.ReplaceAll(k, "_", ".")) }
	rows := []obj{}
	for _, r := range sorted(s.st.ACLs, func(r *aclRule) bool { return c.sees(r.TenantID) }) {
		if !fuzzy(r.DstIPs, f("aclrule_target")) || !fuzzy(r.VNetID, f("aclrule_vnetid")) ||
			!exact(r.Type, f("aclrule_type")) || !fuzzy(r.Ports, f("aclrule_vmport")) ||
			!exact(r.VRouteID, f("aclrule_vrouteid")) {
			continue
		}
		rows = append(rows, s.aclObj(r))
	}
	return paged(rows, pg), nil
}

// POST cloudnetwork/acessrule/add
func (s *Server) hACLAdd(c *call) (*reply, *apiErr) {
	if e := c.p.require("vm.ip", "aclrule.type"); e != nil {
		return nil, e
	}
	t, e := c.owner("app.id")
	if e != nil {
		return nil, e
	}
	ip, typ := c.p.str("vm.ip"), c.p.str("aclrule.type")
	if typ != "net_gate" && typ != "net_inner" {
		return nil, failf("参数aclrule.type必须为net_gate或net_inner: %q", typ)
	}
	dir := c.p.str("allow.direction")
	if typ == "net_inner" && dir == "" {
		return nil, failf("缺少必需参数: allow.direction (aclrule.type为net_inner时必需)")
	}
	if dir != "" && dir != "in" && dir != "out" {
		return nil, failf("参数allow.direction必须为in或out: %q", dir)
	}
	ports, proto := c.p.str("allow.internalport"), strings.ToLower(c.p.str("allow.protocol"))
	if e := checkPorts("allow.internalport", ports); e != nil {
		return nil, e
	}
	if ports != "" && proto == "" {
		return nil, failf("缺少必需参数: allow.protocol (存在allow.internalport时必需)")
	}
	if proto != "" && !slices.Contains([]string{"tcp", "udp", "icmp"}, proto) {
		return nil, failf("参数allow.protocol必须为tcp、udp或icmp: %q", proto)
	}
	dst, src := c.p.str("allow.dstips"), c.p.str("allow.sourceips")
	switch dir {
	case "in":
		dst = ip
	case "out":
		src = ip
	}
	if e := checkCIDRList("allow.dstips", dst); e != nil {
		return nil, e
	}
	if e := checkCIDRList("allow.sourceips", src); e != nil {
		return nil, e
	}
	n := s.nicByIP(c, t.ID, ip)
	if n == nil {
		return nil, failf("被控制云主机IP不存在: %s", ip)
	}
	r := &aclRule{ID: s.newID(), TenantID: t.ID, Type: typ, VMIP: ip, VMID: n.VMID, VNetID: n.VPCID,
		Direction: dir, DstIPs: dst, Ports: ports, SrcIPs: src, Protocol: proto, Desc: c.p.str("aclrule.desc"), Seq: s.nextSeq()}
	if r.DstIPs == "" {
		r.DstIPs = ip
	}
	if v := s.st.VPCs[n.VPCID]; v != nil && v.VRouteID != "" {
		r.VRouteID = v.VRouteID
	} else if vr := s.tenantVRoute(t.ID); vr != nil {
		r.VRouteID = vr.ID
	}
	s.st.ACLs[r.ID] = r
	return dataReply(obj{"rule.id": r.ID}), nil
}

// DELETE cloudnetwork/acessrule/{ruleId}
func (s *Server) hACLDelete(c *call) (*reply, *apiErr) {
	r := s.st.ACLs[c.id]
	if r == nil || !c.sees(r.TenantID) {
		return nil, failf("访问控制规则不存在: %s", c.id)
	}
	delete(s.st.ACLs, r.ID)
	return dataReply(""), nil
}

// --- virtual routers ---

func (s *Server) vrouteObj(r *vroute) obj {
	o := obj{
		"vroute.id": r.ID, "vroute.name": r.Name, "vroute.desc": r.Desc, "vroute.createtime": fmtTime(r.Created),
		"vroute.register.address": r.ManageIP, "vroute.online": tf(r.Online), "vroute.manageip": r.ManageIP,
		"vroute.ha.enable": tf(r.HA),
	}
	var nets []string
	for _, n := range sorted(s.st.VPCs, func(n *vpc) bool { return n.VRouteID == r.ID }) {
		nets = append(nets, n.ID)
	}
	o["vroute.portgroupids"] = strings.Join(nets, ",")
	return o
}

// POST vroute/create
func (s *Server) hVRouteCreate(c *call) (*reply, *apiErr) {
	t, e := c.owner("app.id")
	if e != nil {
		return nil, e
	}
	ha, _, e := c.p.boolean("vroute.ha.enable")
	if e != nil {
		return nil, e
	}
	ip := c.p.str("vroute.manageip")
	if ip != "" {
		if e := checkIPv4("vroute.manageip", ip); e != nil {
			return nil, e
		}
		for _, r := range s.st.VRoutes {
			if r.ManageIP == ip {
				return nil, failf("WAN口IP已被使用: %s", ip)
			}
		}
	} else {
		used := map[string]bool{}
		for _, r := range s.st.VRoutes {
			used[r.ManageIP] = true
		}
		for h := 10; h < 250; h++ {
			if cand := fmt.Sprintf("192.168.100.%d", h); !used[cand] {
				ip = cand
				break
			}
		}
		if ip == "" {
			return nil, failf("没有可用的WAN口IP")
		}
	}
	name := c.p.str("vroute.name")
	if name == "" {
		name = "vroute"
	}
	count := 1
	if ha {
		count = 2
	}
	group := s.newID()
	out := []obj{}
	for i := range count {
		r := &vroute{ID: s.newID(), TenantID: t.ID, Name: name, Created: c.now, ManageIP: ip, HA: ha, GroupID: group, Seq: s.nextSeq()}
		if ha {
			r.Name = fmt.Sprintf("%s-%s", name, []string{"master", "backup"}[i])
		}
		s.st.VRoutes[r.ID] = r
		k := s.startTask(c, t.ID, opVRouteCreate, "vroute", r.ID, r.Name, 0, "")
		out = append(out, obj{"vm.id": r.ID, "vm.name": r.Name, "vm.manageip": r.ManageIP, "jobstartid": k.ID})
	}
	return dataReply(out), nil
}

func (c *call) vrouteFor(t string) (*vroute, *apiErr) {
	if id := c.p.str("vroute.id"); id != "" {
		r := c.s.st.VRoutes[id]
		if r == nil || !c.sees(r.TenantID) {
			return nil, failf("云路由不存在: %s", id)
		}
		return r, nil
	}
	r := c.s.tenantVRoute(t)
	if r == nil {
		return nil, failf("租户尚未创建云路由")
	}
	return r, nil
}

// POST vroute/vpcAdd
func (s *Server) hVRouteVPCAdd(c *call) (*reply, *apiErr) {
	n, e := c.vpcParam("portgroup.id")
	if e != nil {
		return nil, e
	}
	r, e := c.vrouteFor(n.TenantID)
	if e != nil {
		return nil, e
	}
	if !r.Online {
		return nil, failf("云路由未就绪(创建中或创建失败): %s", r.ID)
	}
	if n.VRouteID != "" {
		return nil, failf("子网已接入云路由(%s): %s", n.VRouteID, n.ID)
	}
	n.VRouteID = r.ID
	return &reply{}, nil
}

// POST vroute/vpcDelete
func (s *Server) hVRouteVPCDelete(c *call) (*reply, *apiErr) {
	n, e := c.vpcParam("portgroup.id")
	if e != nil {
		return nil, e
	}
	if n.VRouteID == "" {
		return nil, failf("子网未接入云路由: %s", n.ID)
	}
	n.VRouteID = ""
	return &reply{}, nil
}

// GET vroute/{vmId}
func (s *Server) hVRouteGet(c *call) (*reply, *apiErr) {
	r := s.st.VRoutes[c.id]
	if r == nil || !c.sees(r.TenantID) {
		return nil, failf("云路由不存在: %s", c.id)
	}
	return dataReply(s.vrouteObj(r)), nil
}
