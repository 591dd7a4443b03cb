package starvcentersim

import (
	"cmp"
	"slices"
	"strings"
)

func (s *Server) slbObj(b *slb) obj {
	checkPath := ""
	if b.Protocol == "http" || b.Protocol == "https" {
		checkPath = b.CheckPath
	}
	return obj{
		"slb.id": b.ID, "slb.name": b.Name, "slb.desc": b.Desc, "slb.createtime": fmtTime(b.Created),
		"slb.appid": b.TenantID, "slb.vmid ": b.VMID, "slb.vmid": b.VMID, "slb.protocal.type": b.Protocol,
		"slb.network.type": b.NetworkType, "slb.directip": b.DirectIP, "slb.directip.self": tf(b.DirectIPSelf),
		"slb.directport": itoa(b.DirectPort), "slb.realport": itoa(b.RealPort), "slb.enable": tf(b.Enable),
		"slb.http.urlpath": b.URLPath, "slb.https.cert.enable": tf(b.CertEnable), "slb.policy.type": b.Policy,
		"slb.health.retrytime": itoa(b.RetryTime), "slb.health.check.interval": itoa(b.CheckInterval),
		"slb.health.check.timeout": itoa(b.CheckTimeout), "slb.health.emptylink.timeout": itoa(b.EmptyLinkTimout),
		"slb.health.check.path": checkPath, "slb.maxoccurs ": itoa(b.MaxOccurs), "slb.maxoccurs": itoa(b.MaxOccurs),
	}
}

func (c *call) slbParam() (*slb, *apiErr) {
	if e := c.p.require("slb.id"); e != nil {
		return nil, e
	}
	return c.slbByID(c.p.str("slb.id"))
}

func (c *call) slbByID(id string) (*slb, *apiErr) {
	b := c.s.st.SLBs[id]
	if b == nil || !c.sees(b.TenantID) {
		return nil, failf("负载均衡不存在: %s", id)
	}
	return b, nil
}

func checkPEM(key, text, marker string) *apiErr {
	if !strings.Contains(text, "BEGIN") || !strings.Contains(text, marker) || !strings.Contains(text, "END") {
		return failf("参数%s不是PEM格式", key)
	}
	return nil
}

// slbTunables applies the optional settings shared by add and modify.
func (c *call) slbTunables(b *slb) *apiErr {
	for _, f := range []struct {
		key    string
		lo, hi int64
		dst    *int64
	}{
		{"slb.health.retrytime", 2, 10, &b.RetryTime}, {"slb.health.check.interval", 1, 50, &b.CheckInterval},
		{"slb.health.check.timeout", 1, 300, &b.CheckTimeout}, {"slb.health.emptylink.timeout", 1, 120, &b.EmptyLinkTimout},
		{"slb.maxoccurs", 10, 10000, &b.MaxOccurs}, {"slb.directport", 50, 65535, &b.DirectPort},
	} {
		n, ok, e := c.p.intIn(f.key, f.lo, f.hi)
		if e != nil {
			return e
		}
		if ok {
			*f.dst = n
		}
	}
	if pol := c.p.str("slb.policy.type"); pol != "" {
		if !slices.Contains([]string{"rr", "wrr", "wlc"}, pol) {
			return failf("参数slb.policy.type必须为rr、wrr或wlc: %q", pol)
		}
		b.Policy = pol
	}
	if p := c.p.str("slb.health.check.path"); p != "" {
		b.CheckPath = p
	}
	if c.p.has("slb.name") {
		b.Name = c.p.str("slb.name")
	}
	if _, _, ok := c.p.raw("slb.desc"); ok {
		b.Desc = c.p.str("slb.desc")
	}
	return nil
}

