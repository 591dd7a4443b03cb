package aliyunsim

import (
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// VPC product: VPCs, vSwitches and EIPs.

const (
	maxVPCsPerRegion   = 10
	maxVSwitchesPerVPC = 150
	maxEIPsPerRegion   = 100
)

var forbiddenVPCRanges = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"), netip.MustParsePrefix("100.64.0.0/10"), netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"), netip.MustParsePrefix("224.0.0.0/4"), netip.MustParsePrefix("240.0.0.0/4"),
}

func errCidr(msg string) *apiError {
	return errf(http.StatusBadRequest, "InvalidCidrBlock.Malformed", "Specified CIDR block is not valid: %s", msg)
}

// parseCIDR validates an IPv4 CIDR block whose host bits are zero and whose
// mask lies in [minBits, maxBits].
func parseCIDR(s string, minBits, maxBits int) (netip.Prefix, *apiError) {
	p, err := netip.ParsePrefix(strings.TrimSpace(s))
	if err != nil || !p.Addr().Is4() {
		return netip.Prefix{}, errCidr("it is not an IPv4 CIDR block.")
	}
	if p.Masked() != p {
		return netip.Prefix{}, errCidr("the host bits must be zero.")
	}
	if p.Bits() < minBits || p.Bits() > maxBits {
		return netip.Prefix{}, errCidr("the mask must be between /" + strconv.Itoa(minBits) + " and /" + strconv.Itoa(maxBits) + ".")
	}
	return p, nil
}

func vpcNotFound() *apiError     { return errNotFound("InvalidVpcId.NotFound", "VpcId") }
func vswitchNotFound() *apiError { return errNotFound("InvalidVSwitchId.NotFound", "VSwitchId") }

func vpcDescribeZones(c *call) (any, *apiError) {
	rid, _, aerr := c.lookupRegion()
	if aerr != nil {
		return nil, aerr
	}
	var out []obj
	for _, z := range zoneIDs(regionByID[rid]) {
		out = append(out, obj{"ZoneId": z, "LocalName": zoneLocalName(z), "ZoneType": "AvailabilityZone"})
	}
	return obj{"RequestId": c.id, "Zones": obj{"Zone": out}}, nil
}

func vpcCreateVpc(c *call) (any, *apiError) {
	rid, rs, aerr := c.lookupRegion()
	if aerr != nil {
		return nil, aerr
	}
	cidr := c.p.str("CidrBlock")
	if cidr == "" {
		cidr = "172.16.0.0/12"
	}
	pfx, aerr := parseCIDR(cidr, 8, 28)
	if aerr != nil {
		return nil, aerr
	}
	for _, bad := range forbiddenVPCRanges {
		if bad.Overlaps(pfx) {
			return nil, errCidr("the block lies in a reserved range.")
		}
	}
	name, aerr := c.optName("VpcName", "InvalidVpcName.Malformed")
	if aerr != nil {
		return nil, aerr
	}
	desc, aerr := c.optDescription()
	if aerr != nil {
		return nil, aerr
	}
	tags, aerr := c.p.tags("Tag")
	if aerr != nil {
		return nil, aerr
	}
	dry, aerr := c.p.boolean("DryRun")
	if aerr != nil {
		return nil, aerr
	}
	if rec, aerr := c.idempotent("CreateVpc"); aerr != nil || rec != nil {
		if aerr != nil {
			return nil, aerr
		}
		return vpcCreated(c, rs, rec.IDs[0]), nil
	}
	if rs.VPCs.len() >= maxVPCsPerRegion {
		return nil, errf(http.StatusForbidden, "QuotaExceeded.Vpc", "The number of VPCs in the region exceeds the quota of %d.", maxVPCsPerRegion)
	}
	if dry {
		return nil, errDryRun()
	}
	v := c.s.st.newVPC(rid, pfx, name, desc, tags, c.now)
	rs.VPCs.put(v)
	c.remember("CreateVpc", []string{v.ID}, "", 0)
	return vpcCreated(c, rs, v.ID), nil
}

