package starvcenter

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/skyfold/skyfold/internal/cloud"
)

// Router is a virtual router (vroute): a VM doing NAT, routing between
// private networks, access control and load balancing.
type Router struct {
	ID              string    `json:"id"`
	Name            string    `json:"name"`
	Description     string    `json:"description,omitempty"`
	RegisterAddress string    `json:"register_address,omitempty"`
	ManageIP        string    `json:"manage_ip,omitempty"` // the WAN address
	Online          bool      `json:"online"`
	CreatedAt       time.Time `json:"created_at,omitzero"`
}

// RouterSpec describes a router to create.
type RouterSpec struct {
	Name string
	// HA creates a master and a backup router sharing one WAN address.
	HA bool
	// ManageIP is the WAN address; "" lets StarVCenter pick one.
	ManageIP string
}

// CreateRouter creates a router (two with HA) and follows each creation.
func (r *Region) CreateRouter(ctx context.Context, spec RouterSpec) ([]Router, error) {
	const op = "CreateRouter"
	prm := params{"vroute.ha.enable": strconv.FormatBool(spec.HA)}
	if spec.Name != "" {
		prm["vroute.name"] = spec.Name
	}
	if spec.ManageIP != "" {
		prm["vroute.manageip"] = spec.ManageIP
	}
	env, err := r.p.t.call(ctx, op, http.MethodPost, "vroute/create", prm)
	if err != nil {
		return nil, err
	}
	recs, err := decodeRecords(env.Data)
	if err != nil {
		return nil, malformed(op, err)
	}
	var jobs, ids []string
	for _, rec := range recs {
		if id := rec.str("vm.id"); id != "" {
			ids = append(ids, id)
			jobs = append(jobs, rec.str("jobstartid", "startid"))
		}
	}
	if len(ids) == 0 {
		return nil, malformed(op, errors.New("vroute/create answered no router"))
	}
	jobs = append(jobs, env.StartID)
	if err := r.p.waitTasks(ctx, op, jobs); err != nil {
		return nil, err
	}
	out := make([]Router, 0, len(ids))
	for _, id := range ids {
		rt, err := r.Router(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, rt)
	}
	return out, nil
}

// Router reads one router (GET vroute/{vmId}).
func (r *Region) Router(ctx context.Context, id string) (Router, error) {
	const op = "Router"
	if strings.TrimSpace(id) == "" || strings.ContainsAny(id, "/?#") {
		return Router{}, cloud.Errorf(cloud.ErrNotFound, providerName, op, "router %q not found", id)
	}
	env, err := r.p.t.call(ctx, op, http.MethodGet, "vroute/"+pathID(id), nil)
	if err != nil {
		return Router{}, err
	}
	rec, err := decodeRecord(env.Data)
	if err != nil {
		return Router{}, malformed(op, err)
	}
	rt := Router{ID: rec.str("vroute.id"), Name: rec.str("vroute.name"), Description: rec.str("vroute.desc"),
		RegisterAddress: rec.str("vroute.register.address"), ManageIP: rec.str("vroute.manageip"),
		Online: rec.boolean("vroute.online"), CreatedAt: rec.time(r.p.loc, "vroute.createtime")}
	if rt.ID == "" {
		rt.ID = id
	}
	return rt, nil
}