// checkFront validates the front-end address of a load balancer (new or
// changed) and returns how many new outer IPs it takes from the quota. An
// outer address is either dedicated to one load balancer (self) or shared by
// several load balancers of one tenant; NAT mappings never share it.
func (s *Server) checkFront(b *slb, ip string, self bool) (int64, *apiErr) {
	if e := checkIPv4("slb.directip", ip); e != nil {
		return 0, e
	}
	for _, o := range s.st.SLBs {
		if o.ID != b.ID && o.DirectIP == ip && o.DirectPort == b.DirectPort && o.Protocol == b.Protocol {
			return 0, failf("前端IP与端口已被负载均衡%s使用: %s:%d", o.ID, ip, b.DirectPort)
		}
	}
	if b.NetworkType != "outter" {
		return 0, nil
	}
	if !s.inPool(ip) {
		return 0, failf("前端IP不在IP地址池中: %s", ip)
	}
	for _, m := range s.st.NATs {
		if m.OuterIP == ip {
			return 0, failf("前端IP已被映射使用: %s", ip)
		}
	}
	others := sorted(s.st.SLBs, func(o *slb) bool {
		return o.ID != b.ID && o.DirectIP == ip && o.NetworkType == "outter"
	})
	if len(others) == 0 {
		if ip == b.DirectIP && s.st.SLBs[b.ID] != nil {
			return 0, nil
		}
		return 1, nil
	}
	if self {
		return 0, failf("前端IP独享时须为未使用的IP: %s", ip)
	}
	for _, o := range others {
		if o.DirectIPSelf {
			return 0, failf("前端IP已被负载均衡%s独享: %s", o.ID, ip)
		}
		if o.TenantID != b.TenantID {
			return 0, failf("前端IP已被使用: %s", ip)
		}
	}
	return 0, nil
}

// POST cloudslb/add
func (s *Server) hSLBAdd(c *call) (*reply, *apiErr) {
	if e := c.p.require("slb.name", "slb.appid", "slb.protocal.type", "slb.network.type", "slb.directip",
		"slb.directport", "slb.vmid"); e != nil {
		return nil, e
	}
	t, e := c.owner("slb.appid")
	if e != nil {
		return nil, e
	}
	b := &slb{TenantID: t.ID, Created: c.now, Enable: true, URLPath: "/", Policy: "rr", RetryTime: 3,
		CheckInterval: 5, CheckTimeout: 10, EmptyLinkTimout: 60, MaxOccurs: 1000, DirectIPSelf: true}
	b.Protocol = strings.ToLower(c.p.str("slb.protocal.type"))
	if !slices.Contains([]string{"tcp", "udp", "http", "https"}, b.Protocol) {
		return nil, failf("参数slb.protocal.type必须为TCP、UDP、HTTP或HTTPS: %q", c.p.str("slb.protocal.type"))
	}
	switch nt := c.p.str("slb.network.type"); nt {
	case "outter", "outer":
		b.NetworkType = "outter"
	case "inner":
		b.NetworkType = "inner"
	default:
		return nil, failf("参数slb.network.type必须为outter或inner: %q", nt)
	}
	if e := c.slbTunables(b); e != nil {
		return nil, e
	}
	if u := c.p.str("slb.http.urlpath"); u != "" {
		b.URLPath = u
	}
	if b.CheckPath == "" {
		b.CheckPath = b.URLPath
	}
	b.RealPort = b.DirectPort
	if n, ok, e := c.p.intIn("slb.realport", 1, 65535); e != nil {
		return nil, e
	} else if ok {
		b.RealPort = n
	}
	if self, ok, e := c.p.boolean("slb.directip.self"); e != nil {
		return nil, e
	} else if ok && b.NetworkType == "outter" {
		b.DirectIPSelf = self
	}
	if b.NetworkType == "inner" {
		b.DirectIPSelf = false
	}
	if b.Protocol == "https" {
		if e := c.p.require("slb.https.cert.text", "slb.https.cert.key"); e != nil {
			return nil, failf("%s (协议类型为https时必需)", e.info)
		}
	}
	if c.p.has("slb.https.cert.text") || c.p.has("slb.https.cert.key") {
		if e := checkPEM("slb.https.cert.text", c.p.str("slb.https.cert.text"), "CERTIFICATE"); e != nil {
			return nil, e
		}
		if e := checkPEM("slb.https.cert.key", c.p.str("slb.https.cert.key"), "KEY"); e != nil {
			return nil, e
		}
		b.CertText, b.CertKey, b.CertEnable = c.p.str("slb.https.cert.text"), c.p.str("slb.https.cert.key"), true
	}
	r := s.st.VRoutes[c.p.str("slb.vmid")]
	if r == nil || r.TenantID != t.ID {
		return nil, failf("云路由虚拟机不存在: %s", c.p.str("slb.vmid"))
	}
	b.VMID = r.ID
	newIPs, e := s.checkFront(b, c.p.str("slb.directip"), b.DirectIPSelf)
	if e != nil {
		return nil, e
	}
	b.DirectIP = c.p.str("slb.directip")
	nodes, e := c.p.objects("realnode")
	if e != nil {
		return nil, e
	}
	var rns []*realNode
	for _, np := range nodes {
		rn, e := s.buildRealNode(c, t.ID, np)
		if e != nil {
			return nil, e
		}
		rns = append(rns, rn)
	}
	if e := s.checkQuota(t, need{OuterIP: newIPs}); e != nil {
		return nil, e
	}
	b.ID = c.p.str("slb.id")
	if b.ID == "" {
		b.ID = "slb_" + r.ID
		if s.st.SLBs[b.ID] != nil {
			b.ID = "slb_" + r.ID + "_" + s.newID()[:8]
		}
	} else if s.st.SLBs[b.ID] != nil {
		return nil, failf("SLB编号已存在: %s", b.ID)
	}
	b.Seq = s.nextSeq()
	s.st.SLBs[b.ID] = b
	for _, rn := range rns {
		rn.SLBID = b.ID
		rn.ID, rn.Seq = s.newID(), s.nextSeq()
		s.st.RealNodes[rn.ID] = rn
	}
	return dataReply(obj{"slb.id": b.ID}), nil
}

