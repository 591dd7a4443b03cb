package starvcenter

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"slices"
	"strings"

	"github.com/skyfold/skyfold/internal/cloud"
)

// A StarVCenter "private network" (cloudnetwork/vpc, the document's 私网,
// also called 子网 and portgroup) is one /24 with a gateway; VMs attach to
// it directly and virtual routers join several of them. The driver maps it
// to a VPC holding exactly one subnet with the same id: CreateSubnet
// returns that subnet, DeleteSubnet leaves it to DeleteVPC. StarVCenter
// picks the address range itself, so a requested CIDR is checked for form
// and otherwise not honoured; the VPC and subnet report the real one.

func (r *Region) vpcFrom(rec record) cloud.VPC {
	text, _ := decodeDesc(rec.str("vpc.desc"))
	v := cloud.VPC{Meta: r.meta("vpc", rec.str("vpc.id"), rec.str("vpc.name"), cloud.StatusRunning, "available"),
		CIDR: rec.str("vpc.cidr"), Description: text}
	v.ZoneID = ""
	v.CreatedAt = rec.time(r.p.loc, "vpc.createtime")
	return v
}

func (r *Region) subnetFrom(rec record) cloud.Subnet {
	id := rec.str("vpc.id")
	s := cloud.Subnet{Meta: r.meta("subnet", id, rec.str("vpc.name"), cloud.StatusRunning, "available"),
		VPCID: id, CIDR: rec.str("vpc.cidr")}
	if n, ok := rec.int("vpc.usable.ipcount"); ok && n >= 0 && n < 1<<31 {
		s.AvailableIPs = int(n)
	}
	s.CreatedAt = rec.time(r.p.loc, "vpc.createtime")
	return s
}

// findVPC reads one private network (vpc/search filtered by id, matched
// exactly here since the filter may be fuzzy or ignored).
func (r *Region) findVPC(ctx context.Context, op, id string) (record, error) {
	id = strings.TrimSpace(id)
	if id != "" {
		rows, err := r.p.searchAll(ctx, op, "cloudnetwork/vpc/search", params{"vpc.id": id})
		if err != nil {
			return nil, err
		}
		for _, rec := range rows {
			if rec.str("vpc.id") == id {
				return rec, nil
			}
		}
	}
	return nil, cloud.Errorf(cloud.ErrNotFound, providerName, op, "vpc %q not found", id)
}

// checkCIDR accepts "" or an IPv4 prefix.
func checkCIDR(op, cidr string) error {
	if cidr == "" {
		return nil
	}
	pfx, err := netip.ParsePrefix(cidr)
	if err != nil || !pfx.Addr().Is4() {
		return cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "CIDR %q is not an IPv4 prefix", cidr)
	}
	return nil
}

// CreateVPC creates a private network. With a client token it first looks
// for a network of the same name carrying the token's digest.
func (r *Region) CreateVPC(ctx context.Context, spec cloud.VPCSpec) (cloud.VPC, error) {
	const op = "CreateVPC"
	if err := checkCIDR(op, spec.CIDR); err != nil {
		return cloud.VPC{}, err
	}
	m := descMeta{Token: tokenHash(spec.ClientToken), Tags: spec.Tags}
	name := strings.TrimSpace(spec.Name)
	if name == "" && m.Token != "" {
		name = "vpc-" + m.Token
	}
	if m.Token != "" {
		rows, err := r.p.searchAll(ctx, op, "cloudnetwork/vpc/search", params{"vpc.name": name})
		if err != nil {
			return cloud.VPC{}, err
		}
		for _, rec := range rows {
			if _, have := decodeDesc(rec.str("vpc.desc")); rec.str("vpc.name") == name && have.Token == m.Token {
				return r.vpcFrom(rec), nil
			}
		}
	}
	prm := params{"vpc.desc": encodeDesc(spec.Description, m)}
	if name != "" {
		prm["vpc.name"] = name
	}
	env, err := r.p.t.call(ctx, op, http.MethodPost, "cloudnetwork/vpc/create", prm)
	if err != nil {
		return cloud.VPC{}, err
	}
	rec, err := decodeRecord(env.Data)
	if err != nil {
		return cloud.VPC{}, malformed(op, err)
	}
	if rec.str("vpc.id") == "" {
		return cloud.VPC{}, malformed(op, errors.New("vpc/create answered no vpc.id"))
	}
	if spec.CIDR != "" && rec.str("vpc.cidr") != "" && rec.str("vpc.cidr") != spec.CIDR {
		r.p.log.InfoContext(ctx, "starvcenter: the server chose the network's CIDR", "vpc", rec.str("vpc.id"),
			"asked", spec.CIDR, "got", rec.str("vpc.cidr"))
	}
	v := r.vpcFrom(rec)
	v.Description = strings.TrimSpace(spec.Description)
	if v.Name == "" {
		v.Name = name
	}
	return v, nil
}