func (st *state) newVPC(region string, pfx netip.Prefix, name, desc string, tags []Tag, now time.Time) *VPC {
	v := &VPC{Meta: st.meta("vpc-", region, now, tags), Name: name, Description: desc, CIDR: pfx.String()}
	v.VRouterID = st.newID("vrt-", region, 17)
	v.RouteTableID = st.newID("vtb-", region, 17)
	return v
}

func vpcCreated(c *call, rs *regionState, id string) obj {
	o := obj{"RequestId": c.id, "VpcId": id, "ResourceGroupId": "rg-acfm" + c.acct.ID[len(c.acct.ID)-6:]}
	if v, ok := rs.VPCs.get(id); ok {
		o["VRouterId"], o["RouteTableId"] = v.VRouterID, v.RouteTableID
	}
	return o
}

func vpcDeleteVpc(c *call) (any, *apiError) {
	_, rs, aerr := c.lookupRegion()
	if aerr != nil {
		return nil, aerr
	}
	id, aerr := c.p.required("VpcId")
	if aerr != nil {
		return nil, aerr
	}
	if _, ok := rs.VPCs.get(id); !ok {
		return nil, vpcNotFound()
	}
	dry, aerr := c.p.boolean("DryRun")
	if aerr != nil {
		return nil, aerr
	}
	for _, vsw := range rs.VSwitches.order {
		if vsw.VpcID == id {
			return nil, errf(http.StatusBadRequest, "DependencyViolation.VSwitch", "Specified VPC still has vSwitches (%s).", vsw.ID)
		}
	}
	for _, sg := range rs.SGs.order {
		if sg.VpcID == id {
			return nil, errf(http.StatusBadRequest, "DependencyViolation.SecurityGroup", "Specified VPC still has security groups (%s).", sg.ID)
		}
	}
	if dry {
		return nil, errDryRun()
	}
	rs.VPCs.remove(id)
	return obj{"RequestId": c.id}, nil
}

func vswitchIDsOf(rs *regionState, vpcID string) []string {
	out := []string{}
	for _, vsw := range rs.VSwitches.order {
		if vsw.VpcID == vpcID {
			out = append(out, vsw.ID)
		}
	}
	return out
}

func vpcOut(c *call, rs *regionState, v *VPC) obj {
	return obj{
		"VpcId": v.ID, "VpcName": v.Name, "Description": v.Description, "CidrBlock": v.CIDR, "RegionId": v.Region,
		"Status": "Available", "CreationTime": fmtTime(v.Created, ecsTimeSecond), "IsDefault": v.IsDefault,
		"VRouterId": v.VRouterID, "VSwitchIds": obj{"VSwitchId": vswitchIDsOf(rs, v.ID)},
		"RouterTableIds": obj{"RouterTableIds": []string{v.RouteTableID}}, "NatGatewayIds": obj{"NatGatewayIds": []string{}},
		"UserCidrs": obj{"UserCidr": []string{}}, "SecondaryCidrBlocks": obj{"SecondaryCidrBlock": []string{}},
		"Ipv6CidrBlock": "", "Ipv6CidrBlocks": obj{"Ipv6CidrBlock": []obj{}}, "EnabledIpv6": false,
		"ResourceGroupId": "rg-acfm" + c.acct.ID[len(c.acct.ID)-6:], "DhcpOptionsSetId": "", "DhcpOptionsSetStatus": "",
		"CenStatus": "Detached", "DnsHostnameStatus": "DISABLED", "Tags": vpcTags(v.Tags),
	}
}

func vpcDescribeVpcs(c *call) (any, *apiError) {
	_, rs, aerr := c.lookupRegion()
	if aerr != nil {
		return nil, aerr
	}
	ids, aerr := c.p.commaList("VpcId", 20)
	if aerr != nil {
		return nil, aerr
	}
	tags, aerr := c.p.tags("Tag")
	if aerr != nil {
		return nil, aerr
	}
	name := c.p.str("VpcName")
	isDefault := c.p.str("IsDefault")
	var keep func(*VPC) bool
	if len(ids) > 0 || len(tags) > 0 || name != "" || isDefault != "" {
		keep = func(v *VPC) bool {
			return (len(ids) == 0 || contains(ids, v.ID)) && (name == "" || v.Name == name) &&
				(isDefault == "" || strconv.FormatBool(v.IsDefault) == strings.ToLower(isDefault)) && tagsMatch(v.Tags, tags)
		}
	}
	page, size, aerr := c.p.paging(10, 50)
	if aerr != nil {
		return nil, aerr
	}
	items, total := pageOf(rs.VPCs.order, keep, page, size)
	out := make([]obj, 0, len(items))
	for _, v := range items {
		out = append(out, vpcOut(c, rs, v))
	}
	return obj{"RequestId": c.id, "TotalCount": total, "PageNumber": page, "PageSize": size, "Vpcs": obj{"Vpc": out}}, nil
}

