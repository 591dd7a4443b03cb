package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/skyfold/skyfold/internal/cloud"
	"github.com/skyfold/skyfold/internal/errs"
	idgen "github.com/skyfold/skyfold/internal/ids"
	"github.com/skyfold/skyfold/internal/inventory"
	"github.com/skyfold/skyfold/internal/listing"
	"github.com/skyfold/skyfold/internal/task"
)

// networkKinds are the inventory kinds BridgX's network calls touch.
var networkKinds = []inventory.Kind{inventory.KindVPC, inventory.KindNetwork, inventory.KindSecgroup}

// record writes what a create made into the inventory at once, so that a
// describe right after the create sees the objects, then asks the
// inventory to pull the kinds (a security group's rules, a VPC that has
// become available since) without waiting for it: the sync may be a
// follow-up of one under way, and the objects are there already.
func (s *Service) record(ctx context.Context, a *inventory.Account, region string, kinds []inventory.Kind, objs ...any) {
	if _, err := s.accts.Record(ctx, a.ID, region, objs...); err != nil {
		s.cfg.Logger.Warn("cluster: record new objects in the inventory", "account", a.Name, "region", region, "err", err)
	}
	if _, err := s.accts.RequestSync(context.WithoutCancel(ctx), a.ID, inventory.SyncRequest{Regions: []string{region}, Kinds: kinds}); err != nil {
		s.cfg.Logger.Warn("cluster: ask the inventory to record new objects", "account", a.Name, "region", region, "err", err)
	}
}

