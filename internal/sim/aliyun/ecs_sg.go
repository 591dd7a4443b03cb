package aliyunsim

import (
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ECS security groups and their rules.

// validName checks Aliyun's naming rule: 2–128 characters, starting with a
// letter or a Chinese character, not a URL.
func validName(s string) bool {
	n := utf8.RuneCountInString(s)
	if n < 2 || n > 128 {
		return false
	}
	if strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s)
	if !unicode.IsLetter(r) {
		return false
	}
	for _, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(".:_-[], ", r)) {
			return false
		}
	}
	return true
}

func validDescription(s string) bool {
	n := utf8.RuneCountInString(s)
	return n <= 256 && !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://")
}

func (c *call) optName(param, code string) (string, *apiError) {
	v := c.p.str(param)
	if v != "" && !validName(v) {
		return "", errf(http.StatusBadRequest, code, "The specified parameter %q is not valid.", param)
	}
	return v, nil
}

func (c *call) optDescription() (string, *apiError) {
	v := c.p.str("Description")
	if !validDescription(v) {
		return "", errf(http.StatusBadRequest, "InvalidDescription.Malformed", "The specified parameter \"Description\" is not valid.")
	}
	return v, nil
}

func sgNotFound() *apiError {
	return errNotFound("InvalidSecurityGroupId.NotFound", "SecurityGroupId")
}

func ecsCreateSecurityGroup(c *call) (any, *apiError) {
	rid, rs, aerr := c.lookupRegion()
	if aerr != nil {
		return nil, aerr
	}
	vpcID, aerr := c.p.required("VpcId")
	if aerr != nil {
		return nil, aerr
	}
	if _, ok := rs.VPCs.get(vpcID); !ok {
		return nil, errNotFound("InvalidVpcId.NotFound", "VpcId")
	}
	name, aerr := c.optName("SecurityGroupName", "InvalidSecurityGroupName.Malformed")
	if aerr != nil {
		return nil, aerr
	}
	desc, aerr := c.optDescription()
	if aerr != nil {
		return nil, aerr
	}
	kind, aerr := c.p.oneOf("SecurityGroupType", "normal", "normal", "enterprise")
	if aerr != nil {
		return nil, aerr
	}
	tags, aerr := c.p.tags("Tag")
	if aerr != nil {
		return nil, aerr
	}
	if rec, aerr := c.idempotent("CreateSecurityGroup"); aerr != nil || rec != nil {
		if aerr != nil {
			return nil, aerr
		}
		return obj{"RequestId": c.id, "SecurityGroupId": rec.IDs[0]}, nil
	}
	sg := &SecurityGroup{Meta: c.s.st.meta("sg-", rid, c.now, tags), VpcID: vpcID, Name: name, Description: desc, Kind: kind}
	rs.SGs.put(sg)
	c.remember("CreateSecurityGroup", []string{sg.ID}, "", 0)
	return obj{"RequestId": c.id, "SecurityGroupId": sg.ID}, nil
}

func ecsDeleteSecurityGroup(c *call) (any, *apiError) {
	_, rs, aerr := c.lookupRegion()
	if aerr != nil {
		return nil, aerr
	}
	id, aerr := c.p.required("SecurityGroupId")
	if aerr != nil {
		return nil, aerr
	}
	sg, ok := rs.SGs.get(id)
	if !ok {
		return nil, sgNotFound()
	}
	if sg.Members > 0 {
		return nil, errf(http.StatusForbidden, "DependencyViolation", "There is still instance(s) in the specified security group.")
	}
	for _, other := range rs.SGs.order {
		if other.ID == id {
			continue
		}
		for _, r := range other.Rules {
			if r.SourceGroupId == id || r.DestGroupId == id {
				return nil, errf(http.StatusForbidden, "DependencyViolation", "The specified security group has been authorized in another security group.")
			}
		}
	}
	rs.SGs.remove(id)
	return obj{"RequestId": c.id}, nil
}

func sgOut(sg *SecurityGroup) obj {
	return obj{
		"SecurityGroupId": sg.ID, "SecurityGroupName": sg.Name, "Description": sg.Description, "VpcId": sg.VpcID,
		"SecurityGroupType": sg.Kind, "CreationTime": fmtTime(sg.Created, ecsTimeSecond), "EcsCount": sg.Members,
		"AvailableInstanceAmount": max(0, 2000-sg.Members), "RuleCount": len(sg.Rules), "GroupToGroupRuleCount": groupRules(sg),
		"ResourceGroupId": "", "ServiceManaged": false, "Tags": ecsTags(sg.Tags),
	}
}