func vpcDescribeVpcAttribute(c *call) (any, *apiError) {
	_, rs, aerr := c.lookupRegion()
	if aerr != nil {
		return nil, aerr
	}
	id, aerr := c.p.required("VpcId")
	if aerr != nil {
		return nil, aerr
	}
	v, ok := rs.VPCs.get(id)
	if !ok {
		return nil, vpcNotFound()
	}
	o := vpcOut(c, rs, v)
	delete(o, "RouterTableIds")
	delete(o, "NatGatewayIds")
	ecs := 0
	for _, in := range rs.Instances.order {
		if in.VpcID == id {
			ecs++
		}
	}
	o["RequestId"] = c.id
	o["ClassicLinkEnabled"] = false
	o["SupportIpv4Gateway"] = true
	o["Ipv4GatewayId"] = ""
	o["AssociatedCens"] = obj{"AssociatedCen": []obj{}}
	o["CloudResources"] = obj{"CloudResourceSetType": []obj{
		{"ResourceType": "VSwitch", "ResourceCount": len(vswitchIDsOf(rs, id))},
		{"ResourceType": "VRouter", "ResourceCount": 1},
		{"ResourceType": "RouteTable", "ResourceCount": 1},
		{"ResourceType": "ECS", "ResourceCount": ecs},
	}}
	return o, nil
}

func vpcCreateVSwitch(c *call) (any, *apiError) {
	rid, rs, aerr := c.lookupRegion()
	if aerr != nil {
		return nil, aerr
	}
	vpcID, aerr := c.p.required("VpcId")
	if aerr != nil {
		return nil, aerr
	}
	v, ok := rs.VPCs.get(vpcID)
	if !ok {
		return nil, vpcNotFound()
	}
	zone, aerr := c.p.required("ZoneId")
	if aerr != nil {
		return nil, aerr
	}
	if zr := zoneRegion(zone); zr == nil || zr.ID != rid {
		return nil, errf(http.StatusBadRequest, "InvalidZoneId.NotFound", "The specified zone does not exist in the region.")
	}
	cidr, aerr := c.p.required("CidrBlock")
	if aerr != nil {
		return nil, aerr
	}
	pfx, aerr := parseCIDR(cidr, 16, 29)
	if aerr != nil {
		return nil, aerr
	}
	vpcPfx := netip.MustParsePrefix(v.CIDR)
	if !vpcPfx.Contains(pfx.Addr()) || pfx.Bits() < vpcPfx.Bits() {
		return nil, errCidr("the block is not within the CIDR block of the VPC.")
	}
	for _, other := range rs.VSwitches.order {
		if other.VpcID == vpcID && netip.MustParsePrefix(other.CIDR).Overlaps(pfx) {
			return nil, errf(http.StatusBadRequest, "InvalidCidrBlock.Overlapped", "The specified CIDR block overlaps with vSwitch %s (%s).", other.ID, other.CIDR)
		}
	}
	name, aerr := c.optName("VSwitchName", "InvalidVSwitchName.Malformed")
	if aerr != nil {
		return nil, aerr
	}
	desc, aerr := c.optDescription()
	if aerr != nil {
		return nil, aerr
	}
	tags, aerr := c.p.tags("Tag")
	if aerr != nil {
		return nil, aerr
	}
	if rec, aerr := c.idempotent("CreateVSwitch"); aerr != nil || rec != nil {
		if aerr != nil {
			return nil, aerr
		}
		return obj{"RequestId": c.id, "VSwitchId": rec.IDs[0]}, nil
	}
	if n := len(vswitchIDsOf(rs, vpcID)); n >= maxVSwitchesPerVPC {
		return nil, errf(http.StatusForbidden, "QuotaExceeded.VSwitch", "The number of vSwitches in the VPC exceeds the quota of %d.", maxVSwitchesPerVPC)
	}
	vsw := c.s.st.newVSwitch(rid, v, zone, pfx, name, desc, tags, c.now)
	rs.VSwitches.put(vsw)
	c.remember("CreateVSwitch", []string{vsw.ID}, "", 0)
	return obj{"RequestId": c.id, "VSwitchId": vsw.ID}, nil
}

