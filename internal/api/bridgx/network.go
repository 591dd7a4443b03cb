package bridgx

import (
	"context"
	"net/http"
	"strings"

	"github.com/skyfold/skyfold/internal/api"
	"github.com/skyfold/skyfold/internal/api/auth"
	"github.com/skyfold/skyfold/internal/cluster"
)

type vpcDescribeInput struct {
	Provider   string `query:"provider" doc:"AlibabaCloud, HuaweiCloud, TencentCloud, BaiduCloud, AWSCloud"`
	RegionID   string `query:"region_id"`
	VPCName    string `query:"vpc_name" doc:"exact name"`
	PageNumber string `query:"page_number" doc:"from 1"`
	PageSize   string `query:"page_size" doc:"default 10, at most 50"`
}

type idPath struct {
	ID string `path:"id"`
}

type subnetCreateInput struct {
	AccountKey string `query:"account_key"`
	ZoneID     string `query:"zone_id"`
	CIDRBlock  string `query:"cidr_block"`
	VPCID      string `query:"vpc_id"`
	SwitchName string `query:"switch_name"`
	RegionID   string `query:"region_id" doc:"optional: found from the VPC"`
	GatewayIP  string `query:"gateway_ip"`
	rawInput
}

type subnetDescribeInput struct {
	VPCID      string `query:"vpc_id"`
	SwitchName string `query:"switch_name"`
	PageNumber string `query:"page_number"`
	PageSize   string `query:"page_size"`
}

type subnetInfoInput struct {
	ID    string `path:"id"`
	VPCID string `query:"vpc_id"`
}

type sgDescribeInput struct {
	RegionID          string `query:"region_id"`
	VPCID             string `query:"vpc_id"`
	SecurityGroupName string `query:"security_group_name"`
	PageNumber        string `query:"page_number"`
	PageSize          string `query:"page_size"`
}

type providerInput struct {
	Provider string `query:"provider"`
}

func vpcJSON(f *Face, v cluster.VPCView) map[string]any {
	return map[string]any{"VpcId": v.ID, "VpcName": v.Name, "CidrBlock": v.CIDR, "SwitchIds": strings.Join(v.SwitchIDs, ","),
		"Provider": cluster.BridgXName(v.Provider), "Status": v.Status, "CreateAt": f.Svc.FormatTime(v.CreatedAt), "RegionId": v.RegionID}
}

func subnetJSON(f *Face, v cluster.SubnetView, detail bool) map[string]any {
	isDefault := "N"
	if v.IsDefault {
		isDefault = "Y"
	}
	m := map[string]any{"VpcId": v.VPCID, "SwitchId": v.ID, "ZoneId": v.ZoneID, "SwitchName": v.Name, "CidrBlock": v.CIDR,
		"VStatus": v.Status, "CreateAt": f.Svc.FormatTime(v.CreatedAt), "IsDefault": isDefault, "AvailableIpAddressCount": v.AvailableIPs}
	if detail {
		m["GatewayIp"] = v.GatewayIP
	}
	return m
}

func rulesOf(b body) ([]cluster.Rule, error) {
	var rules []cluster.Rule
	if _, err := b.into("rules", &rules); err != nil {
		return nil, err
	}
	return rules, nil
}