func groupRules(sg *SecurityGroup) int {
	n := 0
	for _, r := range sg.Rules {
		if r.SourceGroupId != "" || r.DestGroupId != "" {
			n++
		}
	}
	return n
}

func ecsDescribeSecurityGroups(c *call) (any, *apiError) {
	rid, rs, aerr := c.lookupRegion()
	if aerr != nil {
		return nil, aerr
	}
	ids, aerr := c.p.jsonList("SecurityGroupIds", 100)
	if aerr != nil {
		return nil, aerr
	}
	if id := c.p.str("SecurityGroupId"); id != "" {
		ids = append(ids, id)
	}
	vpcID, name := c.p.str("VpcId"), c.p.str("SecurityGroupName")
	kind, aerr := c.p.oneOf("SecurityGroupType", "", "normal", "enterprise")
	if aerr != nil {
		return nil, aerr
	}
	tags, aerr := c.p.tags("Tag")
	if aerr != nil {
		return nil, aerr
	}
	fuzzy, aerr := c.p.boolean("FuzzyQuery")
	if aerr != nil {
		return nil, aerr
	}
	var keep func(*SecurityGroup) bool
	if len(ids) > 0 || vpcID != "" || name != "" || kind != "" || len(tags) > 0 {
		keep = func(sg *SecurityGroup) bool {
			if len(ids) > 0 && !contains(ids, sg.ID) {
				return false
			}
			if vpcID != "" && sg.VpcID != vpcID {
				return false
			}
			if name != "" && !(sg.Name == name || fuzzy && strings.Contains(sg.Name, name)) {
				return false
			}
			if kind != "" && sg.Kind != kind {
				return false
			}
			return tagsMatch(sg.Tags, tags)
		}
	}
	l, aerr := pageList(c.p, rs.SGs.order, keep, 10, 50, 100)
	if aerr != nil {
		return nil, aerr
	}
	out := make([]obj, 0, len(l.items))
	for _, sg := range l.items {
		out = append(out, sgOut(sg))
	}
	return l.envelope(obj{"RequestId": c.id, "RegionId": rid, "SecurityGroups": obj{"SecurityGroup": out}}), nil
}

func ecsDescribeSecurityGroupAttribute(c *call) (any, *apiError) {
	rid, rs, aerr := c.lookupRegion()
	if aerr != nil {
		return nil, aerr
	}
	id, aerr := c.p.required("SecurityGroupId")
	if aerr != nil {
		return nil, aerr
	}
	sg, ok := rs.SGs.get(id)
	if !ok {
		return nil, sgNotFound()
	}
	dir, aerr := c.p.oneOf("Direction", "all", "all", "ingress", "egress")
	if aerr != nil {
		return nil, aerr
	}
	nic, aerr := c.p.oneOf("NicType", "", "internet", "intranet")
	if aerr != nil {
		return nil, aerr
	}
	perms := []obj{}
	for _, r := range sg.Rules {
		if dir != "all" && r.Direction != dir {
			continue
		}
		if nic != "" && r.NicType != nic {
			continue
		}
		perms = append(perms, obj{
			"SecurityGroupRuleId": r.ID, "Direction": r.Direction, "IpProtocol": r.IpProtocol, "PortRange": r.PortRange,
			"SourceCidrIp": r.SourceCidrIp, "DestCidrIp": r.DestCidrIp, "SourceGroupId": r.SourceGroupId, "DestGroupId": r.DestGroupId,
			"SourceGroupName": groupName(rs, r.SourceGroupId), "DestGroupName": groupName(rs, r.DestGroupId),
			"SourceGroupOwnerAccount": "", "DestGroupOwnerAccount": "", "SourcePortRange": "", "Ipv6SourceCidrIp": "", "Ipv6DestCidrIp": "",
			"SourcePrefixListId": "", "DestPrefixListId": "", "Policy": r.Policy, "Priority": r.Priority, "NicType": r.NicType,
			"Description": r.Description, "CreateTime": fmtTime(r.Created, ecsTimeSecond),
		})
	}
	return obj{"RequestId": c.id, "RegionId": rid, "SecurityGroupId": sg.ID, "SecurityGroupName": sg.Name,
		"Description": sg.Description, "VpcId": sg.VpcID, "InnerAccessPolicy": "Accept",
		"Permissions": obj{"Permission": perms}}, nil
}

