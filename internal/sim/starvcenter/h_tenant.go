package starvcentersim

import (
	"fmt"
	"strings"
)

// usage is what a tenant holds against its quota.
type usage struct {
	CPU, Memory, Storage, PortGroup, OuterIP int64
}

func (s *Server) usageOf(tenantID string) usage {
	var u usage
	for _, v := range s.st.VMs {
		if v.TenantID != tenantID || v.State == VMCreateFailed {
			continue
		}
		u.CPU += max(v.VCPU, v.PendingVCPU)
		u.Memory += max(v.Memory, v.PendingMemory)
	}
	for _, d := range s.st.Disks {
		if d.TenantID == tenantID {
			u.Storage += max(d.Size, d.PendingSize)
		}
	}
	for _, n := range s.st.VPCs {
		if n.TenantID == tenantID {
			u.PortGroup++
		}
	}
	u.OuterIP = int64(len(s.outerIPsOf(tenantID)))
	return u
}

// outerIPsOf returns the pool addresses a tenant holds: through NAT mappings
// and through load balancers with a dedicated outer address.
func (s *Server) outerIPsOf(tenantID string) map[string]bool {
	ips := map[string]bool{}
	for _, m := range s.st.NATs {
		if m.TenantID == tenantID {
			ips[m.OuterIP] = true
		}
	}
	for _, b := range s.st.SLBs {
		if b.TenantID == tenantID && b.NetworkType == "outter" && s.inPool(b.DirectIP) {
			ips[b.DirectIP] = true
		}
	}
	return ips
}

// need is a request for more resources, checked against a tenant's quota.
type need struct {
	CPU, Memory, Storage, PortGroup, OuterIP int64
}

// checkQuota refuses a request that would exceed the tenant's quota; the
// message gives the quota, the current usage and the request.
func (s *Server) checkQuota(t *tenant, n need) *apiErr {
	u := s.usageOf(t.ID)
	type dim struct {
		name, unit  string
		quota, used int64
		want        int64
	}
	for _, d := range []dim{
		{"CPU", "核", t.Quota.CPU, u.CPU, n.CPU},
		{"内存", "MB", t.Quota.Memory, u.Memory, n.Memory},
		{"存储", "GB", t.Quota.Storage, u.Storage, n.Storage},
		{"子网", "个", t.Quota.PortGroup, u.PortGroup, n.PortGroup},
		{"外网IP", "个", t.Quota.OuterIP, u.OuterIP, n.OuterIP},
	} {
		if d.want > 0 && d.quota > 0 && d.used+d.want > d.quota {
			return failf("%s配额不足: 配额%d%s, 已使用%d%s, 本次申请%d%s", d.name, d.quota, d.unit, d.used, d.unit, d.want, d.unit)
		}
	}
	return nil
}

// POST cloudTenant/create (admin token)
func (s *Server) hTenantCreate(c *call) (*reply, *apiErr) {
	if e := c.p.require("app.name"); e != nil {
		return nil, e
	}
	name := c.p.str("app.name")
	for _, t := range s.st.Tenants {
		if t.Name == name {
			return nil, failf("租户名称已存在: %s", name)
		}
	}
	q := DefaultQuota
	for _, f := range []struct {
		key string
		dst *int64
	}{
		{"app.cpu.quota", &q.CPU}, {"app.memory.quota", &q.Memory}, {"app.storage.quota", &q.Storage},
		{"app.portgroup.quota", &q.PortGroup}, {"app.outerip.quota", &q.OuterIP},
	} {
		n, ok, e := c.p.intIn(f.key, 0, 1<<40)
		if e != nil {
			return nil, e
		}
		if ok {
			*f.dst = n
		}
	}
	t := s.newTenant(name, c.p.str("app.desc"), q)
	return dataReply(obj{"app.id": t.ID}), nil
}

func (s *Server) newTenant(name, desc string, q Quota) *tenant {
	t := &tenant{ID: s.newID(), Name: name, Desc: desc, Created: s.now(), Quota: q, Seq: s.nextSeq()}
	s.st.Tenants[t.ID] = t
	return t
}