func (st *state) newVSwitch(region string, v *VPC, zone string, pfx netip.Prefix, name, desc string, tags []Tag, now time.Time) *VSwitch {
	return &VSwitch{Meta: st.meta("vsw-", region, now, tags), VpcID: v.ID, Zone: zone, CIDR: pfx.String(),
		Name: name, Description: desc, Pool: newPool(pfx)}
}

func vpcDeleteVSwitch(c *call) (any, *apiError) {
	_, rs, aerr := c.lookupRegion()
	if aerr != nil {
		return nil, aerr
	}
	id, aerr := c.p.required("VSwitchId")
	if aerr != nil {
		return nil, aerr
	}
	vsw, ok := rs.VSwitches.get(id)
	if !ok {
		return nil, vswitchNotFound()
	}
	dry, aerr := c.p.boolean("DryRun")
	if aerr != nil {
		return nil, aerr
	}
	if vsw.Pool.Used > 0 || vswitchInUse(rs, id) {
		return nil, errf(http.StatusBadRequest, "DependencyViolation", "Specified vSwitch still has dependent resources (instances, network interfaces or databases).")
	}
	if dry {
		return nil, errDryRun()
	}
	rs.VSwitches.remove(id)
	return obj{"RequestId": c.id}, nil
}

func vswitchInUse(rs *regionState, id string) bool {
	for _, d := range rs.RDS.order {
		if d.VSwitchID == id {
			return true
		}
	}
	for _, r := range rs.Redis.order {
		if r.VSwitchID == id {
			return true
		}
	}
	for _, k := range rs.Kafka.order {
		if k.VSwitchID == id {
			return true
		}
	}
	return false
}

func vswitchOut(c *call, vsw *VSwitch) obj {
	return obj{
		"VSwitchId": vsw.ID, "VSwitchName": vsw.Name, "Description": vsw.Description, "VpcId": vsw.VpcID,
		"ZoneId": vsw.Zone, "CidrBlock": vsw.CIDR, "Status": "Available", "AvailableIpAddressCount": vsw.Pool.available(),
		"CreationTime": fmtTime(vsw.Created, ecsTimeSecond), "IsDefault": false, "ResourceGroupId": "rg-acfm" + c.acct.ID[len(c.acct.ID)-6:],
		"RouteTable": obj{"RouteTableId": "", "RouteTableType": "System"}, "NetworkAclId": "", "ShareType": "",
		"Ipv6CidrBlock": "", "EnabledIpv6": false, "Tags": vpcTags(vsw.Tags),
	}
}

func vpcDescribeVSwitches(c *call) (any, *apiError) {
	rss, aerr := c.optRegions()
	if aerr != nil {
		return nil, aerr
	}
	ids, aerr := c.p.commaList("VSwitchId", 50)
	if aerr != nil {
		return nil, aerr
	}
	tags, aerr := c.p.tags("Tag")
	if aerr != nil {
		return nil, aerr
	}
	vpcID, zone, name := c.p.str("VpcId"), c.p.str("ZoneId"), c.p.str("VSwitchName")
	if len(rss) > 1 && vpcID == "" && len(ids) == 0 {
		return nil, errMissing("RegionId")
	}
	var keep func(*VSwitch) bool
	if len(ids)+len(tags) > 0 || vpcID+zone+name != "" {
		keep = func(v *VSwitch) bool {
			return (len(ids) == 0 || contains(ids, v.ID)) && (vpcID == "" || v.VpcID == vpcID) &&
				(zone == "" || v.Zone == zone) && (name == "" || v.Name == name) && tagsMatch(v.Tags, tags)
		}
	}
	tables := make([]*table[*VSwitch], len(rss))
	for i, rs := range rss {
		tables[i] = &rs.VSwitches
	}
	page, size, aerr := c.p.paging(10, 50)
	if aerr != nil {
		return nil, aerr
	}
	items, total := pageOf(merged(tables), keep, page, size)
	out := make([]obj, 0, len(items))
	for _, v := range items {
		out = append(out, vswitchOut(c, v))
	}
	return obj{"RequestId": c.id, "TotalCount": total, "PageNumber": page, "PageSize": size, "VSwitches": obj{"VSwitch": out}}, nil
}