func groupName(rs *regionState, id string) string {
	if sg, ok := rs.SGs.get(id); ok {
		return sg.Name
	}
	return ""
}

// parseRules reads Permissions.N.* or, for the legacy form, the flat
// parameters, into validated rules.
func (c *call) parseRules(rs *regionState, dir string, forRevoke bool) ([]Rule, *apiError) {
	objs, aerr := c.p.objects("Permissions", 100)
	if aerr != nil {
		return nil, aerr
	}
	if len(objs) == 0 {
		flat := map[string]string{}
		for _, k := range []string{"IpProtocol", "PortRange", "SourceCidrIp", "DestCidrIp", "SourceGroupId", "DestGroupId", "Policy", "Priority", "NicType", "Description"} {
			if v := c.p.str(k); v != "" {
				flat[k] = v
			}
		}
		if len(flat) > 0 {
			objs = append(objs, flat)
		}
	}
	if len(objs) == 0 {
		if forRevoke {
			return nil, nil
		}
		return nil, errMissing("Permissions.N.IpProtocol")
	}
	var out []Rule
	for _, o := range objs {
		r, aerr := validateRule(rs, dir, o)
		if aerr != nil {
			return nil, aerr
		}
		out = append(out, r)
	}
	return out, nil
}

func validateRule(rs *regionState, dir string, o map[string]string) (Rule, *apiError) {
	r := Rule{Direction: dir}
	proto := strings.ToUpper(o["IpProtocol"])
	switch proto {
	case "TCP", "UDP", "ICMP", "GRE", "ALL", "ICMPV6":
		if proto == "ICMPV6" {
			proto = "ICMPv6"
		}
	case "":
		return r, errMissing("IpProtocol")
	default:
		return r, errf(http.StatusBadRequest, "InvalidIpProtocol.Malformed", "The specified parameter IpProtocol is not valid.")
	}
	r.IpProtocol = proto
	pr := o["PortRange"]
	if pr == "" {
		if proto == "TCP" || proto == "UDP" {
			return r, errMissing("PortRange")
		}
		pr = "-1/-1"
	}
	lo, hi, ok := strings.Cut(pr, "/")
	a, errA := strconv.Atoi(lo)
	b, errB := strconv.Atoi(hi)
	switch {
	case !ok || errA != nil || errB != nil:
		return r, errf(http.StatusBadRequest, "InvalidPortRange.Malformed", "The specified parameter PortRange is not valid.")
	case proto == "TCP" || proto == "UDP":
		if a < 1 || b > 65535 || a > b {
			return r, errf(http.StatusBadRequest, "InvalidPortRange.Malformed", "The specified parameter PortRange is not valid.")
		}
	default:
		if a != -1 || b != -1 {
			return r, errf(http.StatusBadRequest, "InvalidPortRange.Malformed", "The specified parameter PortRange is not valid.")
		}
	}
	r.PortRange = pr
	cidrOK := func(s string) bool {
		if s == "" {
			return true
		}
		if _, err := netip.ParsePrefix(s); err == nil {
			return true
		}
		_, err := netip.ParseAddr(s)
		return err == nil
	}
	r.SourceCidrIp, r.DestCidrIp = o["SourceCidrIp"], o["DestCidrIp"]
	if !cidrOK(r.SourceCidrIp) {
		return r, errf(http.StatusBadRequest, "InvalidSourceCidrIp.Malformed", "The specified parameter SourceCidrIp is not valid.")
	}
	if !cidrOK(r.DestCidrIp) {
		return r, errf(http.StatusBadRequest, "InvalidDestCidrIp.Malformed", "The specified parameter DestCidrIp is not valid.")
	}
	r.SourceGroupId, r.DestGroupId = o["SourceGroupId"], o["DestGroupId"]
	for _, g := range []string{r.SourceGroupId, r.DestGroupId} {
		if g != "" {
			if _, ok := rs.SGs.get(g); !ok {
				return r, errNotFound("InvalidSecurityGroupId.NotFound", "SourceGroupId or DestGroupId")
			}
		}
	}
	if dir == "ingress" && r.SourceCidrIp == "" && r.SourceGroupId == "" && o["SourcePrefixListId"] == "" {
		return r, errMissing("SourceCidrIp")
	}
	if dir == "egress" && r.DestCidrIp == "" && r.DestGroupId == "" && o["DestPrefixListId"] == "" {
		return r, errMissing("DestCidrIp")
	}
	switch strings.ToLower(o["Policy"]) {
	case "", "accept":
		r.Policy = "Accept"
	case "drop":
		r.Policy = "Drop"
	default:
		return r, errf(http.StatusBadRequest, "InvalidPolicy.Malformed", "The specified parameter Policy is not valid.")
	}
	r.Priority = o["Priority"]
	if r.Priority == "" {
		r.Priority = "1"
	}
	if n, err := strconv.Atoi(r.Priority); err != nil || n < 1 || n > 100 {
		return r, errf(http.StatusBadRequest, "InvalidPriority.Malformed", "The specified parameter Priority is not valid.")
	}
	r.NicType = o["NicType"]
	if r.NicType == "" {
		r.NicType = "intranet"
	}
	if r.NicType != "intranet" && r.NicType != "internet" {
		return r, errf(http.StatusBadRequest, "InvalidNicType.ValueNotSupported", "The specified parameter NicType is not valid.")
	}
	r.Description = o["Description"]
	if !validDescription(r.Description) {
		return r, errf(http.StatusBadRequest, "InvalidDescription.Malformed", "The specified parameter Description is not valid.")
	}
	return r, nil
}

