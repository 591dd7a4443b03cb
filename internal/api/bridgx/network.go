package bridgx

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/skyfold/skyfold/internal/api"
	"github.com/skyfold/skyfold/internal/api/auth"
	"github.com/skyfold/skyfold/internal/cluster"
	"github.com/skyfold/skyfold/internal/errs"
)

// registerNetwork lists the VPC, subnet, security group and network
// configuration operations.
func (f *Face) registerNetwork(s *api.Server) {
	api.Register(s, op("vpc-create", http.MethodPost, "/api/v1/vpc/create", "Create a VPC", "cluster/vpcs/create"), f.createVPC)
	api.Register(s, op("vpc-describe", http.MethodGet, "/api/v1/vpc/describe", "List VPCs", "cluster/vpcs/list"), f.listVPCs)
	api.Register(s, op("vpc-info", http.MethodGet, "/api/v1/vpc/info/{id}", "Show a VPC", "cluster/vpcs/get"), f.showVPC)
	api.Register(s, op("subnet-create", http.MethodPost, "/api/v1/subnet/create", "Create a subnet (vSwitch)", "cluster/subnets/create"), f.createSubnet)
	api.Register(s, op("subnet-create-get", http.MethodGet, "/api/v1/subnet/create", "Create a subnet (the seed's GET form)", "cluster/subnets/create"), f.createSubnet)
	api.Register(s, op("subnet-describe", http.MethodGet, "/api/v1/subnet/describe", "List a VPC's subnets", "cluster/subnets/list"), f.listSubnets)
	api.Register(s, op("subnet-info", http.MethodGet, "/api/v1/subnet/info/{id}", "Show a subnet", "cluster/subnets/get"), f.showSubnet)
	api.Register(s, op("security-group-create", http.MethodPost, "/api/v1/security_group/create_with_rule", "Create a security group with rules",
		"cluster/security_groups/create"), f.createSecurityGroup)
	api.Register(s, op("security-group-describe", http.MethodGet, "/api/v1/security_group/describe", "List a VPC's security groups",
		"cluster/security_groups/list"), f.listSecurityGroups)
	api.Register(s, op("security-group-rules", http.MethodGet, "/api/v1/security_group/{id}/rules", "Show a security group and its rules",
		"cluster/security_groups/get"), f.showSecurityGroup)
	api.Register(s, accepted(s, op("network-config-create", http.MethodPost, "/api/v1/network_config/create",
		"Create a VPC, a subnet and a security group in one call (rolled back on failure)", "cluster/network_configs/create")), f.createNetworkConfig)
	api.Register(s, op("network-config-task", http.MethodGet, "/api/v1/network_config/task/{id}",
		"Where a network configuration that outlasted its request stands", "cluster/network_configs/get"), f.networkConfigTask)
	api.Register(s, op("network-config-sync", http.MethodPost, "/api/v1/network_config/sync",
		"Pull a region's VPCs, subnets and security groups from the cloud", "cluster/network_configs/sync"), f.syncNetwork)
	api.Register(s, op("network-config-template", http.MethodGet, "/api/v1/network_config/template", "The default network configuration",
		"cluster/network_configs/get"), f.networkTemplate)
}

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

// The answers below keep their fields in the order of their JSON keys,
// which is the order the face has always written them in.

// bridgXVPC is a VPC; SwitchIds is sent by the list alone.
type bridgXVPC struct {
	CidrBlock string  `json:"CidrBlock"`
	CreateAt  string  `json:"CreateAt"`
	Provider  string  `json:"Provider"`
	RegionID  string  `json:"RegionId"`
	Status    string  `json:"Status" doc:"Available or Pending"`
	SwitchIDs *string `json:"SwitchIds,omitempty" doc:"comma-separated subnet ids (lists only)"`
	VpcID     string  `json:"VpcId"`
	VpcName   string  `json:"VpcName"`
}

type bridgXVPCList struct {
	Pager bridgXBigPager `json:"Pager"`
	Vpcs  []bridgXVPC    `json:"Vpcs"`
}

// bridgXSubnet is a subnet; GatewayIp is sent by the detail alone.
type bridgXSubnet struct {
	AvailableIPAddressCount int     `json:"AvailableIpAddressCount"`
	CidrBlock               string  `json:"CidrBlock"`
	CreateAt                string  `json:"CreateAt"`
	GatewayIP               *string `json:"GatewayIp,omitempty" doc:"the detail only"`
	IsDefault               string  `json:"IsDefault" enum:"Y,N"`
	SwitchID                string  `json:"SwitchId"`
	SwitchName              string  `json:"SwitchName"`
	VStatus                 string  `json:"VStatus"`
	VpcID                   string  `json:"VpcId"`
	ZoneID                  string  `json:"ZoneId"`
}