func vpcDescribeVSwitchAttributes(c *call) (any, *apiError) {
	rss, aerr := c.optRegions()
	if aerr != nil {
		return nil, aerr
	}
	id, aerr := c.p.required("VSwitchId")
	if aerr != nil {
		return nil, aerr
	}
	for _, rs := range rss {
		if vsw, ok := rs.VSwitches.get(id); ok {
			o := vswitchOut(c, vsw)
			o["RequestId"] = c.id
			return o, nil
		}
	}
	return nil, vswitchNotFound()
}

// --- EIP --------------------------------------------------------------------

func eipNotFound() *apiError {
	return errNotFound("InvalidAllocationId.NotFound", "AllocationId")
}

func eipHourly(region string, bw int, ict string) int64 {
	p := eipHourlyCNY
	if ict == "PayByBandwidth" {
		p += bandwidthPerMbpsHourCNY * float64(bw)
	}
	return toMicro(regionPrice(region, p))
}

func vpcAllocateEipAddress(c *call) (any, *apiError) {
	rid, rs, aerr := c.lookupRegion()
	if aerr != nil {
		return nil, aerr
	}
	ict, aerr := c.p.oneOf("InternetChargeType", "PayByBandwidth", "PayByBandwidth", "PayByTraffic")
	if aerr != nil {
		return nil, aerr
	}
	maxBW := 500
	if ict == "PayByTraffic" {
		maxBW = 200
	}
	bw, aerr := c.p.integer("Bandwidth", 5, 1, maxBW)
	if aerr != nil {
		return nil, errf(http.StatusBadRequest, "InvalidBandwidth.Malformed", "The specified Bandwidth is not valid (1-%d Mbit/s).", maxBW)
	}
	if _, aerr := c.p.oneOf("InstanceChargeType", postPaid, postPaid); aerr != nil {
		return nil, errf(http.StatusBadRequest, "InvalidInstanceChargeType.ValueNotSupported", "Only pay-as-you-go EIPs are simulated.")
	}
	isp, aerr := c.p.oneOf("ISP", "BGP", "BGP", "BGP_PRO")
	if aerr != nil {
		return nil, aerr
	}
	name, aerr := c.optName("Name", "InvalidName.Malformed")
	if aerr != nil {
		return nil, aerr
	}
	desc, aerr := c.optDescription()
	if aerr != nil {
		return nil, aerr
	}
	tags, aerr := c.p.tags("Tag")
	if aerr != nil {
		return nil, aerr
	}
	if rec, aerr := c.idempotent("AllocateEipAddress"); aerr != nil || rec != nil {
		if aerr != nil {
			return nil, aerr
		}
		if e, ok := rs.EIPs.get(rec.IDs[0]); ok {
			return obj{"RequestId": c.id, "AllocationId": e.ID, "EipAddress": e.IP, "ResourceGroupId": ""}, nil
		}
	}
	if rs.EIPs.len() >= maxEIPsPerRegion {
		return nil, errf(http.StatusForbidden, "QuotaExceeded.Eip", "The number of EIPs in the region exceeds the quota of %d.", maxEIPsPerRegion)
	}
	if c.acct.available(c.now) <= 0 {
		return nil, errf(http.StatusForbidden, "Account.Arrearage", "Your account has an outstanding payment.")
	}
	e := c.s.st.newEIP(c.acct, rid, bw, ict, isp, name, desc, tags, c.now, c.now)
	rs.EIPs.put(e)
	c.remember("AllocateEipAddress", []string{e.ID}, "", 0)
	return obj{"RequestId": c.id, "AllocationId": e.ID, "EipAddress": e.IP, "ResourceGroupId": ""}, nil
}