// buildRealNode validates one back-end node (not yet stored).
func (s *Server) buildRealNode(c *call, tenantID string, p params) (*realNode, *apiErr) {
	if e := p.require("realnode.ip", "realnode.port", "realnode.vmid"); e != nil {
		return nil, e
	}
	if e := checkIPv4("realnode.ip", p.str("realnode.ip")); e != nil {
		return nil, e
	}
	port, e := checkPort("realnode.port", p.str("realnode.port"))
	if e != nil {
		return nil, e
	}
	v := s.st.VMs[p.str("realnode.vmid")]
	if v == nil || v.TenantID != tenantID {
		return nil, failf("云主机不存在: %s", p.str("realnode.vmid"))
	}
	w, ok, e := p.intIn("realnode.weight", 1, 10)
	if e != nil {
		return nil, e
	}
	if !ok {
		w = 1
	}
	return &realNode{TenantID: tenantID, Name: p.str("realnode.name"), Desc: p.str("realnode.desc"), Created: c.now,
		Enable: true, IP: p.str("realnode.ip"), Port: port, VMID: v.ID, Weight: w}, nil
}

func orderRows[T any](rows []T, by string, name func(T) string) {
	if by == "name" {
		slices.SortStableFunc(rows, func(a, b T) int { return cmp.Compare(name(a), name(b)) })
	}
}