func (f *Face) registerNetwork(s *api.Server) {
	api.Register(s, op("vpc-create", http.MethodPost, "/api/v1/vpc/create", "Create a VPC", "cluster/vpcs/create"),
		func(ctx context.Context, in *rawInput) (*reply, error) {
			b, err := needBody(in)
			if err != nil {
				return nil, err
			}
			var vi cluster.VPCInput
			for _, p := range []struct {
				dst  *string
				name string
			}{{&vi.Provider, "provider"}, {&vi.RegionID, "region_id"}, {&vi.CIDR, "cidr_block"}, {&vi.Name, "vpc_name"}, {&vi.AccountKey, "ak"}} {
				if *p.dst, err = b.str(p.name); err != nil {
					return nil, err
				}
			}
			if vi.AccountKey == "" {
				vi.AccountKey, _ = b.str("account_key")
			}
			id, err := f.Svc.CreateVPC(ctx, ownerOf(ctx), vi)
			if err != nil {
				return nil, err
			}
			auth.Note(ctx, auth.Object{Type: "vpc", ID: id, Name: vi.Name})
			return ok(id), nil
		})

	api.Register(s, op("vpc-describe", http.MethodGet, "/api/v1/vpc/describe", "List VPCs", "cluster/vpcs/list"),
		func(ctx context.Context, in *vpcDescribeInput) (*reply, error) {
			p, err := pageParams(in.PageNumber, in.PageSize)
			if err != nil {
				return nil, err
			}
			page, err := f.Svc.DescribeVPCs(ctx, auth.ScopeOf(ctx), cluster.VPCQuery{Provider: in.Provider, RegionID: in.RegionID, Name: in.VPCName, Page: p})
			if err != nil {
				return nil, err
			}
			vpcs := make([]map[string]any, 0, len(page.Items))
			for _, v := range page.Items {
				vpcs = append(vpcs, vpcJSON(f, v))
			}
			return ok(map[string]any{"Vpcs": vpcs, "Pager": bigPager(p, page.Total)}), nil
		})

	api.Register(s, op("vpc-info", http.MethodGet, "/api/v1/vpc/info/{id}", "Show a VPC", "cluster/vpcs/get"),
		func(ctx context.Context, in *idPath) (*reply, error) {
			v, err := f.Svc.VPC(ctx, auth.ScopeOf(ctx), in.ID)
			if err != nil {
				return nil, err
			}
			m := vpcJSON(f, *v)
			delete(m, "SwitchIds")
			return ok(m), nil
		})

	subnetCreate := func(ctx context.Context, in *subnetCreateInput) (*reply, error) {
		b, err := needBody(&in.rawInput)
		if err != nil {
			return nil, err
		}
		b = b.merge(map[string]string{"account_key": in.AccountKey, "zone_id": in.ZoneID, "cidr_block": in.CIDRBlock,
			"vpc_id": in.VPCID, "switch_name": in.SwitchName, "region_id": in.RegionID, "gateway_ip": in.GatewayIP})
		var si cluster.SubnetInput
		for _, p := range []struct {
			dst  *string
			name string
		}{{&si.AccountKey, "account_key"}, {&si.ZoneID, "zone_id"}, {&si.CIDR, "cidr_block"}, {&si.VPCID, "vpc_id"},
			{&si.Name, "switch_name"}, {&si.RegionID, "region_id"}, {&si.GatewayIP, "gateway_ip"}} {
			if *p.dst, err = b.str(p.name); err != nil {
				return nil, err
			}
		}
		if si.AccountKey == "" {
			si.AccountKey, _ = b.str("ak")
		}
		id, err := f.Svc.CreateSubnet(ctx, ownerOf(ctx), si)
		if err != nil {
			return nil, err
		}
		auth.Note(ctx, auth.Object{Type: "subnet", ID: id, Name: si.Name})
		return ok(id), nil
	}
	api.Register(s, op("subnet-create", http.MethodPost, "/api/v1/subnet/create", "Create a subnet (vSwitch)", "cluster/subnets/create"), subnetCreate)
	api.Register(s, op("subnet-create-get", http.MethodGet, "/api/v1/subnet/create", "Create a subnet (the seed's GET form)", "cluster/subnets/create"), subnetCreate)

	api.Register(s, op("subnet-describe", http.MethodGet, "/api/v1/subnet/describe", "List a VPC's subnets", "cluster/subnets/list"),
		func(ctx context.Context, in *subnetDescribeInput) (*reply, error) {
			p, err := pageParams(in.PageNumber, in.PageSize)
			if err != nil {
				return nil, err
			}
			page, err := f.Svc.DescribeSubnets(ctx, auth.ScopeOf(ctx), cluster.SubnetQuery{VPCID: in.VPCID, Name: in.SwitchName, Page: p})
			if err != nil {
				return nil, err
			}
			out := make([]map[string]any, 0, len(page.Items))
			for _, v := range page.Items {
				out = append(out, subnetJSON(f, v, false))
			}
			return ok(map[string]any{"Switches": out, "Pager": bigPager(p, page.Total)}), nil
		})

	api.Register(s, op("subnet-info", http.MethodGet, "/api/v1/subnet/info/{id}", "Show a subnet", "cluster/subnets/get"),
		func(ctx context.Context, in *subnetInfoInput) (*reply, error) {
			v, err := f.Svc.Subnet(ctx, auth.ScopeOf(ctx), in.ID, in.VPCID)
			if err != nil {
				return nil, err
			}
			return ok(subnetJSON(f, *v, true)), nil
		})

	api.Register(s, op("security-group-create", http.MethodPost, "/api/v1/security_group/create_with_rule", "Create a security group with rules",
		"cluster/security_groups/create"),
		func(ctx context.Context, in *rawInput) (*reply, error) {
			b, err := needBody(in)
			if err != nil {
				return nil, err
			}
			var si cluster.SecurityGroupInput
			for _, p := range []struct {
				dst  *string
				name string
			}{{&si.AccountKey, "account_key"}, {&si.VPCID, "vpc_id"}, {&si.Name, "security_group_name"},
				{&si.Type, "security_group_type"}, {&si.RegionID, "region_id"}} {
				if *p.dst, err = b.str(p.name); err != nil {
					return nil, err
				}
			}
			if si.AccountKey == "" {
				si.AccountKey, _ = b.str("ak")
			}
			if si.Rules, err = rulesOf(b); err != nil {
				return nil, err
			}
			id, err := f.Svc.CreateSecurityGroup(ctx, ownerOf(ctx), si)
			if err != nil {
				return nil, err
			}
			auth.Note(ctx, auth.Object{Type: "security_group", ID: id, Name: si.Name})
			return ok(id), nil
		})

	api.Register(s, op("security-group-describe", http.MethodGet, "/api/v1/security_group/describe", "List a VPC's security groups",
		"cluster/security_groups/list"),
		func(ctx context.Context, in *sgDescribeInput) (*reply, error) {
			p, err := pageParams(in.PageNumber, in.PageSize)
			if err != nil {
				return nil, err
			}
			page, err := f.Svc.DescribeSecurityGroups(ctx, auth.ScopeOf(ctx), cluster.SecurityGroupQuery{RegionID: in.RegionID, VPCID: in.VPCID,
				Name: in.SecurityGroupName, Page: p})
			if err != nil {
				return nil, err
			}
			out := make([]map[string]any, 0, len(page.Items))
			for _, g := range page.Items {
				out = append(out, map[string]any{"VpcId": g.VPCID, "SecurityGroupId": g.ID, "SecurityGroupName": g.Name,
					"SecurityGroupType": g.Type, "CreateAt": f.Svc.FormatTime(g.CreatedAt)})
			}
			return ok(map[string]any{"Groups": out, "Pager": bigPager(p, page.Total)}), nil
		})

	api.Register(s, op("security-group-rules", http.MethodGet, "/api/v1/security_group/{id}/rules", "Show a security group and its rules",
		"cluster/security_groups/get"),
		func(ctx context.Context, in *idPath) (*reply, error) {
			g, err := f.Svc.SecurityGroupRules(ctx, auth.ScopeOf(ctx), in.ID)
			if err != nil {
				return nil, err
			}
			rules := make([]map[string]any, 0, len(g.Rules))
			for _, r := range g.Rules {
				rules = append(rules, map[string]any{"protocol": r.Protocol, "port_range": r.PortRange, "direction": string(r.Direction),
					"group_id": "", "cidr_ip": r.CIDR, "prefix_list_id": ""})
			}
			return ok(map[string]any{"security_group_id": g.ID, "security_group_name": g.Name, "security_group_type": g.Type,
				"vpc_id": g.VPCID, "rules": rules}), nil
		})

	api.Register(s, op("network-config-create", http.MethodPost, "/api/v1/network_config/create",
		"Create a VPC, a subnet and a security group in one call (rolled back on failure)", "cluster/network_configs/create"),
		func(ctx context.Context, in *rawInput) (*reply, error) {
			b, err := needBody(in)
			if err != nil {
				return nil, err
			}
			var ni cluster.NetworkConfigInput
			for _, p := range []struct {
				dst  *string
				name string
			}{{&ni.Provider, "provider"}, {&ni.RegionID, "region_id"}, {&ni.CIDR, "cidr_block"}, {&ni.VPCName, "vpc_name"},
				{&ni.ZoneID, "zone_id"}, {&ni.SwitchCIDR, "switch_cidr_block"}, {&ni.SwitchName, "switch_name"}, {&ni.GatewayIP, "gateway_ip"},
				{&ni.SecurityGroupName, "security_group_name"}, {&ni.SecurityGroupType, "security_group_type"}, {&ni.AccountKey, "ak"}} {
				if *p.dst, err = b.str(p.name); err != nil {
					return nil, err
				}
			}
			if ni.AccountKey == "" {
				ni.AccountKey, _ = b.str("account_key")
			}
			if ni.Rules, err = rulesOf(b); err != nil {
				return nil, err
			}
			res, err := f.Svc.CreateNetworkConfig(ctx, ownerOf(ctx), ni)
			if err != nil {
				return nil, err
			}
			auth.Note(ctx, auth.Object{Type: "vpc", ID: res.VPCID, Name: ni.VPCName})
			return ok(res.VPCID), nil
		})

	api.Register(s, op("network-config-sync", http.MethodPost, "/api/v1/network_config/sync",
		"Pull a region's VPCs, subnets and security groups from the cloud", "cluster/network_configs/sync"),
		func(ctx context.Context, in *rawInput) (*reply, error) {
			b, err := needBody(in)
			if err != nil {
				return nil, err
			}
			provider, err := b.str("provider")
			if err != nil {
				return nil, err
			}
			region, err := b.str("region_id")
			if err != nil {
				return nil, err
			}
			key, err := b.str("account_key")
			if err != nil {
				return nil, err
			}
			if key == "" {
				key, _ = b.str("ak")
			}
			if err := f.Svc.SyncNetwork(ctx, auth.ScopeOf(ctx), provider, region, key); err != nil {
				return nil, err
			}
			return ok(nil), nil
		})

	api.Register(s, op("network-config-template", http.MethodGet, "/api/v1/network_config/template", "The default network configuration",
		"cluster/network_configs/get"),
		func(ctx context.Context, in *providerInput) (*reply, error) {
			t, err := cluster.Template(in.Provider)
			if err != nil {
				return nil, err
			}
			rules := make([]map[string]any, 0, len(t.Rules))
			for _, r := range t.Rules {
				rules = append(rules, map[string]any{"protocol": r.Protocol, "port_from": 0, "port_to": 0, "port_range": r.PortRange,
					"direction": r.Direction, "group_id": "", "cidr_ip": r.CIDRIP, "prefix_list_id": ""})
			}
			return ok(map[string]any{"provider": t.Provider, "region_id": "", "cidr_block": t.CIDR, "vpc_name": t.VPCName, "zone_id": "",
				"switch_cidr_block": t.SwitchCIDR, "gateway_ip": t.GatewayIP, "switch_name": t.SwitchName,
				"security_group_name": t.SecurityGroupName, "security_group_type": t.SecurityGroupType, "ak": "", "rules": rules}), nil
		})
}