// Routers lists the routers the tenant's private networks and NAT mappings
// name: the document has no router listing.
func (r *Region) Routers(ctx context.Context) ([]Router, error) {
	const op = "Routers"
	var ids []string
	add := func(id string) {
		if id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	vpcs, err := r.p.searchAll(ctx, op, "cloudnetwork/vpc/search", params{})
	if err != nil {
		return nil, err
	}
	for _, v := range vpcs {
		add(v.str("vpc.vrouteid"))
	}
	maps, err := r.p.searchAll(ctx, op, "vroute/Mapping/search", params{})
	if err != nil {
		return nil, err
	}
	for _, m := range maps {
		add(m.str("nat_vrouteid"))
	}
	out := make([]Router, 0, len(ids))
	for _, id := range ids {
		rt, err := r.Router(ctx, id)
		if errors.Is(err, cloud.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, rt)
	}
	return out, nil
}

// AttachRouterSubnet joins a private network to a router (vroute/vpcAdd);
// routerID "" means the tenant's first router.
func (r *Region) AttachRouterSubnet(ctx context.Context, subnetID, routerID string) error {
	prm := params{"portgroup.id": subnetID}
	if routerID != "" {
		prm["vroute.id"] = routerID
	}
	_, err := r.p.t.call(ctx, "AttachRouterSubnet", http.MethodPost, "vroute/vpcAdd", prm)
	return err
}

// DetachRouterSubnet takes a private network off its router.
func (r *Region) DetachRouterSubnet(ctx context.Context, subnetID string) error {
	_, err := r.p.t.call(ctx, "DetachRouterSubnet", http.MethodPost, "vroute/vpcDelete", params{"portgroup.id": subnetID})
	return err
}

// NATMapping is an IP or port mapping (vroute/Mapping/search).
type NATMapping struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"` // ip or port
	OuterIP   string    `json:"outer_ip"`
	OuterPort string    `json:"outer_port,omitempty"`
	InnerIP   string    `json:"inner_ip"`
	InnerPort string    `json:"inner_port,omitempty"`
	Protocol  string    `json:"protocol,omitempty"`
	Sources   string    `json:"sources,omitempty"`
	VMID      string    `json:"vm_id,omitempty"`
	VMName    string    `json:"vm_name,omitempty"`
	SubnetID  string    `json:"subnet_id,omitempty"`
	RouterID  string    `json:"router_id,omitempty"`
	Desc      string    `json:"desc,omitempty"`
	Since     time.Time `json:"since,omitzero"`
}

// NATQuery filters mappings; empty fields do not filter.
type NATQuery struct {
	Type     string // ip or port
	OuterIP  string
	InnerIP  string
	RouterID string
}

// NATMappings lists the tenant's mappings.
func (r *Region) NATMappings(ctx context.Context, q NATQuery) ([]NATMapping, error) {
	prm := params{}
	for k, v := range map[string]string{"natType": q.Type, "natOuterip": q.OuterIP, "natInnerip": q.InnerIP, "natVrouteid": q.RouterID} {
		if v != "" {
			prm[k] = v
		}
	}
	rows, err := r.p.searchAll(ctx, "NATMappings", "vroute/Mapping/search", prm)
	if err != nil {
		return nil, err
	}
	out := make([]NATMapping, 0, len(rows))
	for _, rec := range rows {
		m := NATMapping{ID: rec.str("nat_id"), Type: rec.str("nat_type"), OuterIP: rec.str("nat_outerip"),
			OuterPort: rec.str("nat_outerport"), InnerIP: rec.str("nat_innerip"), InnerPort: rec.str("nat_innerport"),
			Protocol: rec.str("nat_protocal"), Sources: rec.str("nat_srcip"), VMID: rec.str("nat_vmid", "net_vmid"),
			VMName: rec.str("nat_vmname", "net_vmname"), SubnetID: rec.str("nat_vnetid"), RouterID: rec.str("nat_vrouteid"),
			Desc: rec.str("nat_desc"), Since: rec.time(r.p.loc, "nat_usedtime")}
		if m.ID != "" {
			out = append(out, m)
		}
	}
	return out, nil
}

// MapPublicIP maps a pool address to a VM (cloudnetwork/sharenet/connect)
// and returns the address; outerIP "" takes a free one.
func (r *Region) MapPublicIP(ctx context.Context, vmID, outerIP, allowedSources string) (string, error) {
	const op = "MapPublicIP"
	prm := params{"vm.id": vmID}
	if outerIP != "" {
		prm["vm.outer.ipaddress"] = outerIP
	}
	if allowedSources != "" {
		prm["vm.allow.srcip"] = allowedSources
	}
	env, err := r.p.t.call(ctx, op, http.MethodPost, "cloudnetwork/sharenet/connect", prm)
	if err != nil {
		return "", err
	}
	rec, err := decodeRecord(env.Data)
	if err != nil {
		return "", malformed(op, err)
	}
	return rec.str("tenant.shareip"), nil
}