// POST cloudslb/search
func (s *Server) hSLBSearch(c *call) (*reply, *apiErr) {
	pg, e := c.p.page(false)
	if e != nil {
		return nil, e
	}
	by := c.p.str("search.orderby")
	if by != "" && by != "createtime" && by != "name" {
		return nil, failf("参数search.orderby必须为createtime或name: %q", by)
	}
	f := func(k string) string { return c.p.str(k) }
	list := sorted(s.st.SLBs, func(b *slb) bool {
		return c.sees(b.TenantID) && exact(b.ID, f("slb.id")) && fuzzy(b.Name, f("slb.name")) &&
			exact(b.TenantID, f("slb.appid")) && exact(tf(b.Enable), f("slb.enable")) &&
			exact(b.Protocol, strings.ToLower(f("slb.protocal.type"))) && exact(b.NetworkType, f("slb.network.type")) &&
			exact(b.DirectIP, f("slb.directip")) && exact(itoa(b.DirectPort), f("slb.directport"))
	})
	orderRows(list, by, func(b *slb) string { return b.Name })
	rows := []obj{}
	for _, b := range list {
		rows = append(rows, s.slbObj(b))
	}
	return paged(rows, pg), nil
}

// PUT cloudslb/modify (the document writes "cloud slb/modify")
func (s *Server) hSLBModify(c *call) (*reply, *apiErr) {
	b, e := c.slbParam()
	if e != nil {
		return nil, e
	}
	nb := *b
	if e := c.slbTunables(&nb); e != nil {
		return nil, e
	}
	self := nb.DirectIPSelf
	if v, ok, e := c.p.boolean("slb.directip.self"); e != nil {
		return nil, e
	} else if ok && nb.NetworkType == "outter" {
		self = v
	}
	ip := nb.DirectIP
	if c.p.has("slb.directip") {
		ip = c.p.str("slb.directip")
	}
	var newIPs int64
	if ip != b.DirectIP || self != b.DirectIPSelf || nb.DirectPort != b.DirectPort {
		if newIPs, e = s.checkFront(&nb, ip, self); e != nil {
			return nil, e
		}
	}
	if e := s.checkQuota(s.st.Tenants[b.TenantID], need{OuterIP: newIPs}); e != nil {
		return nil, e
	}
	nb.DirectIP, nb.DirectIPSelf = ip, self
	*b = nb
	return dataReply(""), nil
}

// DELETE cloudslb/{slbid}
func (s *Server) hSLBDelete(c *call) (*reply, *apiErr) {
	b, e := c.slbByID(c.id)
	if e != nil {
		return nil, e
	}
	for id, rn := range s.st.RealNodes {
		if rn.SLBID == b.ID {
			delete(s.st.RealNodes, id)
		}
	}
	delete(s.st.SLBs, b.ID)
	return dataReply(""), nil
}

func (s *Server) slbEnable(c *call, on bool) (*reply, *apiErr) {
	b, e := c.slbParam()
	if e != nil {
		return nil, e
	}
	b.Enable = on
	return dataReply(""), nil
}

// POST cloudslb/start
func (s *Server) hSLBStart(c *call) (*reply, *apiErr) { return s.slbEnable(c, true) }

// POST cloudslb/stop
func (s *Server) hSLBStop(c *call) (*reply, *apiErr) { return s.slbEnable(c, false) }

// PUT cloudslb/https/cert/conf
func (s *Server) hSLBCert(c *call) (*reply, *apiErr) {
	if e := c.p.require("slb.id", "slb.https.cert.text", "slb.https.cert.key"); e != nil {
		return nil, e
	}
	b, e := c.slbParam()
	if e != nil {
		return nil, e
	}
	if b.Protocol != "https" {
		return nil, failf("负载均衡协议类型不是https, 不能配置证书: %s(%s)", b.ID, b.Protocol)
	}
	if e := checkPEM("slb.https.cert.text", c.p.str("slb.https.cert.text"), "CERTIFICATE"); e != nil {
		return nil, e
	}
	if e := checkPEM("slb.https.cert.key", c.p.str("slb.https.cert.key"), "KEY"); e != nil {
		return nil, e
	}
	b.CertText, b.CertKey, b.CertEnable = c.p.str("slb.https.cert.text"), c.p.str("slb.https.cert.key"), true
	return dataReply(""), nil
}

