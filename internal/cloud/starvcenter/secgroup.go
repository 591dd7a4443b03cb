package starvcenter

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/skyfold/skyfold/internal/cloud"
)

// StarVCenter security groups belong to the tenant, not to a network, and
// are bound to VM NICs. The driver records the VPC a group was created for
// in its description and reports it as the group's VPC; a group made
// elsewhere has no VPC and is listed under every VPC.
//
// Rules only allow traffic and have no priority: an ingress rule allows
// its CIDR as source (aclrule.srcip), an egress rule allows its CIDR as
// target (aclrule.target). Ports map "22/22" to "22", "80/83" to "80:83"
// and "-1/-1" to "" (all); protocol "all" maps to "" (any).

func (r *Region) groupFrom(rec record) cloud.SecurityGroup {
	text, m := decodeDesc(rec.str("securitygroup.desc"))
	g := cloud.SecurityGroup{Meta: r.meta("security_group", rec.str("securitygroup.id"), rec.str("securitygroup.name"),
		cloud.StatusRunning, "available"), VPCID: m.VPC, Description: text}
	g.ZoneID = ""
	g.CreatedAt = rec.time(r.p.loc, "securitygroup.createtime")
	return g
}

// findGroup reads one security group.
func (r *Region) findGroup(ctx context.Context, op, id string) (record, error) {
	id = strings.TrimSpace(id)
	if id != "" {
		rows, err := r.p.searchAll(ctx, op, "cloudsegroup/search", params{"securitygroup.id": id})
		if err != nil {
			return nil, err
		}
		for _, rec := range rows {
			if rec.str("securitygroup.id") == id {
				return rec, nil
			}
		}
	}
	return nil, cloud.Errorf(cloud.ErrNotFound, providerName, op, "security group %q not found", id)
}

// CreateSecurityGroup creates a group; with a client token it first looks
// for a group of the same name carrying the token's digest.
func (r *Region) CreateSecurityGroup(ctx context.Context, spec cloud.SecurityGroupSpec) (cloud.SecurityGroup, error) {
	const op = "CreateSecurityGroup"
	if spec.VPCID != "" {
		if _, err := r.findVPC(ctx, op, spec.VPCID); err != nil {
			return cloud.SecurityGroup{}, err
		}
	}
	m := descMeta{Token: tokenHash(spec.ClientToken), VPC: strings.TrimSpace(spec.VPCID)}
	name := strings.TrimSpace(spec.Name)
	if name == "" {
		name = "sg"
		if m.Token != "" {
			name += "-" + m.Token
		}
	}
	if m.Token != "" {
		rows, err := r.p.searchAll(ctx, op, "cloudsegroup/search", params{"securitygroup.name": name})
		if err != nil {
			return cloud.SecurityGroup{}, err
		}
		for _, rec := range rows {
			if _, have := decodeDesc(rec.str("securitygroup.desc")); rec.str("securitygroup.name") == name && have.Token == m.Token {
				return r.groupFrom(rec), nil
			}
		}
	}
	prm := params{"securitygroup.name": name, "securitygroup.desc": encodeDesc(spec.Description, m)}
	if r.p.tenantID != "" {
		prm["securitygroup.appid"] = r.p.tenantID
	}
	env, err := r.p.t.call(ctx, op, http.MethodPost, "cloudsegroup/create", prm)
	if err != nil {
		return cloud.SecurityGroup{}, err
	}
	rec, err := decodeRecord(env.Data)
	if err != nil {
		return cloud.SecurityGroup{}, malformed(op, err)
	}
	id := rec.str("securitygroup.id")
	if id == "" {
		return cloud.SecurityGroup{}, malformed(op, errors.New("cloudsegroup/create answered no securitygroup.id"))
	}
	g := cloud.SecurityGroup{Meta: r.meta("security_group", id, name, cloud.StatusRunning, "available"),
		VPCID: m.VPC, Description: strings.TrimSpace(spec.Description)}
	g.ZoneID = ""
	return g, nil
}