type bridgXSubnetList struct {
	Pager    bridgXBigPager `json:"Pager"`
	Switches []bridgXSubnet `json:"Switches"`
}

type bridgXSecurityGroup struct {
	CreateAt          string `json:"CreateAt"`
	SecurityGroupID   string `json:"SecurityGroupId"`
	SecurityGroupName string `json:"SecurityGroupName"`
	SecurityGroupType string `json:"SecurityGroupType"`
	VpcID             string `json:"VpcId"`
}

type bridgXSecurityGroupList struct {
	Groups []bridgXSecurityGroup `json:"Groups"`
	Pager  bridgXBigPager        `json:"Pager"`
}

// bridgXRule is a security group rule as BridgX shows it; it keeps no
// group or prefix-list references, so those are always empty.
type bridgXRule struct {
	CidrIP       string `json:"cidr_ip"`
	Direction    string `json:"direction" enum:"ingress,egress"`
	GroupID      string `json:"group_id"`
	PortRange    string `json:"port_range"`
	PrefixListID string `json:"prefix_list_id"`
	Protocol     string `json:"protocol"`
}

type bridgXSecurityGroupRules struct {
	Rules             []bridgXRule `json:"rules"`
	SecurityGroupID   string       `json:"security_group_id"`
	SecurityGroupName string       `json:"security_group_name"`
	SecurityGroupType string       `json:"security_group_type"`
	VpcID             string       `json:"vpc_id"`
}

// bridgXTemplateRule is a rule of the default configuration; the port
// bounds are BridgX's and always 0, the range says it all.
type bridgXTemplateRule struct {
	CidrIP       string `json:"cidr_ip"`
	Direction    string `json:"direction"`
	GroupID      string `json:"group_id"`
	PortFrom     int    `json:"port_from"`
	PortRange    string `json:"port_range"`
	PortTo       int    `json:"port_to"`
	PrefixListID string `json:"prefix_list_id"`
	Protocol     string `json:"protocol"`
}

// bridgXNetworkTemplate is the default network configuration, shaped as
// network_config/create takes it; the empty fields are the caller's to fill.
type bridgXNetworkTemplate struct {
	AK                string               `json:"ak"`
	CidrBlock         string               `json:"cidr_block"`
	GatewayIP         string               `json:"gateway_ip"`
	Provider          string               `json:"provider"`
	RegionID          string               `json:"region_id"`
	Rules             []bridgXTemplateRule `json:"rules"`
	SecurityGroupName string               `json:"security_group_name"`
	SecurityGroupType string               `json:"security_group_type"`
	SwitchCidrBlock   string               `json:"switch_cidr_block"`
	SwitchName        string               `json:"switch_name"`
	VpcName           string               `json:"vpc_name"`
	ZoneID            string               `json:"zone_id"`
}

// bridgXNull is the data of an answer that carries none.
type bridgXNull struct{}

func (bridgXNull) MarshalJSON() ([]byte, error) { return []byte("null"), nil }

// Schema says the data is always null.
func (bridgXNull) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{Type: "null", Description: "always null"}
}

func (f *Face) vpcOf(v cluster.VPCView) bridgXVPC {
	return bridgXVPC{CidrBlock: v.CIDR, CreateAt: f.Svc.FormatTime(v.CreatedAt), Provider: cluster.BridgXName(v.Provider),
		RegionID: v.RegionID, Status: v.Status, VpcID: v.ID, VpcName: v.Name}
}

func (f *Face) subnetOf(v cluster.SubnetView) bridgXSubnet {
	isDefault := "N"
	if v.IsDefault {
		isDefault = "Y"
	}
	return bridgXSubnet{AvailableIPAddressCount: v.AvailableIPs, CidrBlock: v.CIDR, CreateAt: f.Svc.FormatTime(v.CreatedAt),
		IsDefault: isDefault, SwitchID: v.ID, SwitchName: v.Name, VStatus: v.Status, VpcID: v.VPCID, ZoneID: v.ZoneID}
}

func rulesOf(b body) ([]cluster.Rule, error) {
	var rules []cluster.Rule
	if _, err := b.into("rules", &rules); err != nil {
		return nil, err
	}
	return rules, nil
}