func sameRule(a, b Rule) bool {
	return a.Direction == b.Direction && a.IpProtocol == b.IpProtocol && a.PortRange == b.PortRange &&
		a.SourceCidrIp == b.SourceCidrIp && a.DestCidrIp == b.DestCidrIp && a.SourceGroupId == b.SourceGroupId &&
		a.DestGroupId == b.DestGroupId && a.Policy == b.Policy && a.NicType == b.NicType
}

const maxRulesPerGroup = 200

func ecsAuthorize(dir string) func(*call) (any, *apiError) {
	return func(c *call) (any, *apiError) {
		rid, rs, aerr := c.lookupRegion()
		if aerr != nil {
			return nil, aerr
		}
		id, aerr := c.p.required("SecurityGroupId")
		if aerr != nil {
			return nil, aerr
		}
		sg, ok := rs.SGs.get(id)
		if !ok {
			return nil, sgNotFound()
		}
		rules, aerr := c.parseRules(rs, dir, false)
		if aerr != nil {
			return nil, aerr
		}
		var added []Rule
	next:
		for _, r := range rules {
			for _, have := range append(sg.Rules, added...) {
				if sameRule(have, r) {
					continue next
				}
			}
			r.ID = c.s.st.newID("sgr-", rid, 17)
			r.Created = c.now
			added = append(added, r)
		}
		if len(sg.Rules)+len(added) > maxRulesPerGroup {
			return nil, errf(http.StatusForbidden, "AuthorizationLimitExceed", "The limit of authorization records in the security group reaches the maximum (%d).", maxRulesPerGroup)
		}
		sg.Rules = append(sg.Rules, added...)
		return obj{"RequestId": c.id}, nil
	}
}

func ecsRevoke(dir string) func(*call) (any, *apiError) {
	return func(c *call) (any, *apiError) {
		_, rs, aerr := c.lookupRegion()
		if aerr != nil {
			return nil, aerr
		}
		id, aerr := c.p.required("SecurityGroupId")
		if aerr != nil {
			return nil, aerr
		}
		sg, ok := rs.SGs.get(id)
		if !ok {
			return nil, sgNotFound()
		}
		ruleIDs, aerr := c.p.list("SecurityGroupRuleId", 100)
		if aerr != nil {
			return nil, aerr
		}
		rules, aerr := c.parseRules(rs, dir, true)
		if aerr != nil {
			return nil, aerr
		}
		if len(ruleIDs) == 0 && len(rules) == 0 {
			return nil, errMissing("Permissions.N.IpProtocol")
		}
		kept := sg.Rules[:0]
		for _, have := range sg.Rules {
			drop := have.Direction == dir && contains(ruleIDs, have.ID)
			for _, r := range rules {
				if sameRule(have, r) {
					drop = true
				}
			}
			if !drop {
				kept = append(kept, have)
			}
		}
		sg.Rules = kept
		return obj{"RequestId": c.id}, nil
	}
}