// DeleteSecurityGroup deletes a group; one still bound to NICs is refused
// (ErrConflict).
func (r *Region) DeleteSecurityGroup(ctx context.Context, id string) error {
	const op = "DeleteSecurityGroup"
	if strings.TrimSpace(id) == "" {
		return cloud.Errorf(cloud.ErrNotFound, providerName, op, "security group id is required")
	}
	_, err := r.p.t.call(ctx, op, http.MethodDelete, "cloudsegroup/"+pathID(id), nil)
	return err
}

// GetSecurityGroup returns a group with its rules.
func (r *Region) GetSecurityGroup(ctx context.Context, id string) (cloud.SecurityGroup, error) {
	const op = "GetSecurityGroup"
	rec, err := r.findGroup(ctx, op, id)
	if err != nil {
		return cloud.SecurityGroup{}, err
	}
	g := r.groupFrom(rec)
	rules, err := r.groupRules(ctx, op, g.ID)
	if err != nil {
		return cloud.SecurityGroup{}, err
	}
	for _, rr := range rules {
		g.Rules = append(g.Rules, rr.rule)
	}
	return g, nil
}

// ListSecurityGroups lists groups (without rules).
func (r *Region) ListSecurityGroups(ctx context.Context, q cloud.SecurityGroupQuery, page cloud.PageRequest) (cloud.Page[cloud.SecurityGroup], error) {
	const op = "ListSecurityGroups"
	offset, size, err := pageWindow(op, page)
	if err != nil {
		return cloud.Page[cloud.SecurityGroup]{}, err
	}
	rows, err := r.p.searchAll(ctx, op, "cloudsegroup/search", params{})
	if err != nil {
		return cloud.Page[cloud.SecurityGroup]{}, err
	}
	var out []cloud.SecurityGroup
	for _, rec := range rows {
		g := r.groupFrom(rec)
		if g.ID == "" || (len(q.IDs) > 0 && !slices.Contains(q.IDs, g.ID)) {
			continue
		}
		if q.VPCID != "" && g.VPCID != "" && g.VPCID != q.VPCID {
			continue
		}
		out = append(out, g)
	}
	return pageOf(out, offset, size), nil
}

// ruleRec is a rule with its StarVCenter id.
type ruleRec struct {
	id   string
	rule cloud.SecurityGroupRule
}

func (r *Region) groupRules(ctx context.Context, op, groupID string) ([]ruleRec, error) {
	rows, err := r.p.searchAll(ctx, op, "cloudsegroup/rule/search", params{"aclrule.securitygroupid": groupID})
	if err != nil {
		return nil, err
	}
	var out []ruleRec
	for _, rec := range rows {
		if g := rec.str("aclrule_securitygroupid", "aclrule.securitygroupid"); g != "" && g != groupID {
			continue
		}
		id := rec.str("aclrule_id", "aclrule.id")
		if id == "" {
			continue
		}
		out = append(out, ruleRec{id: id, rule: ruleFrom(rec)})
	}
	return out, nil
}

// ruleFrom reads a StarVCenter rule.
func ruleFrom(rec record) cloud.SecurityGroupRule {
	dir := strings.ToLower(rec.str("aclrule_direction", "aclrule.direction"))
	rule := cloud.SecurityGroupRule{Direction: cloud.Ingress, Action: "accept", Priority: 1,
		Protocol:  strings.ToLower(rec.str("aclrule_protocal", "aclrule.protocal")),
		PortRange: portRangeFrom(rec.str("aclrule_vmport", "aclrule.vmport"))}
	cidr := rec.str("aclrule_srcip", "aclrule.srcip")
	if dir == "out" {
		rule.Direction = cloud.Egress
		cidr = rec.str("aclrule_target", "aclrule.target")
	}
	if rule.Protocol == "" {
		rule.Protocol = "all"
	}
	if cidr == "" {
		cidr = "0.0.0.0/0"
	}
	rule.CIDR = cidr
	return rule
}