func (st *state) newEIP(a *account, region string, bw int, ict, isp, name, desc string, tags []Tag, created, now time.Time) *EIP {
	e := &EIP{Meta: st.meta("eip-", region, created, tags), Name: name, Description: desc, IP: st.allocPublicIP(),
		Bandwidth: bw, InternetChargeType: ict, ISP: isp}
	h := eipHourly(region, bw, ict)
	e.Spans = []UsageSpan{{Start: created, HourlyMicro: h}}
	a.startBilling(now, created, h)
	return e
}

func (c *call) findEIP(rs *regionState) (*EIP, *apiError) {
	id, aerr := c.p.required("AllocationId")
	if aerr != nil {
		return nil, aerr
	}
	e, ok := rs.EIPs.get(id)
	if !ok {
		return nil, eipNotFound()
	}
	return e, nil
}

func errEipStatus() *apiError {
	return errf(http.StatusBadRequest, "IncorrectEipStatus", "The current status of the EIP does not support this operation.")
}

func vpcAssociateEipAddress(c *call) (any, *apiError) {
	_, rs, aerr := c.lookupRegion()
	if aerr != nil {
		return nil, aerr
	}
	e, aerr := c.findEIP(rs)
	if aerr != nil {
		return nil, aerr
	}
	instID, aerr := c.p.required("InstanceId")
	if aerr != nil {
		return nil, aerr
	}
	kind, aerr := c.p.oneOf("InstanceType", "EcsInstance", "EcsInstance", "NetworkInterface")
	if aerr != nil {
		return nil, aerr
	}
	if e.InstanceID != "" {
		return nil, errEipStatus()
	}
	if kind == "NetworkInterface" {
		eni, ok := rs.ENIs.get(instID)
		if !ok {
			return nil, errNotFound("InvalidNetworkInterfaceId.NotFound", "NetworkInterfaceId")
		}
		if eni.InstanceID != "" {
			instID, kind = eni.InstanceID, "EcsInstance"
		} else {
			e.InstanceID, e.InstanceType = eni.ID, kind
			return obj{"RequestId": c.id}, nil
		}
	}
	in, ok := rs.Instances.get(instID)
	if !ok {
		return nil, errNotFound("InvalidInstanceId.NotFound", "InstanceId")
	}
	if st := in.status(c.now); st != statusRunning && st != statusStopped {
		return nil, errIncorrectStatus()
	}
	if in.EipID != "" {
		return nil, errf(http.StatusBadRequest, "InvalidAssociation.Duplicated", "The instance is already associated with an EIP.")
	}
	if in.PublicIP != "" {
		return nil, errf(http.StatusBadRequest, "InvalidParams.EcsHasPublicIp", "The ECS instance already has a public IP address.")
	}
	e.InstanceID, e.InstanceType = in.ID, "EcsInstance"
	in.EipID = e.ID
	return obj{"RequestId": c.id}, nil
}

func vpcUnassociateEipAddress(c *call) (any, *apiError) {
	_, rs, aerr := c.lookupRegion()
	if aerr != nil {
		return nil, aerr
	}
	e, aerr := c.findEIP(rs)
	if aerr != nil {
		return nil, aerr
	}
	instID, aerr := c.p.required("InstanceId")
	if aerr != nil {
		return nil, aerr
	}
	if e.InstanceID == "" {
		return nil, errEipStatus()
	}
	if e.InstanceID != instID {
		return nil, errf(http.StatusBadRequest, "InvalidInstanceId.NotFound", "The EIP is not associated with the specified instance.")
	}
	if in, ok := rs.Instances.get(e.InstanceID); ok {
		in.EipID = ""
	}
	e.InstanceID, e.InstanceType = "", ""
	return obj{"RequestId": c.id}, nil
}