// PortMappingSpec describes one port mapping.
type PortMappingSpec struct {
	InnerIP   string
	InnerPort int
	OuterIP   string
	OuterPort int
	Protocol  string // tcp or udp
	Sources   string // allowed sources, "" for all
	Desc      string
}

// AddPortMapping maps one outer port to a VM port and returns the mapping id.
func (r *Region) AddPortMapping(ctx context.Context, spec PortMappingSpec) (string, error) {
	const op = "AddPortMapping"
	prm := params{"innerIp": spec.InnerIP, "innerPort": itoa(spec.InnerPort), "ipaddress": spec.OuterIP,
		"outerPort": itoa(spec.OuterPort), "protocal": strings.ToLower(spec.Protocol)}
	if spec.Sources != "" {
		prm["sourceIp"] = spec.Sources
	}
	if spec.Desc != "" {
		prm["desc"] = spec.Desc
	}
	env, err := r.p.t.call(ctx, op, http.MethodPost, "cloudnetwork/portMapping/create", prm)
	if err != nil {
		return "", err
	}
	rec, err := decodeRecord(env.Data)
	if err != nil {
		return "", malformed(op, err)
	}
	return rec.str("nat.id", "nat_id"), nil
}

// DeleteMapping deletes an IP or port mapping.
func (r *Region) DeleteMapping(ctx context.Context, natID string) error {
	const op = "DeleteMapping"
	if strings.TrimSpace(natID) == "" || strings.ContainsAny(natID, "/?#") {
		return cloud.Errorf(cloud.ErrNotFound, providerName, op, "mapping %q not found", natID)
	}
	_, err := r.p.t.call(ctx, op, http.MethodDelete, "cloudnetwork/ipmapping/"+pathID(natID), nil)
	return err
}

// OuterIP is a pool address usable for mappings.
type OuterIP struct {
	Address string   `json:"address"`
	Ports   []string `json:"ports,omitempty"` // outer ports already mapped
	Gateway string   `json:"gateway,omitempty"`
	Netmask string   `json:"netmask,omitempty"`
}

// OuterIPs lists pool addresses for mappings of a type ("ip", "port", "").
func (r *Region) OuterIPs(ctx context.Context, natType string) ([]OuterIP, error) {
	prm := params{}
	if natType != "" {
		prm["nat.type"] = natType
	}
	if r.p.tenantID != "" {
		prm["tenant.id"] = r.p.tenantID
	}
	rows, err := r.p.searchAll(ctx, "OuterIPs", "cloudip/mapping/outerIp/search", prm)
	if err != nil {
		return nil, err
	}
	out := make([]OuterIP, 0, len(rows))
	for _, rec := range rows {
		ip := OuterIP{Address: rec.str("ipaddress"), Gateway: rec.str("gateway"), Netmask: rec.str("netmask")}
		for _, p := range strings.Split(rec.str("ports"), ",") {
			if p = strings.TrimSpace(p); p != "" {
				ip.Ports = append(ip.Ports, p)
			}
		}
		if ip.Address != "" {
			out = append(out, ip)
		}
	}
	return out, nil
}

// LoadBalancer is a load balancer (cloudslb).
type LoadBalancer struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	TenantID    string    `json:"tenant_id,omitempty"`
	RouterID    string    `json:"router_id"`
	Protocol    string    `json:"protocol"`     // tcp, udp, http, https
	NetworkType string    `json:"network_type"` // outter (sic) or inner
	FrontIP     string    `json:"front_ip"`
	FrontPort   int       `json:"front_port"`
	BackendPort int       `json:"backend_port"`
	Dedicated   bool      `json:"dedicated"` // the front address is the balancer's alone
	Enabled     bool      `json:"enabled"`
	Policy      string    `json:"policy"` // rr, wrr, wlc
	URLPath     string    `json:"url_path,omitempty"`
	CreatedAt   time.Time `json:"created_at,omitzero"`
}