// strParam names a string parameter of a body and where it goes.
type strParam struct {
	dst  *string
	name string
}

// readStrs reads string parameters of a body.
func readStrs(b body, ps ...strParam) error {
	for _, p := range ps {
		var err error
		if *p.dst, err = b.str(p.name); err != nil {
			return err
		}
	}
	return nil
}

func (f *Face) createVPC(ctx context.Context, in *rawInput) (*answer[string], error) {
	b, err := needBody(in)
	if err != nil {
		return nil, err
	}
	var vi cluster.VPCInput
	if err := readStrs(b, strParam{&vi.Provider, "provider"}, strParam{&vi.RegionID, "region_id"}, strParam{&vi.CIDR, "cidr_block"},
		strParam{&vi.Name, "vpc_name"}, strParam{&vi.AccountKey, "ak"}); err != nil {
		return nil, err
	}
	if vi.AccountKey == "" {
		vi.AccountKey, _ = b.str("account_key")
	}
	id, err := f.Svc.CreateVPC(ctx, ownerOf(ctx), vi)
	if err != nil {
		return nil, err
	}
	auth.Note(ctx, auth.Object{Type: "vpc", ID: id, Name: vi.Name})
	return answerOf(id), nil
}

func (f *Face) listVPCs(ctx context.Context, in *vpcDescribeInput) (*answer[bridgXVPCList], error) {
	p, err := pageParams(in.PageNumber, in.PageSize)
	if err != nil {
		return nil, err
	}
	page, err := f.Svc.DescribeVPCs(ctx, auth.ScopeOf(ctx), cluster.VPCQuery{Provider: in.Provider, RegionID: in.RegionID, Name: in.VPCName, Page: p})
	if err != nil {
		return nil, err
	}
	vpcs := make([]bridgXVPC, 0, len(page.Items))
	for _, v := range page.Items {
		row := f.vpcOf(v)
		ids := strings.Join(v.SwitchIDs, ",")
		row.SwitchIDs = &ids
		vpcs = append(vpcs, row)
	}
	return answerOf(bridgXVPCList{Vpcs: vpcs, Pager: bigPager(p, page.Total)}), nil
}