// addToken accepts a token for a tenant (a new tenant when tenantID is "")
// and returns the tenant id. Caller holds s.mu, or has the server to itself.
func (s *Server) addToken(token, tenantID string) (string, error) {
	token = strings.TrimSpace(token)
	if token == "" {
		return "", fmt.Errorf("starvcenter sim: empty token")
	}
	if token == s.admin {
		return "", fmt.Errorf("starvcenter sim: token %q is the admin token", token)
	}
	if id, ok := s.st.Tokens[token]; ok && s.st.Tenants[id] != nil {
		if tenantID != "" && tenantID != id {
			return "", fmt.Errorf("starvcenter sim: token already belongs to tenant %s", id)
		}
		return id, nil
	}
	if tenantID != "" {
		if s.st.Tenants[tenantID] == nil {
			return "", fmt.Errorf("starvcenter sim: tenant %s not found", tenantID)
		}
		s.st.Tokens[token] = tenantID
		return tenantID, nil
	}
	t := s.newTenant(fmt.Sprintf("tenant-%d", len(s.st.Tenants)+1), "令牌"+maskToken(token)+"的租户", DefaultQuota)
	s.st.Tokens[token] = t.ID
	return t.ID, nil
}

func maskToken(t string) string {
	if len(t) <= 4 {
		return "****"
	}
	return t[:4] + "****"
}

// quotaTenant resolves the tenant a quota call names: a tenant token may only
// name itself.
func (c *call) quotaTenant(key string) (*tenant, *apiErr) {
	if e := c.p.require(key); e != nil {
		return nil, e
	}
	id := c.p.str(key)
	t := c.s.st.Tenants[id]
	if t == nil || !c.sees(id) {
		return nil, failf("租户不存在: %s", id)
	}
	return t, nil
}

// POST resourcequota/search: the resource pool's total.
func (s *Server) hQuotaSearch(c *call) (*reply, *apiErr) {
	var cpu, mem, sto int64
	for _, h := range s.st.Hosts {
		cpu += h.CPUCores
		mem += h.MemGB * 1024
	}
	for _, st := range s.st.Storages {
		if st.UseType == "main" {
			sto += st.Size
		}
	}
	return dataReply(obj{"cpu": cpu, "memory": mem, "storage": sto, "ip": int64(len(s.st.Pool))}), nil
}

// PUT resourcequota/modify
func (s *Server) hQuotaModify(c *call) (*reply, *apiErr) {
	if e := c.p.require("tenantId", "cpu", "memory", "storage", "ip", "vpc"); e != nil {
		return nil, e
	}
	t, e := c.quotaTenant("tenantId")
	if e != nil {
		return nil, e
	}
	q := t.Quota
	for _, f := range []struct {
		key string
		dst *int64
	}{{"cpu", &q.CPU}, {"memory", &q.Memory}, {"storage", &q.Storage}, {"ip", &q.OuterIP}, {"vpc", &q.PortGroup}} {
		n, _, e := c.p.intIn(f.key, 0, 1<<40)
		if e != nil {
			return nil, e
		}
		*f.dst = n
	}
	t.Quota = q
	return &reply{}, nil
}

// POST resourcequota/usableQuota
func (s *Server) hQuotaUsable(c *call) (*reply, *apiErr) {
	t, e := c.quotaTenant("tenant.id")
	if e != nil {
		return nil, e
	}
	u := s.usageOf(t.ID)
	left := func(q, used int64) int64 { return max(q-used, 0) }
	return dataReply(obj{
		"cpu":                left(t.Quota.CPU, u.CPU),
		"memory":             left(t.Quota.Memory, u.Memory),
		"storage":            left(t.Quota.Storage, u.Storage),
		"outerIpSize":        left(t.Quota.OuterIP, u.OuterIP),
		"portGroupSize":      left(t.Quota.PortGroup, u.PortGroup),
		"oss":                t.Quota.OSS,
		"countCpu":           t.Quota.CPU,
		"countMemory":        t.Quota.Memory,
		"countStorage":       t.Quota.Storage,
		"countOuterIpSize":   t.Quota.OuterIP,
		"countPortGroupSize": t.Quota.PortGroup,
		"countOss":           t.Quota.OSS,
	}), nil
}