func (s *Server) realNodeObj(r *realNode) obj {
	return obj{
		"realnode.id": r.ID, "realnode.name": r.Name, "realnode.desc": r.Desc, "realnode.createtime": fmtTime(r.Created),
		"realnode.slbid": r.SLBID, "realnode.enable": tf(r.Enable), "realnode.ip": r.IP, "realnode.port": itoa(r.Port),
		"realnode.vmid": r.VMID, "realnode.weight": itoa(r.Weight),
	}
}

// POST cloudslb/realnode/search
func (s *Server) hRealNodeSearch(c *call) (*reply, *apiErr) {
	pg, e := c.p.page(false)
	if e != nil {
		return nil, e
	}
	by := c.p.str("search.orderby")
	if by != "" && by != "createtime" && by != "name" {
		return nil, failf("参数search.orderby必须为createtime或name: %q", by)
	}
	f := func(k string) string { return c.p.str(k) }
	list := sorted(s.st.RealNodes, func(r *realNode) bool {
		return c.sees(r.TenantID) && exact(r.ID, f("realnode.id")) && fuzzy(r.Name, f("realnode.name")) &&
			exact(r.IP, f("realnode.ip")) && exact(itoa(r.Port), f("realnode.port")) && exact(r.SLBID, f("realnode.slbid"))
	})
	orderRows(list, by, func(r *realNode) string { return r.Name })
	rows := []obj{}
	for _, r := range list {
		rows = append(rows, s.realNodeObj(r))
	}
	return paged(rows, pg), nil
}

// POST cloudslb/realnode/add
func (s *Server) hRealNodeAdd(c *call) (*reply, *apiErr) {
	if e := c.p.require("realnode.slbid", "realnode.ip", "realnode.port", "realnode.vmid"); e != nil {
		return nil, e
	}
	b, e := c.slbByID(c.p.str("realnode.slbid"))
	if e != nil {
		return nil, e
	}
	rn, e := s.buildRealNode(c, b.TenantID, c.p)
	if e != nil {
		return nil, e
	}
	for _, o := range s.st.RealNodes {
		if o.SLBID == b.ID && o.IP == rn.IP && o.Port == rn.Port {
			return nil, failf("后端节点已存在: %s:%d", rn.IP, rn.Port)
		}
	}
	rn.SLBID, rn.ID, rn.Seq = b.ID, s.newID(), s.nextSeq()
	s.st.RealNodes[rn.ID] = rn
	return dataReply(obj{"realnode.id": rn.ID}), nil
}

// PUT cloudslb/realnode/modify
func (s *Server) hRealNodeModify(c *call) (*reply, *apiErr) {
	if e := c.p.require("realnode.id"); e != nil {
		return nil, e
	}
	rn := s.st.RealNodes[c.p.str("realnode.id")]
	if rn == nil || !c.sees(rn.TenantID) {
		return nil, failf("后端节点不存在: %s", c.p.str("realnode.id"))
	}
	port, weight := rn.Port, rn.Weight
	if c.p.has("realnode.port") {
		var e *apiErr
		if port, e = checkPort("realnode.port", c.p.str("realnode.port")); e != nil {
			return nil, e
		}
	}
	if n, ok, e := c.p.intIn("realnode.weight", 1, 10); e != nil {
		return nil, e
	} else if ok {
		weight = n
	}
	rn.Port, rn.Weight = port, weight
	return dataReply(""), nil
}

// DELETE cloudslb/realnode/{realnodeid}
func (s *Server) hRealNodeDelete(c *call) (*reply, *apiErr) {
	rn := s.st.RealNodes[c.id]
	if rn == nil || !c.sees(rn.TenantID) {
		return nil, failf("后端节点不存在: %s", c.id)
	}
	delete(s.st.RealNodes, rn.ID)
	return dataReply(""), nil
}