func (f *Face) showVPC(ctx context.Context, in *idPath) (*answer[bridgXVPC], error) {
	v, err := f.Svc.VPC(ctx, auth.ScopeOf(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	return answerOf(f.vpcOf(*v)), nil
}

func (f *Face) createSubnet(ctx context.Context, in *subnetCreateInput) (*answer[string], error) {
	b, err := needBody(&in.rawInput)
	if err != nil {
		return nil, err
	}
	b = b.merge(map[string]string{"account_key": in.AccountKey, "zone_id": in.ZoneID, "cidr_block": in.CIDRBlock,
		"vpc_id": in.VPCID, "switch_name": in.SwitchName, "region_id": in.RegionID, "gateway_ip": in.GatewayIP})
	var si cluster.SubnetInput
	if err := readStrs(b, strParam{&si.AccountKey, "account_key"}, strParam{&si.ZoneID, "zone_id"}, strParam{&si.CIDR, "cidr_block"},
		strParam{&si.VPCID, "vpc_id"}, strParam{&si.Name, "switch_name"}, strParam{&si.RegionID, "region_id"},
		strParam{&si.GatewayIP, "gateway_ip"}); err != nil {
		return nil, err
	}
	if si.AccountKey == "" {
		si.AccountKey, _ = b.str("ak")
	}
	id, err := f.Svc.CreateSubnet(ctx, ownerOf(ctx), si)
	if err != nil {
		return nil, err
	}
	auth.Note(ctx, auth.Object{Type: "subnet", ID: id, Name: si.Name})
	return answerOf(id), nil
}

func (f *Face) listSubnets(ctx context.Context, in *subnetDescribeInput) (*answer[bridgXSubnetList], error) {
	p, err := pageParams(in.PageNumber, in.PageSize)
	if err != nil {
		return nil, err
	}
	page, err := f.Svc.DescribeSubnets(ctx, auth.ScopeOf(ctx), cluster.SubnetQuery{VPCID: in.VPCID, Name: in.SwitchName, Page: p})
	if err != nil {
		return nil, err
	}
	out := make([]bridgXSubnet, 0, len(page.Items))
	for _, v := range page.Items {
		out = append(out, f.subnetOf(v))
	}
	return answerOf(bridgXSubnetList{Switches: out, Pager: bigPager(p, page.Total)}), nil
}

func (f *Face) showSubnet(ctx context.Context, in *subnetInfoInput) (*answer[bridgXSubnet], error) {
	v, err := f.Svc.Subnet(ctx, auth.ScopeOf(ctx), in.ID, in.VPCID)
	if err != nil {
		return nil, err
	}
	s := f.subnetOf(*v)
	s.GatewayIP = &v.GatewayIP
	return answerOf(s), nil
}

func (f *Face) createSecurityGroup(ctx context.Context, in *rawInput) (*answer[string], error) {
	b, err := needBody(in)
	if err != nil {
		return nil, err
	}
	var si cluster.SecurityGroupInput
	if err := readStrs(b, strParam{&si.AccountKey, "account_key"}, strParam{&si.VPCID, "vpc_id"}, strParam{&si.Name, "security_group_name"},
		strParam{&si.Type, "security_group_type"}, strParam{&si.RegionID, "region_id"}); err != nil {
		return nil, err
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
	return answerOf(id), nil
}

func (f *Face) listSecurityGroups(ctx context.Context, in *sgDescribeInput) (*answer[bridgXSecurityGroupList], error) {
	p, err := pageParams(in.PageNumber, in.PageSize)
	if err != nil {
		return nil, err
	}
	page, err := f.Svc.DescribeSecurityGroups(ctx, auth.ScopeOf(ctx), cluster.SecurityGroupQuery{RegionID: in.RegionID, VPCID: in.VPCID,
		Name: in.SecurityGroupName, Page: p})
	if err != nil {
		return nil, err
	}
	out := make([]bridgXSecurityGroup, 0, len(page.Items))
	for _, g := range page.Items {
		out = append(out, bridgXSecurityGroup{CreateAt: f.Svc.FormatTime(g.CreatedAt), SecurityGroupID: g.ID, SecurityGroupName: g.Name,
			SecurityGroupType: g.Type, VpcID: g.VPCID})
	}
	return answerOf(bridgXSecurityGroupList{Groups: out, Pager: bigPager(p, page.Total)}), nil
}

func (f *Face) showSecurityGroup(ctx context.Context, in *idPath) (*answer[bridgXSecurityGroupRules], error) {
	g, err := f.Svc.SecurityGroupRules(ctx, auth.ScopeOf(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	rules := make([]bridgXRule, 0, len(g.Rules))
	for _, r := range g.Rules {
		rules = append(rules, bridgXRule{CidrIP: r.CIDR, Direction: string(r.Direction), PortRange: r.PortRange, Protocol: r.Protocol})
	}
	return answerOf(bridgXSecurityGroupRules{Rules: rules, SecurityGroupID: g.ID, SecurityGroupName: g.Name, SecurityGroupType: g.Type,
		VpcID: g.VPCID}), nil
}

// accepted documents network_config/create's 202 beside its 200.
func accepted(s *api.Server, o huma.Operation) huma.Operation {
	body := s.API.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[bridgXEnvelope[bridgXNetworkConfigCreated]](), true, "")
	o.Responses = map[string]*huma.Response{"202": {
		Description: "The configuration outlasted the wait and goes on: data names its task (GET /api/v1/network_config/task/{task_id})",
		Content:     map[string]*huma.MediaType{"application/json": {Schema: body}},
	}}
	return o
}

// networkConfigAnswer is network_config/create's answer: 200 with the VPC
// id, or 202 with the task when the configuration outlasts the request.
type networkConfigAnswer struct {
	Status int
	Body   bridgXEnvelope[bridgXNetworkConfigCreated]
}

// bridgXNetworkConfigCreated is the VPC id (BridgX's answer) once the
// configuration is done, else the task to follow.
type bridgXNetworkConfigCreated struct {
	VPCID   string
	Pending *bridgXNetworkConfigPending
}

// bridgXNetworkConfigPending names a configuration still running.
type bridgXNetworkConfigPending struct {
	TaskID string `json:"task_id" doc:"follow it with GET /api/v1/network_config/task/{task_id}"`
	VPCID  string `json:"vpc_id" doc:"the VPC, once the cloud made it"`
	Status string `json:"status" enum:"RUNNING"`
}

func (c bridgXNetworkConfigCreated) MarshalJSON() ([]byte, error) {
	if c.Pending != nil {
		return json.Marshal(c.Pending)
	}
	return json.Marshal(c.VPCID)
}

// Schema says the data is one of the two.
func (bridgXNetworkConfigCreated) Schema(r huma.Registry) *huma.Schema {
	return &huma.Schema{OneOf: []*huma.Schema{
		{Type: huma.TypeString, Description: "the VPC id (200)"},
		r.Schema(reflect.TypeFor[bridgXNetworkConfigPending](), true, ""),
	}}
}

// bridgXNetworkConfigTask is where a network configuration stands.
type bridgXNetworkConfigTask struct {
	TaskID          string `json:"task_id"`
	Status          string `json:"status" enum:"RUNNING,SUCCESS,FAILED"`
	VPCID           string `json:"vpc_id" doc:"what was made so far; empty after a failure, which deletes it again"`
	SubnetID        string `json:"subnet_id"`
	SecurityGroupID string `json:"security_group_id"`
	Error           string `json:"error" doc:"why it failed"`
}

func (f *Face) networkConfigTask(ctx context.Context, in *idPath) (*answer[bridgXNetworkConfigTask], error) {
	st, err := f.Svc.NetworkConfigStatus(ctx, auth.ScopeOf(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	v := bridgXNetworkConfigTask{TaskID: st.TaskID, Status: st.Status, VPCID: st.VPCID, SubnetID: st.SubnetID,
		SecurityGroupID: st.SecurityGroupID}
	if st.Err != nil {
		v.Error = errs.PublicMessage(st.Err)
	}
	return answerOf(v), nil
}

func (f *Face) createNetworkConfig(ctx context.Context, in *rawInput) (*networkConfigAnswer, error) {
	b, err := needBody(in)
	if err != nil {
		return nil, err
	}
	var ni cluster.NetworkConfigInput
	if err := readStrs(b, strParam{&ni.Provider, "provider"}, strParam{&ni.RegionID, "region_id"}, strParam{&ni.CIDR, "cidr_block"},
		strParam{&ni.VPCName, "vpc_name"}, strParam{&ni.ZoneID, "zone_id"}, strParam{&ni.SwitchCIDR, "switch_cidr_block"},
		strParam{&ni.SwitchName, "switch_name"}, strParam{&ni.GatewayIP, "gateway_ip"}, strParam{&ni.SecurityGroupName, "security_group_name"},
		strParam{&ni.SecurityGroupType, "security_group_type"}, strParam{&ni.AccountKey, "ak"}); err != nil {
		return nil, err
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
	if res.Pending {
		return &networkConfigAnswer{Status: http.StatusAccepted, Body: bridgXEnvelope[bridgXNetworkConfigCreated]{Code: http.StatusAccepted,
			Msg: "accepted", Data: bridgXNetworkConfigCreated{Pending: &bridgXNetworkConfigPending{TaskID: res.TaskID, VPCID: res.VPCID,
				Status: cluster.StatusRunning}}}}, nil
	}
	return &networkConfigAnswer{Status: http.StatusOK, Body: bridgXEnvelope[bridgXNetworkConfigCreated]{Code: http.StatusOK, Msg: "success",
		Data: bridgXNetworkConfigCreated{VPCID: res.VPCID}}}, nil
}

func (f *Face) syncNetwork(ctx context.Context, in *rawInput) (*answer[bridgXNull], error) {
	b, err := needBody(in)
	if err != nil {
		return nil, err
	}
	var provider, region, key string
	if err := readStrs(b, strParam{&provider, "provider"}, strParam{&region, "region_id"}, strParam{&key, "account_key"}); err != nil {
		return nil, err
	}
	if key == "" {
		key, _ = b.str("ak")
	}
	if err := f.Svc.SyncNetwork(ctx, auth.ScopeOf(ctx), provider, region, key); err != nil {
		return nil, err
	}
	return answerOf(bridgXNull{}), nil
}

func (f *Face) networkTemplate(ctx context.Context, in *providerInput) (*answer[bridgXNetworkTemplate], error) {
	t, err := cluster.Template(in.Provider)
	if err != nil {
		return nil, err
	}
	rules := make([]bridgXTemplateRule, 0, len(t.Rules))
	for _, r := range t.Rules {
		rules = append(rules, bridgXTemplateRule{CidrIP: r.CIDRIP, Direction: r.Direction, PortRange: r.PortRange, Protocol: r.Protocol})
	}
	return answerOf(bridgXNetworkTemplate{CidrBlock: t.CIDR, GatewayIP: t.GatewayIP, Provider: t.Provider, Rules: rules,
		SecurityGroupName: t.SecurityGroupName, SecurityGroupType: t.SecurityGroupType, SwitchCidrBlock: t.SwitchCIDR,
		SwitchName: t.SwitchName, VpcName: t.VPCName}), nil
}
