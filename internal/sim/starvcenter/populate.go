package starvcentersim

import (
	"fmt"
	"strings"
	"time"
)

// seedInfra fills a fresh state with what every StarVCenter has before any
// tenant exists: hosts, storages, the outer IP pool, the VM type and model
// dictionary, and a few host alarms.
func (s *Server) seedInfra() {
	now := s.now()
	for i := range 3 {
		s.addHost(fmt.Sprintf("node-%02d", i+1), fmt.Sprintf("192.168.10.%d", 11+i), HostRunning, now)
	}
	for _, st := range []storage{
		{Name: "main-nfs", Desc: "主存储(NFS)", Type: "NFS", Thin: true, Size: 20480, BaseUsed: 1200,
			Location: "192.168.10.30:/export/starv", UseType: "main", FileType: "network", IOAuth: "rw"},
		{Name: "ceph-rbd", Desc: "主存储(Ceph RBD)", Type: "CEPH", Thin: true, Size: 51200, BaseUsed: 3400,
			Location: "rbd:starv", UseType: "main", FileType: "block", IOAuth: "rw", CephMon: "192.168.10.21,192.168.10.22,192.168.10.23"},
		{Name: "backup-nfs", Desc: "辅助存储(备份)", Type: "NFS", Thin: false, Size: 10240, BaseUsed: 800,
			Location: "192.168.10.31:/export/backup", UseType: "seconds", FileType: "file", IOAuth: "rw"},
	} {
		st.ID, st.Created, st.Seq = s.newID(), now, s.nextSeq()
		s.st.Storages[st.ID] = &st
	}
	for h := 10; h < 74; h++ {
		s.st.Pool = append(s.st.Pool, poolIP{IP: fmt.Sprintf("203.0.113.%d", h), Gateway: "203.0.113.1", Netmask: "255.255.255.0"})
	}
	types := []struct {
		value, label string
		models       [][2]string
	}{
		{"tenant_app_model", "应用服务器", [][2]string{{"centos-7-9", "CentOS_7_9"}, {"ubuntu-22-04", "UBUNTU_22_04"},
			{"win-2022", "WIN_2022"}, {"k8s-1-16-8", "K8S_1_16_8"}, {"weblogic-12c", "WEBLOGIC_12C"}}},
		{"tenant_db_model", "数据库", [][2]string{{"mysql-8-0", "MYSQL_8_0"}, {"postgresql-15", "POSTGRESQL_15"}}},
		{"tenant_cache_model", "缓存服务器", [][2]string{{"redis-6-2", "REDIS_6_2"}}},
	}
	for _, t := range types {
		d := &dictEntry{ID: s.newID(), Type: dictTypeKey, Label: t.label, Value: t.value, Desc: "云主机类型", Seq: s.nextSeq()}
		s.st.Dict[d.ID] = d
		for _, m := range t.models {
			d := &dictEntry{ID: s.newID(), Type: t.value, Label: m[1], Value: m[0], Desc: t.label + "云主机型号", Seq: s.nextSeq()}
			s.st.Dict[d.ID] = d
		}
	}
	hosts := sorted(s.st.Hosts, nil)
	s.addAlarm("", "cpu", "high", hosts[0].ID, hosts[0].Name, "主机", "主机CPU利用率超过90%",
		now.Add(-26*time.Hour), now.Add(-25*time.Hour), "auto")
	s.addAlarm("", "memory", "medium", hosts[1].ID, hosts[1].Name, "主机", "主机内存利用率超过80%",
		now.Add(-2*time.Hour), time.Time{}, "none")
	s.addAlarm("", "network", "low", hosts[2].ID, hosts[2].Name, "主机", "主机管理网络丢包",
		now.Add(-72*time.Hour), now.Add(-71*time.Hour), "manual")
}

func (s *Server) addHost(name, ip string, state int, now time.Time) *host {
	h := &host{ID: s.newID(), Name: name, Desc: "计算节点", State: state, Connected: state == HostRunning, Created: now,
		IP: ip, Registered: true, OSProduct: "CentOS Linux 7.9.2009", OSBit: "64", OSVersion: "3.10.0-1160.el7.x86_64",
		VirtVer: "qemu-kvm 2.12.0", CPUVendor: "Intel", CPUCores: 64, CPUs: 2, MemGB: 256, Seq: s.nextSeq()}
	s.st.Hosts[h.ID] = h
	return h
}

func (s *Server) addAlarm(tenantID, typ, level, objID, objName, objType, content string, at, relieved time.Time, way string) {
	a := &alarm{ID: s.newID(), TenantID: tenantID, Type: typ, Level: level, ObjID: objID, ObjName: objName, ObjType: objType,
		Content: content, Created: at, RelieveTime: relieved, RelieveWay: way, Seq: s.nextSeq()}
	s.st.Alarms[a.ID] = a
}