// DeleteVPC deletes a private network; one with NICs in it is refused
// (ErrConflict).
func (r *Region) DeleteVPC(ctx context.Context, id string) error {
	const op = "DeleteVPC"
	if strings.TrimSpace(id) == "" {
		return cloud.Errorf(cloud.ErrNotFound, providerName, op, "vpc id is required")
	}
	_, err := r.p.t.call(ctx, op, http.MethodPost, "cloudnetwork/vpc/delete", params{"vpc.id": id})
	return err
}

// GetVPC returns one private network.
func (r *Region) GetVPC(ctx context.Context, id string) (cloud.VPC, error) {
	rec, err := r.findVPC(ctx, "GetVPC", id)
	if err != nil {
		return cloud.VPC{}, err
	}
	return r.vpcFrom(rec), nil
}

// ListVPCs lists the tenant's private networks.
func (r *Region) ListVPCs(ctx context.Context, page cloud.PageRequest) (cloud.Page[cloud.VPC], error) {
	const op = "ListVPCs"
	offset, size, err := pageWindow(op, page)
	if err != nil {
		return cloud.Page[cloud.VPC]{}, err
	}
	recs, total, err := r.p.searchWindow(ctx, op, "cloudnetwork/vpc/search", params{}, offset, size)
	if err != nil {
		return cloud.Page[cloud.VPC]{}, err
	}
	out := make([]cloud.VPC, 0, len(recs))
	for _, rec := range recs {
		if rec.str("vpc.id") != "" {
			out = append(out, r.vpcFrom(rec))
		}
	}
	return cloud.Page[cloud.VPC]{Items: out, Total: total, NextToken: nextToken(offset, len(recs), size, total)}, nil
}

// CreateSubnet returns the one subnet of the VPC (see the note above): the
// CIDR must be well formed; the network's own range is what it gets.
func (r *Region) CreateSubnet(ctx context.Context, spec cloud.SubnetSpec) (cloud.Subnet, error) {
	const op = "CreateSubnet"
	if err := checkCIDR(op, spec.CIDR); err != nil {
		return cloud.Subnet{}, err
	}
	if spec.ZoneID != "" && spec.ZoneID != r.p.zoneID {
		return cloud.Subnet{}, cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "unknown zone %q", spec.ZoneID)
	}
	rec, err := r.findVPC(ctx, op, spec.VPCID)
	if err != nil {
		return cloud.Subnet{}, err
	}
	s := r.subnetFrom(rec)
	if spec.CIDR != "" && spec.CIDR != s.CIDR {
		r.p.log.InfoContext(ctx, "starvcenter: a network has one subnet, its own range", "vpc", s.VPCID,
			"asked", spec.CIDR, "got", s.CIDR)
	}
	return s, nil
}

// DeleteSubnet checks the subnet exists; it goes with its VPC.
func (r *Region) DeleteSubnet(ctx context.Context, id string) error {
	_, err := r.findVPC(ctx, "DeleteSubnet", id)
	return err
}