// waitTask waits until a task ends or the wait is over; it returns the
// task's error when it failed.
func (s *Service) waitTask(ctx context.Context, id string, wait time.Duration) error {
	if s.tasks == nil {
		return nil
	}
	deadline := time.Now().Add(wait)
	for {
		t, err := s.tasks.Get(ctx, id)
		if err != nil {
			return err
		}
		if t.Status.Terminal() {
			if t.Status != "success" {
				return errs.E(errs.Unavailable, "task %s %s: %s", id, t.Status, t.Error)
			}
			return nil
		}
		if time.Now().After(deadline) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// rememberVPC notes the account and region of a VPC this process created,
// so that calls naming only the VPC find it before the inventory has it.
func (s *Service) rememberVPC(vpcID, accountID, region string) {
	s.pmu.Lock()
	defer s.pmu.Unlock()
	if s.vpcRegions == nil {
		s.vpcRegions = map[string]vpcRef{}
	}
	if len(s.vpcRegions) > 10000 {
		clear(s.vpcRegions)
	}
	s.vpcRegions[vpcID] = vpcRef{accountID: accountID, region: region}
}

type vpcRef struct{ accountID, region string }

// vpcRegion finds the region of a VPC of an account: from the inventory,
// from this process's recent creates, or from the zone of the request.
func (s *Service) vpcRegion(ctx context.Context, a *inventory.Account, vpcID, zoneID string) (string, error) {
	page, err := s.accts.ListResources(ctx, inventory.SystemScope, inventory.KindVPC, inventory.ResourceFilter{AccountID: a.ID},
		listing.Params{Limit: 1, Filters: []listing.Filter{{Field: "external_id", Op: "equals", Values: []string{vpcID}}}})
	if err == nil && len(page.Items) > 0 {
		if reg, err := s.accts.Region(ctx, page.Items[0].CloudregionID); err == nil {
			return reg.RegionID, nil
		}
	}
	s.pmu.Lock()
	ref, ok := s.vpcRegions[vpcID]
	s.pmu.Unlock()
	if ok && ref.accountID == a.ID {
		return ref.region, nil
	}
	if zoneID != "" {
		zones, err := s.accts.Zones(ctx, "")
		if err == nil {
			for _, z := range zones {
				if z.ZoneID == zoneID && strings.HasPrefix(z.ExternalID, a.Provider+"/") {
					if reg, err := s.accts.Region(ctx, z.CloudregionID); err == nil {
						return reg.RegionID, nil
					}
				}
			}
		}
		// Aliyun-style zone ids are the region id plus a letter suffix.
		if i := strings.LastIndexByte(zoneID, '-'); i > 0 {
			return zoneID[:i], nil
		}
	}
	return "", errs.Field("vpc_id", fmt.Sprintf("VPC %s is not known to Skyfold yet: sync its region (network_config/sync) or pass region_id", quoted(vpcID)))
}

// vpcAccount is the account a call about a VPC acts with: the one of the
// access key given, else the one the inventory (or this process) knows the
// VPC under, if the scope may use it.
func (s *Service) vpcAccount(ctx context.Context, sc inventory.Scope, key, vpcID string) (*inventory.Account, error) {
	var a *inventory.Account
	var err error
	if key != "" {
		a, err = s.FindAccount(ctx, sc, "", key, "account_key")
	} else {
		accountID := ""
		if r, rerr := s.resourceByExternalID(ctx, sc, inventory.KindVPC, vpcID, nil); rerr == nil {
			accountID = r.CloudaccountID
		} else {
			s.pmu.Lock()
			accountID = s.vpcRegions[vpcID].accountID
			s.pmu.Unlock()
		}
		if accountID == "" {
			return nil, errs.Field("account_key", fmt.Sprintf("required: VPC %s is not known to Skyfold yet", quoted(vpcID)))
		}
		a, err = s.accts.Get(ctx, accountID)
		if err == nil {
			a, err = s.FindAccount(ctx, sc, a.Provider, a.Account, "account_key")
		}
	}
	if err != nil {
		return nil, err
	}
	return a, usable(a, "account_key")
}

// VPCInput is a VPC to create.
type VPCInput struct {
	Provider   string
	RegionID   string
	CIDR       string
	Name       string
	AccountKey string
}

// CreateVPC creates a VPC on the cloud, records it in the inventory and
// returns its id.
func (s *Service) CreateVPC(ctx context.Context, o Owner, in VPCInput) (string, error) {
	provider, err := canonicalProvider("provider", in.Provider)
	if err != nil {
		return "", err
	}
	if in.CIDR == "" {
		in.CIDR = DefaultVPCCIDR
	}
	var fs []errs.FieldError
	if in.RegionID == "" {
		fs = append(fs, errs.FieldError{Field: "region_id", Reason: "required"})
	}
	addField(&fs, ValidateVPCName("vpc_name", in.Name))
	cidr, err := ValidateVPCCIDR("cidr_block", in.CIDR)
	addField(&fs, err)
	if err := errs.Fields(fs...); err != nil {
		return "", err
	}
	a, err := s.FindAccount(ctx, o.Scope, provider, in.AccountKey, "ak")
	if err != nil {
		return "", err
	}
	if err := usable(a, "ak"); err != nil {
		return "", err
	}
	rc, err := s.region(ctx, a, in.RegionID)
	if err != nil {
		return "", err
	}
	v, err := rc.CreateVPC(ctx, cloud.VPCSpec{Name: in.Name, CIDR: cidr.String(), ClientToken: idgen.Hex()})
	if err != nil {
		return "", fieldError(err, "")
	}
	s.rememberVPC(v.ID, a.ID, in.RegionID)
	s.record(ctx, a, in.RegionID, []inventory.Kind{inventory.KindVPC}, v)
	return v.ID, nil
}

func addField(fs *[]errs.FieldError, err error) {
	if err == nil {
		return
	}
	e := errs.As(err)
	if len(e.Fields) == 0 {
		*fs = append(*fs, errs.FieldError{Field: "body", Reason: e.Message})
		return
	}
	*fs = append(*fs, e.Fields...)
}

// VPCView is a VPC as the inventory holds it.
type VPCView struct {
	ID        string
	Name      string
	CIDR      string
	SwitchIDs []string
	Provider  string // canonical
	RegionID  string
	Status    string // Available or Pending
	CreatedAt time.Time
}

// VPCQuery filters DescribeVPCs.
type VPCQuery struct {
	Provider string
	RegionID string
	Name     string
	Page     listing.Params
}

// resourceRegion maps a provider's region id to the inventory's region row
// id; ok is false when the inventory has never seen the region.
func (s *Service) resourceRegion(ctx context.Context, provider, region string) (string, bool) {
	reg, err := s.accts.Region(ctx, provider+"/"+region)
	if err != nil {
		return "", false
	}
	return reg.ID, true
}

func bridgxStatus(st string) string {
	switch st {
	case string(cloud.StatusRunning):
		return "Available"
	case string(cloud.StatusPending), string(cloud.StatusStarting):
		return "Pending"
	}
	if st == "" {
		return ""
	}
	return strings.ToUpper(st[:1]) + st[1:]
}

func createdOf(r *inventory.Resource) time.Time {
	if r.CloudCreatedAt != nil {
		return *r.CloudCreatedAt
	}
	return r.CreatedAt
}

func providerOf(ctx context.Context, s *Service, accountID string, cache map[string]string) string {
	if p, ok := cache[accountID]; ok {
		return p
	}
	p := ""
	if a, err := s.accts.Get(ctx, accountID); err == nil {
		p = a.Provider
	}
	cache[accountID] = p
	return p
}

// DescribeVPCs lists the VPCs the inventory holds.
func (s *Service) DescribeVPCs(ctx context.Context, sc inventory.Scope, q VPCQuery) (listing.Page[VPCView], error) {
	f := inventory.ResourceFilter{WithData: true}
	p := q.Page
	if q.Provider != "" {
		c, err := canonicalProvider("provider", q.Provider)
		if err != nil {
			return listing.Page[VPCView]{}, err
		}
		f.Provider = c
		if q.RegionID != "" {
			id, ok := s.resourceRegion(ctx, c, q.RegionID)
			if !ok {
				return listing.Page[VPCView]{Items: []VPCView{}, Offset: p.Offset, Limit: p.Limit}, nil
			}
			f.RegionID = id
		}
	} else if q.RegionID != "" {
		p.Filters = append(p.Filters, listing.Filter{Field: "cloudregion_id", Op: "in", Values: s.regionRowIDs(ctx, q.RegionID)})
	}
	if q.Name != "" {
		p.Filters = append(p.Filters, listing.Filter{Field: "name", Op: "equals", Values: []string{q.Name}})
	}
	page, err := s.accts.ListResources(ctx, sc, inventory.KindVPC, f, p)
	if err != nil {
		return listing.Page[VPCView]{}, err
	}
	out := listing.Page[VPCView]{Items: make([]VPCView, 0, len(page.Items)), Total: page.Total, Offset: page.Offset, Limit: page.Limit}
	ids := make([]string, 0, len(page.Items))
	for i := range page.Items {
		ids = append(ids, page.Items[i].ExternalID)
	}
	switches := map[string][]string{}
	if len(ids) > 0 {
		subs, err := s.accts.ListResources(ctx, sc, inventory.KindNetwork, inventory.ResourceFilter{},
			listing.Params{Filters: []listing.Filter{{Field: "vpc_external_id", Op: "in", Values: ids}},
				Order: []listing.Order{{Field: "created_at"}, {Field: "id"}}})
		if err != nil {
			return out, err
		}
		for _, sn := range subs.Items {
			switches[sn.VPCExternalID] = append(switches[sn.VPCExternalID], sn.ExternalID)
		}
	}
	provs := map[string]string{}
	for i := range page.Items {
		v := s.vpcView(ctx, &page.Items[i], provs)
		v.SwitchIDs = switches[v.ID]
		out.Items = append(out.Items, v)
	}
	return out, nil
}

func (s *Service) regionRowIDs(ctx context.Context, region string) []string {
	out := []string{"-"}
	for _, prov := range cloud.Providers() {
		if id, ok := s.resourceRegion(ctx, prov.Name, region); ok {
			out = append(out, id)
		}
	}
	return out
}

func (s *Service) vpcView(ctx context.Context, r *inventory.Resource, provs map[string]string) VPCView {
	var d struct {
		CIDR string `json:"cidr"`
	}
	_ = json.Unmarshal(r.Data, &d)
	v := VPCView{ID: r.ExternalID, Name: r.Name, CIDR: d.CIDR, Provider: providerOf(ctx, s, r.CloudaccountID, provs),
		Status: bridgxStatus(r.Status), CreatedAt: createdOf(r)}
	if reg, err := s.accts.Region(ctx, r.CloudregionID); err == nil {
		v.RegionID = reg.RegionID
	}
	return v
}

// VPC returns one VPC the inventory holds, by its cloud id.
func (s *Service) VPC(ctx context.Context, sc inventory.Scope, id string) (*VPCView, error) {
	r, err := s.resourceByExternalID(ctx, sc, inventory.KindVPC, id, nil)
	if err != nil {
		return nil, err
	}
	v := s.vpcView(ctx, r, map[string]string{})
	return &v, nil
}

// resourceByExternalID finds one resource of a kind by its cloud id.
func (s *Service) resourceByExternalID(ctx context.Context, sc inventory.Scope, k inventory.Kind, id string, extra []listing.Filter) (*inventory.Resource, error) {
	if id == "" {
		return nil, errs.Field("id", "required")
	}
	p := listing.Params{Limit: 1, Filters: append([]listing.Filter{{Field: "external_id", Op: "equals", Values: []string{id}}}, extra...)}
	page, err := s.accts.ListResources(ctx, sc, k, inventory.ResourceFilter{WithData: true}, p)
	if err != nil {
		return nil, err
	}
	if len(page.Items) == 0 {
		return nil, errs.NotFoundf(string(k), id)
	}
	return &page.Items[0], nil
}

// SubnetInput is a subnet (vSwitch) to create.
type SubnetInput struct {
	// token is the create's client token; "" makes a fresh one.
	token      string
	AccountKey string
	RegionID   string // optional: found from the VPC
	ZoneID     string
	CIDR       string
	VPCID      string
	Name       string
	GatewayIP  string // optional: checked against the reserved addresses
}

// CreateSubnet creates a subnet in a VPC and returns its id.
func (s *Service) CreateSubnet(ctx context.Context, o Owner, in SubnetInput) (string, error) {
	var fs []errs.FieldError
	if in.ZoneID == "" {
		fs = append(fs, errs.FieldError{Field: "zone_id", Reason: "required"})
	}
	if in.VPCID == "" {
		fs = append(fs, errs.FieldError{Field: "vpc_id", Reason: "required"})
	}
	addField(&fs, ValidateSwitchName("switch_name", in.Name))
	_, err := ValidateSubnetCIDR("cidr_block", in.CIDR, netip.Prefix{})
	addField(&fs, err)
	if err := errs.Fields(fs...); err != nil {
		return "", err
	}
	a, err := s.vpcAccount(ctx, o.Scope, in.AccountKey, in.VPCID)
	if err != nil {
		return "", err
	}
	region := in.RegionID
	if region == "" {
		if region, err = s.vpcRegion(ctx, a, in.VPCID, in.ZoneID); err != nil {
			return "", err
		}
	}
	rc, err := s.region(ctx, a, region)
	if err != nil {
		return "", err
	}
	sn, err := s.createSubnet(ctx, rc, in)
	if err != nil {
		return "", err
	}
	s.record(ctx, a, region, []inventory.Kind{inventory.KindNetwork}, sn)
	return sn.ID, nil
}

func (s *Service) createSubnet(ctx context.Context, rc cloud.RegionClient, in SubnetInput) (cloud.Subnet, error) {
	v, err := rc.GetVPC(ctx, in.VPCID)
	if err != nil {
		if errors.Is(err, cloud.ErrNotFound) {
			return cloud.Subnet{}, errs.Field("vpc_id", fmt.Sprintf("the cloud has no VPC %s in region %s", quoted(in.VPCID), rc.RegionID()))
		}
		return cloud.Subnet{}, err
	}
	vpcCIDR, _ := netip.ParsePrefix(v.CIDR)
	p, err := ValidateSubnetCIDR("cidr_block", in.CIDR, vpcCIDR)
	if err != nil {
		return cloud.Subnet{}, err
	}
	if in.GatewayIP != "" {
		if err := ValidateGatewayIP("gateway_ip", in.GatewayIP, p); err != nil {
			return cloud.Subnet{}, err
		}
	}
	if in.token == "" {
		in.token = idgen.Hex()
	}
	sn, err := rc.CreateSubnet(ctx, cloud.SubnetSpec{VPCID: in.VPCID, ZoneID: in.ZoneID, CIDR: p.String(), Name: in.Name, ClientToken: in.token})
	if err != nil {
		return cloud.Subnet{}, fieldError(err, "")
	}
	return sn, nil
}

// SubnetView is a subnet as the inventory holds it.
type SubnetView struct {
	ID           string
	VPCID        string
	ZoneID       string
	Name         string
	CIDR         string
	GatewayIP    string
	Status       string
	CreatedAt    time.Time
	IsDefault    bool
	AvailableIPs int
}

// SubnetQuery filters DescribeSubnets.
type SubnetQuery struct {
	VPCID string
	Name  string
	Page  listing.Params
}

// DescribeSubnets lists a VPC's subnets.
func (s *Service) DescribeSubnets(ctx context.Context, sc inventory.Scope, q SubnetQuery) (listing.Page[SubnetView], error) {
	if q.VPCID == "" {
		return listing.Page[SubnetView]{}, errs.Field("vpc_id", "required")
	}
	p := q.Page
	p.Filters = append(p.Filters, listing.Filter{Field: "vpc_external_id", Op: "equals", Values: []string{q.VPCID}})
	if q.Name != "" {
		p.Filters = append(p.Filters, listing.Filter{Field: "name", Op: "equals", Values: []string{q.Name}})
	}
	page, err := s.accts.ListResources(ctx, sc, inventory.KindNetwork, inventory.ResourceFilter{WithData: true}, p)
	if err != nil {
		return listing.Page[SubnetView]{}, err
	}
	out := listing.Page[SubnetView]{Items: make([]SubnetView, 0, len(page.Items)), Total: page.Total, Offset: page.Offset, Limit: page.Limit}
	for i := range page.Items {
		out.Items = append(out.Items, subnetView(&page.Items[i]))
	}
	return out, nil
}

func subnetView(r *inventory.Resource) SubnetView {
	var d struct {
		CIDR         string `json:"cidr"`
		AvailableIPs int    `json:"available_ips"`
	}
	_ = json.Unmarshal(r.Data, &d)
	v := SubnetView{ID: r.ExternalID, VPCID: r.VPCExternalID, ZoneID: r.ZoneID, Name: r.Name, CIDR: d.CIDR,
		Status: bridgxStatus(r.Status), CreatedAt: createdOf(r), AvailableIPs: d.AvailableIPs}
	if p, err := netip.ParsePrefix(d.CIDR); err == nil && p.Addr().Is4() {
		if v.AvailableIPs == 0 {
			v.AvailableIPs = UsableAddresses(p)
		}
		// The cloud keeps the first and last three addresses; BridgX's
		// template names the second to last the gateway.
		v.GatewayIP = ReservedAddresses(p)[2].String()
	}
	return v
}

// Subnet returns one subnet of a VPC.
func (s *Service) Subnet(ctx context.Context, sc inventory.Scope, id, vpcID string) (*SubnetView, error) {
	var extra []listing.Filter
	if vpcID != "" {
		extra = append(extra, listing.Filter{Field: "vpc_external_id", Op: "equals", Values: []string{vpcID}})
	}
	r, err := s.resourceByExternalID(ctx, sc, inventory.KindNetwork, id, extra)
	if err != nil {
		return nil, err
	}
	v := subnetView(r)
	return &v, nil
}

// SecurityGroupInput is a security group to create with its rules.
type SecurityGroupInput struct {
	AccountKey string
	RegionID   string // optional: found from the VPC
	VPCID      string
	Name       string
	Type       string // normal (default) or enterprise
	Rules      []Rule
}

func validateSGType(t string) error {
	switch t {
	case "", "normal", "enterprise":
		return nil
	}
	return errs.Field("security_group_type", fmt.Sprintf("%s is not normal or enterprise", quoted(t)))
}

// CreateSecurityGroup creates a security group with its rules (a rule the
// group already has is left as is) and returns its id. If a rule cannot be
// added the group is deleted again.
func (s *Service) CreateSecurityGroup(ctx context.Context, o Owner, in SecurityGroupInput) (string, error) {
	var fs []errs.FieldError
	if in.VPCID == "" {
		fs = append(fs, errs.FieldError{Field: "vpc_id", Reason: "required"})
	}
	addField(&fs, ValidateSecurityGroupName("security_group_name", in.Name))
	addField(&fs, validateSGType(in.Type))
	if err := errs.Fields(fs...); err != nil {
		return "", err
	}
	rules, err := ValidateRules("rules", in.Rules)
	if err != nil {
		return "", err
	}
	a, err := s.vpcAccount(ctx, o.Scope, in.AccountKey, in.VPCID)
	if err != nil {
		return "", err
	}
	region := in.RegionID
	if region == "" {
		if region, err = s.vpcRegion(ctx, a, in.VPCID, ""); err != nil {
			return "", err
		}
	}
	rc, err := s.region(ctx, a, region)
	if err != nil {
		return "", err
	}
	sg, err := s.createSecurityGroup(ctx, rc, in.VPCID, in.Name, rules, idgen.Hex())
	if err != nil {
		return "", err
	}
	s.record(ctx, a, region, []inventory.Kind{inventory.KindSecgroup}, sg)
	return sg.ID, nil
}

func (s *Service) createSecurityGroup(ctx context.Context, rc cloud.RegionClient, vpcID, name string, rules []cloud.SecurityGroupRule,
	token string) (cloud.SecurityGroup, error) {
	sg, err := rc.CreateSecurityGroup(ctx, cloud.SecurityGroupSpec{VPCID: vpcID, Name: name, ClientToken: token})
	if err != nil {
		if errors.Is(err, cloud.ErrNotFound) {
			return cloud.SecurityGroup{}, errs.Field("vpc_id", fmt.Sprintf("the cloud has no VPC %s in region %s", quoted(vpcID), rc.RegionID()))
		}
		return cloud.SecurityGroup{}, fieldError(err, "")
	}
	if len(rules) > 0 {
		if err := rc.AuthorizeRules(ctx, sg.ID, rules); err != nil {
			if derr := rc.DeleteSecurityGroup(context.WithoutCancel(ctx), sg.ID); derr != nil {
				s.cfg.Logger.Warn("cluster: roll back security group", "id", sg.ID, "err", derr)
			}
			e := errs.As(fieldError(err, "rules"))
			return cloud.SecurityGroup{}, &errs.Error{Code: e.Code, Message: errs.PublicMessage(e) + " (security group " + sg.ID + " was deleted again)", Fields: e.Fields, Err: err}
		}
	}
	return sg, nil
}

// SecurityGroupView is a security group as the inventory holds it.
type SecurityGroupView struct {
	ID        string
	Name      string
	VPCID     string
	Type      string
	CreatedAt time.Time
	Rules     []cloud.SecurityGroupRule // only from SecurityGroupRules
}

// SecurityGroupQuery filters DescribeSecurityGroups.
type SecurityGroupQuery struct {
	RegionID string
	VPCID    string
	Name     string
	Page     listing.Params
}

// DescribeSecurityGroups lists a VPC's security groups.
func (s *Service) DescribeSecurityGroups(ctx context.Context, sc inventory.Scope, q SecurityGroupQuery) (listing.Page[SecurityGroupView], error) {
	if q.VPCID == "" {
		return listing.Page[SecurityGroupView]{}, errs.Field("vpc_id", "required")
	}
	p := q.Page
	p.Filters = append(p.Filters, listing.Filter{Field: "vpc_external_id", Op: "equals", Values: []string{q.VPCID}})
	if q.Name != "" {
		p.Filters = append(p.Filters, listing.Filter{Field: "name", Op: "equals", Values: []string{q.Name}})
	}
	if q.RegionID != "" {
		p.Filters = append(p.Filters, listing.Filter{Field: "cloudregion_id", Op: "in", Values: s.regionRowIDs(ctx, q.RegionID)})
	}
	page, err := s.accts.ListResources(ctx, sc, inventory.KindSecgroup, inventory.ResourceFilter{}, p)
	if err != nil {
		return listing.Page[SecurityGroupView]{}, err
	}
	out := listing.Page[SecurityGroupView]{Items: make([]SecurityGroupView, 0, len(page.Items)), Total: page.Total, Offset: page.Offset, Limit: page.Limit}
	for i := range page.Items {
		r := &page.Items[i]
		out.Items = append(out.Items, SecurityGroupView{ID: r.ExternalID, Name: r.Name, VPCID: r.VPCExternalID, Type: "normal", CreatedAt: createdOf(r)})
	}
	return out, nil
}

// SecurityGroupRules returns a security group with its rules, read from the
// cloud.
func (s *Service) SecurityGroupRules(ctx context.Context, sc inventory.Scope, id string) (*SecurityGroupView, error) {
	r, err := s.resourceByExternalID(ctx, sc, inventory.KindSecgroup, id, nil)
	if err != nil {
		return nil, err
	}
	a, err := s.accts.Get(ctx, r.CloudaccountID)
	if err != nil {
		return nil, err
	}
	reg, err := s.accts.Region(ctx, r.CloudregionID)
	if err != nil {
		return nil, err
	}
	rc, err := s.region(ctx, a, reg.RegionID)
	if err != nil {
		return nil, err
	}
	sg, err := rc.GetSecurityGroup(ctx, r.ExternalID)
	if err != nil {
		return nil, err
	}
	return &SecurityGroupView{ID: sg.ID, Name: sg.Name, VPCID: sg.VPCID, Type: "normal", CreatedAt: createdOf(r), Rules: sg.Rules}, nil
}

// NetworkConfigInput is a VPC, a subnet and a security group to create in
// one call.
type NetworkConfigInput struct {
	Provider          string
	RegionID          string
	CIDR              string
	VPCName           string
	ZoneID            string
	SwitchCIDR        string
	SwitchName        string
	GatewayIP         string
	SecurityGroupName string
	SecurityGroupType string
	AccountKey        string
	Rules             []Rule
}

// NetworkConfigResult names what CreateNetworkConfig made. Pending means
// the configuration task was still running when the wait was over: TaskID
// names it, and VPCID is set if the VPC exists already.
type NetworkConfigResult struct {
	VPCID           string `json:"vpc_id"`
	SubnetID        string `json:"subnet_id"`
	SecurityGroupID string `json:"security_group_id"`
	TaskID          string `json:"-"`
	Pending         bool   `json:"-"`
}

// CreateNetworkConfig creates a VPC, a subnet in it and a security group
// with rules. It validates everything first, then runs the creates as a
// task (TaskNetworkConfig) and waits for it up to Config.NetworkWait; if a
// step fails the task deletes what the earlier steps made.
func (s *Service) CreateNetworkConfig(ctx context.Context, o Owner, in NetworkConfigInput) (*NetworkConfigResult, error) {
	provider, err := canonicalProvider("provider", in.Provider)
	if err != nil {
		return nil, err
	}
	if in.CIDR == "" {
		in.CIDR = DefaultVPCCIDR
	}
	var fs []errs.FieldError
	if in.RegionID == "" {
		fs = append(fs, errs.FieldError{Field: "region_id", Reason: "required"})
	}
	if in.ZoneID == "" {
		fs = append(fs, errs.FieldError{Field: "zone_id", Reason: "required"})
	}
	addField(&fs, ValidateVPCName("vpc_name", in.VPCName))
	addField(&fs, ValidateSwitchName("switch_name", in.SwitchName))
	addField(&fs, ValidateSecurityGroupName("security_group_name", in.SecurityGroupName))
	addField(&fs, validateSGType(in.SecurityGroupType))
	vpcCIDR, err := ValidateVPCCIDR("cidr_block", in.CIDR)
	addField(&fs, err)
	sub, err := ValidateSubnetCIDR("switch_cidr_block", in.SwitchCIDR, vpcCIDR)
	addField(&fs, err)
	if err == nil && in.GatewayIP != "" {
		addField(&fs, ValidateGatewayIP("gateway_ip", in.GatewayIP, sub))
	}
	if err := errs.Fields(fs...); err != nil {
		return nil, err
	}
	rules, err := ValidateRules("rules", in.Rules)
	if err != nil {
		return nil, err
	}
	a, err := s.FindAccount(ctx, o.Scope, provider, in.AccountKey, "ak")
	if err != nil {
		return nil, err
	}
	if err := usable(a, "ak"); err != nil {
		return nil, err
	}
	if _, err := s.region(ctx, a, in.RegionID); err != nil {
		return nil, err
	}
	if s.tasks == nil {
		return nil, errs.E(errs.Unavailable, "network configuration needs the task service")
	}
	p := netParams{AccountID: a.ID, RegionID: in.RegionID, ZoneID: in.ZoneID, VPCName: in.VPCName, VPCCIDR: vpcCIDR.String(),
		SwitchName: in.SwitchName, SwitchCIDR: sub.String(), SecurityGroupName: in.SecurityGroupName, Rules: rules}
	t, err := s.tasks.Submit(ctx, task.Spec{ID: s.numericID(), Type: TaskNetworkConfig, ObjectType: "vpc", ObjectName: in.VPCName,
		DomainID: o.DomainID, ProjectID: o.ProjectID, UserID: o.UserID, Params: p})
	if err != nil {
		return nil, fmt.Errorf("queue network configuration %s: %w", in.VPCName, err)
	}
	return s.awaitNetwork(ctx, t.ID, s.cfg.NetworkWait)
}

// waitVPC waits until a new VPC is available (subnets need that).
func (s *Service) waitVPC(ctx context.Context, rc cloud.RegionClient, id string) error {
	deadline := time.Now().Add(time.Minute)
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		v, err := rc.GetVPC(ctx, id)
		if err == nil && v.Status == cloud.StatusRunning {
			return nil
		}
		if err != nil && !errors.Is(err, cloud.ErrNotFound) {
			return err
		}
		if time.Now().After(deadline) {
			return errs.E(errs.Unavailable, "VPC %s did not become available within a minute", id)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// deleteWhenFree retries a delete a few times: a cloud may refuse to delete
// what was just created while it settles.
func (s *Service) deleteWhenFree(ctx context.Context, del func(ctx context.Context) error) error {
	var err error
	for i := range 5 {
		if err = del(ctx); err == nil || errors.Is(err, cloud.ErrNotFound) {
			return nil
		}
		if i == 4 {
			break
		}
		t := time.NewTimer(time.Duration(i+1) * 500 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
	}
	return err
}

// SyncNetwork pulls a region's VPCs, subnets and security groups from the
// cloud into the inventory and waits (a bounded time) for it to finish.
func (s *Service) SyncNetwork(ctx context.Context, sc inventory.Scope, provider, region, key string) error {
	c, err := canonicalProvider("provider", provider)
	if err != nil {
		return err
	}
	if region == "" {
		return errs.Field("region_id", "required")
	}
	a, err := s.FindAccount(ctx, sc, c, key, "account_key")
	if err != nil {
		return err
	}
	if !a.Enabled {
		return errs.Field("account_key", fmt.Sprintf("account %s is disabled", a.Name))
	}
	// A region the cloud does not have is refused here: as a sync it could
	// only fail.
	if _, err := s.region(ctx, a, region); err != nil {
		return err
	}
	t, err := s.accts.RequestSync(ctx, a.ID, inventory.SyncRequest{Regions: []string{region}, Kinds: networkKinds})
	if err != nil {
		return err
	}
	return s.waitTask(ctx, t.ID, 6*s.cfg.RecordWait)
}

// NetworkTemplate is the default network configuration BridgX offers.
type NetworkTemplate struct {
	Provider          string
	CIDR              string
	VPCName           string
	SwitchCIDR        string
	GatewayIP         string
	SwitchName        string
	SecurityGroupName string
	SecurityGroupType string
	Rules             []Rule
}

// Template returns the default network configuration of a provider.
func Template(provider string) (NetworkTemplate, error) {
	c, err := canonicalProvider("provider", provider)
	if err != nil {
		return NetworkTemplate{}, err
	}
	return NetworkTemplate{Provider: BridgXName(c), CIDR: "10.0.0.0/16", VPCName: "默认的vpc", SwitchCIDR: "10.0.0.0/24",
		GatewayIP: "10.0.0.254", SwitchName: "默认的子网", SecurityGroupName: "默认的安全组", SecurityGroupType: "normal",
		Rules: []Rule{{Protocol: "all", PortRange: "-1/-1", Direction: "ingress", CIDRIP: "0.0.0.0/0"},
			{Protocol: "all", PortRange: "-1/-1", Direction: "egress", CIDRIP: "0.0.0.0/0"}}}, nil
}