// portRangeFrom turns a StarVCenter port list ("22", "80:83", "80,443", "")
// into the SPI's "from/to" form, items joined by ",".
func portRangeFrom(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return "-1/-1"
	}
	var out []string
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if a, b, ok := strings.Cut(part, ":"); ok {
			out = append(out, strings.TrimSpace(a)+"/"+strings.TrimSpace(b))
		} else if a, b, ok := strings.Cut(part, "-"); ok && a != "" {
			out = append(out, strings.TrimSpace(a)+"/"+strings.TrimSpace(b))
		} else {
			out = append(out, part+"/"+part)
		}
	}
	if len(out) == 0 {
		return "-1/-1"
	}
	return strings.Join(out, ",")
}

// portsFor turns the SPI's "from/to" (items joined by ",") into a
// StarVCenter port list.
func portsFor(portRange string) (string, error) {
	portRange = strings.TrimSpace(portRange)
	if portRange == "" || portRange == "-1/-1" || portRange == "-1" {
		return "", nil
	}
	var out []string
	for _, part := range strings.Split(portRange, ",") {
		a, b, ok := strings.Cut(strings.TrimSpace(part), "/")
		if !ok {
			b = a
		}
		lo, err1 := strconv.Atoi(strings.TrimSpace(a))
		hi, err2 := strconv.Atoi(strings.TrimSpace(b))
		if err1 != nil || err2 != nil || lo < 1 || hi > 65535 || lo > hi {
			return "", fmt.Errorf("port range %q: want from/to within 1..65535, or -1/-1", portRange)
		}
		if lo == hi {
			out = append(out, strconv.Itoa(lo))
		} else {
			out = append(out, strconv.Itoa(lo)+":"+strconv.Itoa(hi))
		}
	}
	return strings.Join(out, ","), nil
}

// ruleParams builds the rule/add parameters of an SPI rule.
func ruleParams(op, groupID string, rule cloud.SecurityGroupRule) (params, error) {
	bad := func(format string, args ...any) (params, error) {
		return nil, cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, format, args...)
	}
	if a := strings.ToLower(rule.Action); a != "" && a != "accept" && a != "allow" {
		return bad("action %q: StarVCenter security group rules only allow traffic", rule.Action)
	}
	proto := strings.ToLower(strings.TrimSpace(rule.Protocol))
	switch proto {
	case "all", "", "-1":
		proto = ""
	case "tcp", "udp", "icmp":
	default:
		return bad("protocol %q: want tcp, udp, icmp or all", rule.Protocol)
	}
	ports, err := portsFor(rule.PortRange)
	if err != nil {
		return bad("%v", err)
	}
	if proto == "icmp" || proto == "" {
		ports = ""
	}
	cidr := strings.TrimSpace(rule.CIDR)
	if cidr != "" {
		if _, err := netip.ParsePrefix(cidr); err != nil {
			if _, err := netip.ParseAddr(cidr); err != nil {
				return bad("CIDR %q is neither an address nor a prefix", rule.CIDR)
			}
		}
	}
	prm := params{"aclrule.securitygroupid": groupID, "aclrule.vmport": ports, "aclrule.protocal": proto}
	switch rule.Direction {
	case cloud.Ingress:
		prm["aclrule.direction"], prm["aclrule.srcip"] = "in", cidr
	case cloud.Egress:
		prm["aclrule.direction"], prm["aclrule.target"] = "out", cidr
	default:
		return bad("direction %q: want ingress or egress", rule.Direction)
	}
	return prm, nil
}