// LoadBalancerSpec describes a load balancer to create.
type LoadBalancerSpec struct {
	ID          string // optional; StarVCenter defaults to slb_<router id>
	Name        string
	Description string
	RouterID    string
	Protocol    string
	NetworkType string // outter (the document's spelling) or inner
	FrontIP     string
	FrontPort   int
	BackendPort int  // 0: the front port
	Shared      bool // share the outer front address with other balancers
	Policy      string
	URLPath     string
	CertPEM     string // https
	KeyPEM      string // https
	Backends    []Backend
}

// Backend is a load balancer's back-end node (cloudslb/realnode).
type Backend struct {
	ID          string `json:"id,omitempty"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	LoadBalance string `json:"load_balancer_id,omitempty"`
	IP          string `json:"ip"`
	Port        int    `json:"port"`
	VMID        string `json:"vm_id"`
	Weight      int    `json:"weight,omitempty"` // 1..10
	Enabled     bool   `json:"enabled"`
}

// LoadBalancers lists the tenant's load balancers.
func (r *Region) LoadBalancers(ctx context.Context) ([]LoadBalancer, error) {
	rows, err := r.p.searchAll(ctx, "LoadBalancers", "cloudslb/search", params{})
	if err != nil {
		return nil, err
	}
	out := make([]LoadBalancer, 0, len(rows))
	for _, rec := range rows {
		b := LoadBalancer{ID: rec.str("slb.id"), Name: rec.str("slb.name"), Description: rec.str("slb.desc"),
			TenantID: rec.str("slb.appid"), RouterID: rec.str("slb.vmid"), Protocol: rec.str("slb.protocal.type"),
			NetworkType: rec.str("slb.network.type"), FrontIP: rec.str("slb.directip"),
			FrontPort: smallInt(rec, "slb.directport"), BackendPort: smallInt(rec, "slb.realport"),
			Dedicated: rec.boolean("slb.directip.self"), Enabled: rec.boolean("slb.enable"),
			Policy: rec.str("slb.policy.type"), URLPath: rec.str("slb.http.urlpath"),
			CreatedAt: rec.time(r.p.loc, "slb.createtime")}
		if b.ID != "" {
			out = append(out, b)
		}
	}
	return out, nil
}

func backendParams(b Backend) params {
	prm := params{"realnode.ip": b.IP, "realnode.port": itoa(b.Port), "realnode.vmid": b.VMID}
	if b.Name != "" {
		prm["realnode.name"] = b.Name
	}
	if b.Description != "" {
		prm["realnode.desc"] = b.Description
	}
	if b.Weight > 0 {
		prm["realnode.weight"] = itoa(b.Weight)
	}
	return prm
}

// CreateLoadBalancer creates a load balancer with its back ends and returns its id.
func (r *Region) CreateLoadBalancer(ctx context.Context, spec LoadBalancerSpec) (string, error) {
	const op = "CreateLoadBalancer"
	if r.p.tenantID == "" {
		return "", cloud.Errorf(cloud.ErrInvalidParameter, providerName, op,
			"the tenant id is needed: set AccessKeyID to the StarVCenter tenant id")
	}
	prm := params{"slb.name": spec.Name, "slb.appid": r.p.tenantID, "slb.protocal.type": spec.Protocol,
		"slb.network.type": spec.NetworkType, "slb.directip": spec.FrontIP, "slb.directport": itoa(spec.FrontPort),
		"slb.vmid": spec.RouterID}
	for k, v := range map[string]string{"slb.id": spec.ID, "slb.desc": spec.Description, "slb.policy.type": spec.Policy,
		"slb.http.urlpath": spec.URLPath, "slb.https.cert.text": spec.CertPEM, "slb.https.cert.key": spec.KeyPEM} {
		if v != "" {
			prm[k] = v
		}
	}
	if spec.BackendPort > 0 {
		prm["slb.realport"] = itoa(spec.BackendPort)
	}
	if spec.Shared {
		prm["slb.directip.self"] = "false"
	}
	if len(spec.Backends) > 0 {
		nodes := make([]params, 0, len(spec.Backends))
		for _, b := range spec.Backends {
			nodes = append(nodes, backendParams(b))
		}
		prm["realnode"] = nodes
	}
	env, err := r.p.t.call(ctx, op, http.MethodPost, "cloudslb/add", prm)
	if err != nil {
		return "", err
	}
	rec, err := decodeRecord(env.Data)
	if err != nil {
		return "", malformed(op, err)
	}
	return rec.str("slb.id"), nil
}

// DeleteLoadBalancer deletes a load balancer.
func (r *Region) DeleteLoadBalancer(ctx context.Context, id string) error {
	const op = "DeleteLoadBalancer"
	if strings.TrimSpace(id) == "" || strings.ContainsAny(id, "/?#") {
		return cloud.Errorf(cloud.ErrNotFound, providerName, op, "load balancer %q not found", id)
	}
	_, err := r.p.t.call(ctx, op, http.MethodDelete, "cloudslb/"+pathID(id), nil)
	return err
}

// SetLoadBalancerEnabled starts or stops a load balancer.
func (r *Region) SetLoadBalancerEnabled(ctx context.Context, id string, enabled bool) error {
	path := "cloudslb/stop"
	if enabled {
		path = "cloudslb/start"
	}
	_, err := r.p.t.call(ctx, "SetLoadBalancerEnabled", http.MethodPost, path, params{"slb.id": id})
	return err
}

// Backends lists a load balancer's back ends ("" lists all).
func (r *Region) Backends(ctx context.Context, loadBalancerID string) ([]Backend, error) {
	prm := params{}
	if loadBalancerID != "" {
		prm["realnode.slbid"] = loadBalancerID
	}
	rows, err := r.p.searchAll(ctx, "Backends", "cloudslb/realnode/search", prm)
	if err != nil {
		return nil, err
	}
	out := make([]Backend, 0, len(rows))
	for _, rec := range rows {
		b := Backend{ID: rec.str("realnode.id"), Name: rec.str("realnode.name"), Description: rec.str("realnode.desc"),
			LoadBalance: rec.str("realnode.slbid"), IP: rec.str("realnode.ip"), Port: smallInt(rec, "realnode.port"),
			VMID: rec.str("realnode.vmid"), Weight: smallInt(rec, "realnode.weight"), Enabled: rec.boolean("realnode.enable")}
		if b.ID == "" || (loadBalancerID != "" && b.LoadBalance != "" && b.LoadBalance != loadBalancerID) {
			continue
		}
		out = append(out, b)
	}
	return out, nil
}

// AddBackend adds a back end to a load balancer and returns its id.
func (r *Region) AddBackend(ctx context.Context, loadBalancerID string, b Backend) (string, error) {
	const op = "AddBackend"
	prm := backendParams(b)
	prm["realnode.slbid"] = loadBalancerID
	env, err := r.p.t.call(ctx, op, http.MethodPost, "cloudslb/realnode/add", prm)
	if err != nil {
		return "", err
	}
	rec, err := decodeRecord(env.Data)
	if err != nil {
		return "", malformed(op, err)
	}
	return rec.str("realnode.id"), nil
}

// DeleteBackend deletes a back end.
func (r *Region) DeleteBackend(ctx context.Context, backendID string) error {
	const op = "DeleteBackend"
	if strings.TrimSpace(backendID) == "" || strings.ContainsAny(backendID, "/?#") {
		return cloud.Errorf(cloud.ErrNotFound, providerName, op, "back end %q not found", backendID)
	}
	_, err := r.p.t.call(ctx, op, http.MethodDelete, "cloudslb/realnode/"+pathID(backendID), nil)
	return err
}