// GetSubnet returns the subnet of a private network.
func (r *Region) GetSubnet(ctx context.Context, id string) (cloud.Subnet, error) {
	rec, err := r.findVPC(ctx, "GetSubnet", id)
	if err != nil {
		return cloud.Subnet{}, err
	}
	return r.subnetFrom(rec), nil
}

// ListSubnets lists the networks' subnets, filtered by VPC, zone and ids.
func (r *Region) ListSubnets(ctx context.Context, q cloud.SubnetQuery, page cloud.PageRequest) (cloud.Page[cloud.Subnet], error) {
	const op = "ListSubnets"
	offset, size, err := pageWindow(op, page)
	if err != nil {
		return cloud.Page[cloud.Subnet]{}, err
	}
	if q.ZoneID != "" && q.ZoneID != r.p.zoneID {
		return pageOf([]cloud.Subnet{}, 0, size), nil
	}
	prm := params{}
	if q.VPCID != "" {
		prm["vpc.id"] = q.VPCID
	}
	rows, err := r.p.searchAll(ctx, op, "cloudnetwork/vpc/search", prm)
	if err != nil {
		return cloud.Page[cloud.Subnet]{}, err
	}
	var out []cloud.Subnet
	for _, rec := range rows {
		id := rec.str("vpc.id")
		if id == "" || (q.VPCID != "" && id != q.VPCID) || (len(q.IDs) > 0 && !slices.Contains(q.IDs, id)) {
			continue
		}
		out = append(out, r.subnetFrom(rec))
	}
	return pageOf(out, offset, size), nil
}

// --- elastic IPs ---

// StarVCenter hands out public addresses from its outer-IP pool through
// NAT: an IP mapping (cloudnetwork/sharenet/connect) maps one pool address
// to one VM. The driver lists IP mappings as EIPs and releases them by
// deleting the mapping; an address cannot be held without a VM, so
// AllocateEIP is not supported (map one with Extensions.MapPublicIP).

// AllocateEIP is not supported: StarVCenter maps a pool address to a VM in
// one step (Extensions.MapPublicIP).
func (r *Region) AllocateEIP(context.Context, cloud.EIPSpec) (cloud.EIP, error) {
	return cloud.EIP{}, &cloud.Error{Kind: cloud.ErrNotSupported, Provider: providerName, Op: "AllocateEIP",
		Message: "StarVCenter cannot hold a public address without a VM; use Extensions.MapPublicIP"}
}

// ReleaseEIP deletes an IP mapping, returning its address to the pool.
func (r *Region) ReleaseEIP(ctx context.Context, id string) error {
	return r.DeleteMapping(ctx, id)
}

// ListEIPs lists the tenant's IP mappings.
func (r *Region) ListEIPs(ctx context.Context, page cloud.PageRequest) (cloud.Page[cloud.EIP], error) {
	const op = "ListEIPs"
	offset, size, err := pageWindow(op, page)
	if err != nil {
		return cloud.Page[cloud.EIP]{}, err
	}
	recs, total, err := r.p.searchWindow(ctx, op, "cloudnetwork/sharenet/search", params{}, offset, size)
	if err != nil {
		return cloud.Page[cloud.EIP]{}, err
	}
	out := make([]cloud.EIP, 0, len(recs))
	for _, rec := range recs {
		id := rec.str("nat.id")
		if id == "" {
			continue
		}
		e := cloud.EIP{Meta: r.meta("eip", id, rec.str("vm.name"), cloud.StatusRunning, "mapped"),
			Address: rec.str("tenant.shareip"), InstanceID: rec.str("vm.id"), ChargeType: cloud.PostPaid}
		e.ZoneID = ""
		out = append(out, e)
	}
	return cloud.Page[cloud.EIP]{Items: out, Total: total, NextToken: nextToken(offset, len(recs), size, total)}, nil
}