// normRule is the form a rule takes after a round trip through StarVCenter,
// so rules compare by Key the way they will be read back.
func normRule(rule cloud.SecurityGroupRule) cloud.SecurityGroupRule {
	out := rule
	out.Action = "accept"
	out.Protocol = strings.ToLower(strings.TrimSpace(rule.Protocol))
	if out.Protocol == "" || out.Protocol == "-1" {
		out.Protocol = "all"
	}
	ports, err := portsFor(rule.PortRange)
	if err == nil {
		if out.Protocol == "icmp" || out.Protocol == "all" {
			ports = ""
		}
		out.PortRange = portRangeFrom(ports)
	}
	if strings.TrimSpace(out.CIDR) == "" {
		out.CIDR = "0.0.0.0/0"
	}
	return out
}

// AuthorizeRules adds rules; a rule the group already has is left as is.
func (r *Region) AuthorizeRules(ctx context.Context, groupID string, rules []cloud.SecurityGroupRule) error {
	const op = "AuthorizeRules"
	var prms []params
	for _, rule := range rules {
		prm, err := ruleParams(op, groupID, rule)
		if err != nil {
			return err
		}
		prms = append(prms, prm)
	}
	have, err := r.groupRules(ctx, op, groupID)
	if err != nil {
		return err
	}
	keys := map[string]bool{}
	for _, h := range have {
		keys[h.rule.Key()] = true
	}
	for i, rule := range rules {
		k := normRule(rule).Key()
		if keys[k] {
			continue
		}
		if _, err := r.p.t.call(ctx, op, http.MethodPost, "cloudsegroup/rule/add", prms[i]); err != nil {
			return err
		}
		keys[k] = true
	}
	return nil
}

// RevokeRules deletes the group's rules equal to the given ones; rules it
// does not have are ignored.
func (r *Region) RevokeRules(ctx context.Context, groupID string, rules []cloud.SecurityGroupRule) error {
	const op = "RevokeRules"
	have, err := r.groupRules(ctx, op, groupID)
	if err != nil {
		return err
	}
	drop := map[string]bool{}
	for _, rule := range rules {
		drop[normRule(rule).Key()] = true
	}
	for _, h := range have {
		if !drop[h.rule.Key()] {
			continue
		}
		if _, err := r.p.t.call(ctx, op, http.MethodDelete, "cloudsegroup/rule/"+pathID(h.id), nil); err != nil &&
			!errors.Is(err, cloud.ErrNotFound) {
			return err
		}
	}
	return nil
}

// BindSecurityGroup binds a group to NICs (cloudsegroup/vnic/bind).
func (r *Region) BindSecurityGroup(ctx context.Context, groupID string, nicIDs []string) error {
	return r.bindGroup(ctx, "BindSecurityGroup", "cloudsegroup/vnic/bind", groupID, nicIDs)
}

// UnbindSecurityGroup unbinds a group from NICs (cloudsegroup/vnic/unbind).
func (r *Region) UnbindSecurityGroup(ctx context.Context, groupID string, nicIDs []string) error {
	return r.bindGroup(ctx, "UnbindSecurityGroup", "cloudsegroup/vnic/unbind", groupID, nicIDs)
}

func (r *Region) bindGroup(ctx context.Context, op, path, groupID string, nicIDs []string) error {
	nicIDs = dedupIDs(nicIDs)
	if strings.TrimSpace(groupID) == "" || len(nicIDs) == 0 {
		return cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "a security group and at least one NIC are required")
	}
	_, err := r.p.t.call(ctx, op, http.MethodPost, path, params{"securitygroup.id": groupID, "vnic.id": strings.Join(nicIDs, ",")})
	return err
}

// BoundNICs lists the NICs a group is bound to.
func (r *Region) BoundNICs(ctx context.Context, groupID string) ([]NIC, error) {
	rows, err := r.p.searchAll(ctx, "BoundNICs", "cloudsegroup/vnic/search", params{"securitygroup.id": groupID})
	if err != nil {
		return nil, err
	}
	out := make([]NIC, 0, len(rows))
	for _, rec := range rows {
		if n := parseNIC(rec, r.p.loc); n.ID != "" {
			out = append(out, n)
		}
	}
	return out, nil
}