func vpcReleaseEipAddress(c *call) (any, *apiError) {
	_, rs, aerr := c.lookupRegion()
	if aerr != nil {
		return nil, aerr
	}
	e, aerr := c.findEIP(rs)
	if aerr != nil {
		return nil, aerr
	}
	if e.InstanceID != "" {
		return nil, errEipStatus()
	}
	if n := len(e.Spans); n > 0 && e.Spans[n-1].End.IsZero() {
		e.Spans[n-1].End = c.now
		c.acct.stopBilling(c.now, e.Spans[n-1].HourlyMicro)
	}
	c.s.st.releasePublicIP(e.IP)
	c.acct.RetiredEIPs = append(c.acct.RetiredEIPs, e)
	rs.EIPs.remove(e.ID)
	return obj{"RequestId": c.id}, nil
}

func eipOutFull(c *call, rs *regionState, e *EIP) obj {
	status, vpc, priv := "Available", "", ""
	if e.InstanceID != "" {
		status = "InUse"
		if in, ok := rs.Instances.get(e.InstanceID); ok {
			vpc, priv = in.VpcID, in.PrivateIP
		}
	}
	return obj{
		"AllocationId": e.ID, "IpAddress": e.IP, "Status": status, "Bandwidth": strconv.Itoa(e.Bandwidth),
		"EipBandwidth": strconv.Itoa(e.Bandwidth), "InternetChargeType": e.InternetChargeType, "ChargeType": postPaid,
		"InstanceId": e.InstanceID, "InstanceType": e.InstanceType, "InstanceRegionId": e.Region, "RegionId": e.Region,
		"AllocationTime": fmtTime(e.Created, ecsTimeSecond), "ExpiredTime": "", "Name": e.Name, "Description": e.Description,
		"ISP": e.ISP, "Netmode": "public", "Mode": "NAT", "PrivateIpAddress": priv, "VpcId": vpc, "Zone": "",
		"OperationLocks": obj{"LockReason": []obj{}}, "Tags": vpcTags(e.Tags), "ResourceGroupId": "",
		"DeletionProtection": false, "SecondLimited": false, "HDMonitorStatus": "OFF", "BandwidthPackageId": "",
		"BandwidthPackageBandwidth": "", "BandwidthPackageType": "", "BizType": "", "BusinessStatus": "Normal",
		"HasReservationData": "false", "SecurityProtectionTypes": obj{"SecurityProtectionType": []string{}},
		"ServiceManaged": 0, "PublicIpAddressPoolId": "", "SegmentInstanceId": "",
	}
}

func vpcDescribeEipAddresses(c *call) (any, *apiError) {
	_, rs, aerr := c.lookupRegion()
	if aerr != nil {
		return nil, aerr
	}
	ids, aerr := c.p.commaList("AllocationId", 50)
	if aerr != nil {
		return nil, aerr
	}
	addrs, aerr := c.p.commaList("EipAddress", 50)
	if aerr != nil {
		return nil, aerr
	}
	status, aerr := c.p.oneOf("Status", "", "Associating", "Unassociating", "InUse", "Available", "Releasing")
	if aerr != nil {
		return nil, aerr
	}
	tags, aerr := c.p.tags("Tag")
	if aerr != nil {
		return nil, aerr
	}
	inst, itype, name := c.p.str("AssociatedInstanceId"), c.p.str("AssociatedInstanceType"), c.p.str("EipName")
	var keep func(*EIP) bool
	if len(ids)+len(addrs)+len(tags) > 0 || status+inst+itype+name != "" {
		keep = func(e *EIP) bool {
			st := "Available"
			if e.InstanceID != "" {
				st = "InUse"
			}
			return (len(ids) == 0 || contains(ids, e.ID)) && (len(addrs) == 0 || contains(addrs, e.IP)) &&
				(status == "" || st == status) && (inst == "" || e.InstanceID == inst) &&
				(itype == "" || e.InstanceType == itype) && (name == "" || e.Name == name) && tagsMatch(e.Tags, tags)
		}
	}
	page, size, aerr := c.p.paging(10, 100)
	if aerr != nil {
		return nil, aerr
	}
	items, total := pageOf(rs.EIPs.order, keep, page, size)
	out := make([]obj, 0, len(items))
	for _, e := range items {
		out = append(out, eipOutFull(c, rs, e))
	}
	return obj{"RequestId": c.id, "TotalCount": total, "PageNumber": page, "PageSize": size, "EipAddresses": obj{"EipAddress": out}}, nil
}