// PopulateOptions says how much demo data Populate adds.
type PopulateOptions struct {
	// Tenants is how many tenants to fill: the tenants of the configured
	// tokens first, then new tenants, each with a token TokenPrefix+N.
	Tenants int `json:"tenants"`
	// VMsPerTenant is how many VMs each filled tenant gets (default 5).
	VMsPerTenant int `json:"vmsPerTenant"`
	// Hosts is how many hosts to add to the pool.
	Hosts int `json:"hosts"`
	// TokenPrefix names the tokens of new tenants (default "svc-demo-token-").
	TokenPrefix string `json:"tokenPrefix"`
}

// Populate adds tenants with VPCs, a virtual router, VMs with disks and
// NICs, security groups, snapshots, backups, NAT mappings and a load
// balancer, plus hosts, for demos and benchmarks. Everything it makes is
// ready at once (no tasks).
func (s *Server) Populate(opt PopulateOptions) error {
	if opt.Tenants < 0 || opt.VMsPerTenant < 0 || opt.Hosts < 0 {
		return fmt.Errorf("starvcenter sim: populate: counts must not be negative")
	}
	if opt.VMsPerTenant == 0 {
		opt.VMsPerTenant = 5
	}
	if opt.VMsPerTenant > 50000 || opt.Tenants > 1000 {
		return fmt.Errorf("starvcenter sim: populate: at most 1000 tenants and 50000 VMs per tenant")
	}
	if opt.TokenPrefix == "" {
		opt.TokenPrefix = "svc-demo-token-"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.advance(now)
	for range opt.Hosts {
		n := len(s.st.Hosts) + 1
		s.addHost(fmt.Sprintf("node-%02d", n), fmt.Sprintf("192.168.%d.%d", 10+n/200, 11+n%200), HostRunning, now)
	}
	var targets []*tenant
	seen := map[string]bool{}
	for _, tok := range s.tokens {
		if id := s.st.Tokens[strings.TrimSpace(tok)]; id != "" && !seen[id] && len(targets) < opt.Tenants {
			seen[id] = true
			targets = append(targets, s.st.Tenants[id])
		}
	}
	for n := 1; len(targets) < opt.Tenants; n++ {
		tok := fmt.Sprintf("%s%d", opt.TokenPrefix, n)
		if id, ok := s.st.Tokens[tok]; ok {
			if !seen[id] {
				seen[id] = true
				targets = append(targets, s.st.Tenants[id])
			}
			continue
		}
		t := s.newTenant(fmt.Sprintf("demo-tenant-%d", n), "演示租户", DefaultQuota)
		s.st.Tokens[tok] = t.ID
		seen[t.ID] = true
		targets = append(targets, t)
	}
	for _, t := range targets {
		s.populateTenant(t, opt.VMsPerTenant, now)
	}
	s.dirty = true
	return nil
}

func (s *Server) populateTenant(t *tenant, nVMs int, now time.Time) {
	nets := (nVMs+199)/200 + 1
	u := s.usageOf(t.ID)
	grow := func(q *int64, want int64) {
		if *q > 0 && *q < want {
			*q = want
		}
	}
	grow(&t.Quota.CPU, u.CPU+int64(nVMs)*8)
	grow(&t.Quota.Memory, u.Memory+int64(nVMs)*8192)
	grow(&t.Quota.Storage, u.Storage+int64(nVMs)*(systemDiskGB+100))
	grow(&t.Quota.PortGroup, u.PortGroup+int64(nets))
	grow(&t.Quota.OuterIP, u.OuterIP+3)

	r := s.tenantVRoute(t.ID)
	if r == nil {
		r = &vroute{ID: s.newID(), TenantID: t.ID, Name: t.Name + "-vroute", Created: now, Online: true, Seq: s.nextSeq()}
		r.GroupID = r.ID
		r.ManageIP = fmt.Sprintf("192.168.100.%d", 10+len(s.st.VRoutes)%240)
		s.st.VRoutes[r.ID] = r
	}
	var vpcs []*vpc
	for i := range nets {
		n, e := s.newVPC(t, fmt.Sprintf("%s-net-%d", t.Name, i+1), "演示私网")
		if e != nil {
			break
		}
		if i < nets-1 || nets == 1 {
			n.VRouteID = r.ID
		}
		vpcs = append(vpcs, n)
	}
	if len(vpcs) == 0 {
		return
	}
	g := &secGroup{ID: s.newID(), TenantID: t.ID, Name: t.Name + "-default", Desc: "默认安全组", Created: now, Seq: s.nextSeq()}
	s.st.SecGroups[g.ID] = g
	for _, rr := range []sgRule{
		{Direction: "in", Protocol: "tcp", VMPort: "22", SrcIP: "0.0.0.0/0"},
		{Direction: "in", Protocol: "tcp", VMPort: "80,443", SrcIP: "0.0.0.0/0"},
		{Direction: "out", Target: "0.0.0.0/0"},
	} {
		rr.ID, rr.TenantID, rr.GroupID, rr.Seq = s.newID(), t.ID, g.ID, s.nextSeq()
		s.st.SGRules[rr.ID] = &rr
	}
	models := sorted(s.st.Dict, func(d *dictEntry) bool { return d.Type != dictTypeKey })
	cpus := []int64{1, 2, 2, 4, 4, 8}
	mems := []int64{1024, 2048, 4096, 4096, 8192, 8192}
	var made []*vm
	for i := range nVMs {
		n := vpcs[min(i/200, len(vpcs)-1)]
		ips := s.freeIPs(n, 1)
		if len(ips) == 0 {
			break
		}
		k := s.rand()
		m := models[k%uint64(len(models))]
		spec := vmSpec{name: fmt.Sprintf("%s-vm-%03d", t.Name, i+1), model: m.Value, tenantType: m.Type,
			vcpu: cpus[(k>>8)%uint64(len(cpus))], mem: mems[(k>>16)%uint64(len(mems))]}
		if i%3 == 2 {
			spec.dataDisks, spec.dataSize = 1, 100
		}
		st := VMRunning
		if i%5 == 4 {
			st = VMStopped
		}
		v := s.createVM(t, n, spec, ips[0], st, LockNone)
		v.Created = now.Add(-time.Duration(nVMs-i) * time.Hour)
		if x := s.primaryNIC(v.ID); x != nil {
			x.SecGroups = []string{g.ID}
		}
		made = append(made, v)
	}
	for i, v := range made {
		if i%4 == 0 {
			b := &imageCopy{ID: s.newID(), TenantID: t.ID, VMID: v.ID, Name: v.Name + "-snap", Desc: "演示快照",
				Created: now.Add(-30 * time.Minute), Enable: true, Seq: s.nextSeq()}
			s.st.Snapshots[b.ID] = b
		}
		if i%6 == 0 {
			b := &imageCopy{ID: s.newID(), TenantID: t.ID, VMID: v.ID, Name: v.Name + "-backup", Desc: "演示备份",
				Created: now.Add(-3 * time.Hour), Enable: true, Seq: s.nextSeq()}
			s.st.Backups[b.ID] = b
		}
	}
	if len(made) > 0 {
		s.addAlarm(t.ID, "cpu", "medium", made[0].ID, made[0].Name, "云主机", "云主机CPU利用率超过80%",
			now.Add(-90*time.Minute), time.Time{}, "none")
	}
	// NAT: one port mapping and one IP mapping, if the pool has room.
	free := func() string {
		for _, p := range s.st.Pool {
			if h, _ := s.ipHolder(p.IP); h == "" {
				return p.IP
			}
		}
		return ""
	}
	if len(made) > 0 {
		if ip := free(); ip != "" {
			n := s.primaryNIC(made[0].ID)
			m := s.newNAT(t, "port", ip, n.IP, n)
			m.OuterPort, m.InnerPort, m.Protocol, m.Desc = "10022", "22", "tcp", "SSH"
		}
	}
	if len(made) > 1 {
		if ip := free(); ip != "" {
			n := s.primaryNIC(made[1].ID)
			s.newNAT(t, "ip", ip, n.IP, n).Desc = "演示IP映射"
		}
	}
	if len(made) > 2 {
		if ip := free(); ip != "" {
			b := &slb{ID: "slb_" + r.ID, TenantID: t.ID, Name: t.Name + "-web", Desc: "演示负载均衡", Created: now,
				VMID: r.ID, Protocol: "http", NetworkType: "outter", DirectIP: ip, DirectIPSelf: true, DirectPort: 80,
				RealPort: 8080, Enable: true, URLPath: "/", Policy: "rr", RetryTime: 3, CheckInterval: 5, CheckTimeout: 10,
				EmptyLinkTimout: 60, CheckPath: "/", MaxOccurs: 1000, Seq: s.nextSeq()}
			if s.st.SLBs[b.ID] == nil {
				s.st.SLBs[b.ID] = b
				for _, v := range made[1:3] {
					n := s.primaryNIC(v.ID)
					rn := &realNode{ID: s.newID(), TenantID: t.ID, SLBID: b.ID, Name: v.Name, Created: now, Enable: true,
						IP: n.IP, Port: 8080, VMID: v.ID, Weight: 1, Seq: s.nextSeq()}
					s.st.RealNodes[rn.ID] = rn
				}
			}
		}
	}
}
