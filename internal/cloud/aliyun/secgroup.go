package aliyun

import (
	"context"
	"errors"
	"strconv"
	"strings"

	ecs "github.com/alibabacloud-go/ecs-20140526/v7/client"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/skyfold/skyfold/internal/cloud"
)

// CreateSecurityGroup calls ECS CreateSecurityGroup and reads the group back.
func (r *Region) CreateSecurityGroup(ctx context.Context, spec cloud.SecurityGroupSpec) (cloud.SecurityGroup, error) {
	const op = "ecs.CreateSecurityGroup"
	if spec.VPCID == "" {
		return cloud.SecurityGroup{}, cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "VPCID is required")
	}
	c, err := r.ecs(ctx)
	if err != nil {
		return cloud.SecurityGroup{}, err
	}
	req := &ecs.CreateSecurityGroupRequest{RegionId: dara.String(r.id), VpcId: dara.String(spec.VPCID),
		SecurityGroupName: strPtr(spec.Name), Description: strPtr(spec.Description), ClientToken: strPtr(spec.ClientToken)}
	resp, err := invoke(ctx, op, func(ctx context.Context) (*ecs.CreateSecurityGroupResponse, error) {
		return c.CreateSecurityGroupWithContext(ctx, req, r.p.runtime())
	})
	if err != nil {
		return cloud.SecurityGroup{}, err
	}
	if resp == nil || resp.Body == nil || dara.StringValue(resp.Body.SecurityGroupId) == "" {
		return cloud.SecurityGroup{}, missingField(op, "SecurityGroupId", "")
	}
	id := dara.StringValue(resp.Body.SecurityGroupId)
	if sg, err := r.GetSecurityGroup(ctx, id); err == nil {
		return sg, nil
	}
	return cloud.SecurityGroup{Meta: r.meta(ctx, "secgroup", id, spec.Name, "", "Available", cloud.StatusRunning, nil, ""),
		VPCID: spec.VPCID, Description: spec.Description}, nil
}

// DeleteSecurityGroup calls ECS DeleteSecurityGroup.
func (r *Region) DeleteSecurityGroup(ctx context.Context, id string) error {
	c, err := r.ecs(ctx)
	if err != nil {
		return err
	}
	_, err = invoke(ctx, "ecs.DeleteSecurityGroup", func(ctx context.Context) (*ecs.DeleteSecurityGroupResponse, error) {
		return c.DeleteSecurityGroupWithContext(ctx, &ecs.DeleteSecurityGroupRequest{RegionId: dara.String(r.id), SecurityGroupId: dara.String(id)}, r.p.runtime())
	})
	return err
}

// GetSecurityGroup calls ECS DescribeSecurityGroupAttribute for the rules of
// both directions.
func (r *Region) GetSecurityGroup(ctx context.Context, id string) (cloud.SecurityGroup, error) {
	const op = "ecs.DescribeSecurityGroupAttribute"
	if strings.TrimSpace(id) == "" {
		return cloud.SecurityGroup{}, cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "security group id is required")
	}
	c, err := r.ecs(ctx)
	if err != nil {
		return cloud.SecurityGroup{}, err
	}
	sg := cloud.SecurityGroup{}
	token := ""
	for range 100 {
		req := &ecs.DescribeSecurityGroupAttributeRequest{RegionId: dara.String(r.id), SecurityGroupId: dara.String(id), Direction: dara.String("all")}
		if token != "" {
			req.NextToken = dara.String(token)
		}
		resp, err := invoke(ctx, op, func(ctx context.Context) (*ecs.DescribeSecurityGroupAttributeResponse, error) {
			return c.DescribeSecurityGroupAttributeWithContext(ctx, req, r.p.runtime())
		})
		if err != nil {
			return cloud.SecurityGroup{}, err
		}
		if resp == nil || resp.Body == nil {
			return cloud.SecurityGroup{}, missingField(op, "body", "")
		}
		b := resp.Body
		if token == "" {
			gid := firstNonEmpty(dara.StringValue(b.SecurityGroupId), id)
			sg.Meta = r.meta(ctx, "secgroup", gid, dara.StringValue(b.SecurityGroupName), "", "Available", cloud.StatusRunning, nil, "")
			sg.VPCID = dara.StringValue(b.VpcId)
			sg.Description = dara.StringValue(b.Description)
		}
		if b.Permissions != nil {
			for _, pm := range b.Permissions.Permission {
				if pm == nil {
					continue
				}
				sg.Rules = append(sg.Rules, permissionRule(pm))
			}
		}
		next := dara.StringValue(b.NextToken)
		if next == "" || next == token {
			break
		}
		token = next
	}
	return sg, nil
}

func permissionRule(pm *ecs.DescribeSecurityGroupAttributeResponseBodyPermissionsPermission) cloud.SecurityGroupRule {
	dir := cloud.Ingress
	cidr := dara.StringValue(pm.SourceCidrIp)
	if strings.EqualFold(dara.StringValue(pm.Direction), "egress") {
		dir = cloud.Egress
		cidr = dara.StringValue(pm.DestCidrIp)
	}
	prio, _ := strconv.Atoi(strings.TrimSpace(dara.StringValue(pm.Priority)))
	return cloud.SecurityGroupRule{
		Direction: dir, Protocol: strings.ToLower(dara.StringValue(pm.IpProtocol)), PortRange: dara.StringValue(pm.PortRange),
		CIDR: cidr, Action: strings.ToLower(firstNonEmpty(dara.StringValue(pm.Policy), "accept")), Priority: prio,
		Description: dara.StringValue(pm.Description),
	}
}

// ListSecurityGroups returns one page with ECS DescribeSecurityGroups.
func (r *Region) ListSecurityGroups(ctx context.Context, q cloud.SecurityGroupQuery, page cloud.PageRequest) (cloud.Page[cloud.SecurityGroup], error) {
	const op = "ecs.DescribeSecurityGroups"
	out := cloud.Page[cloud.SecurityGroup]{Total: -1}
	num, err := pageNumber(op, page.Token)
	if err != nil {
		return out, err
	}
	c, err := r.ecs(ctx)
	if err != nil {
		return out, err
	}
	size := r.pageSize(page, 50)
	req := &ecs.DescribeSecurityGroupsRequest{RegionId: dara.String(r.id), PageNumber: dara.Int32(int32(num)), PageSize: dara.Int32(int32(size)),
		VpcId: strPtr(q.VPCID)}
	if ids := nonEmpty(q.IDs); len(ids) > 0 {
		req.SecurityGroupIds = dara.String(jsonList(ids))
	}
	resp, err := invoke(ctx, op, func(ctx context.Context) (*ecs.DescribeSecurityGroupsResponse, error) {
		return c.DescribeSecurityGroupsWithContext(ctx, req, r.p.runtime())
	})
	if err != nil || resp == nil || resp.Body == nil {
		return out, err
	}
	if resp.Body.SecurityGroups != nil {
		for _, g := range resp.Body.SecurityGroups.SecurityGroup {
			if g == nil || dara.StringValue(g.SecurityGroupId) == "" {
				continue
			}
			var tags map[string]string
			if g.Tags != nil {
				for _, t := range g.Tags.Tag {
					if t != nil && dara.StringValue(t.TagKey) != "" {
						tags = setTag(tags, dara.StringValue(t.TagKey), dara.StringValue(t.TagValue))
					}
				}
			}
			out.Items = append(out.Items, cloud.SecurityGroup{
				Meta: r.meta(ctx, "secgroup", dara.StringValue(g.SecurityGroupId), dara.StringValue(g.SecurityGroupName), "",
					"Available", cloud.StatusRunning, tags, dara.StringValue(g.CreationTime)),
				VPCID: dara.StringValue(g.VpcId), Description: dara.StringValue(g.Description),
			})
		}
	}
	out.Total = int(dara.Int32Value(resp.Body.TotalCount))
	out.NextToken, out.Rest = pageLinks(num, size, out.Total, len(out.Items))
	return out, nil
}

// ruleArgs validates a rule and renders Aliyun's protocol, port range,
// policy and priority for it.
func ruleArgs(op string, rule cloud.SecurityGroupRule) (proto, ports, policy, prio string, err error) {
	proto = strings.ToUpper(strings.TrimSpace(rule.Protocol))
	switch proto {
	case "TCP", "UDP":
		ports = rule.PortRange
		if ports == "" {
			return "", "", "", "", cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "port range is required for %s", proto)
		}
	case "ICMP", "ALL", "GRE", "ICMPV6":
		ports = firstNonEmpty(rule.PortRange, "-1/-1")
	default:
		return "", "", "", "", cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "unknown protocol %q", rule.Protocol)
	}
	switch strings.ToLower(rule.Action) {
	case "", "accept":
		policy = "accept"
	case "drop":
		policy = "drop"
	default:
		return "", "", "", "", cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "unknown action %q", rule.Action)
	}
	p := rule.Priority
	if p == 0 {
		p = 1
	}
	if rule.CIDR == "" {
		return "", "", "", "", cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "CIDR is required")
	}
	return proto, ports, policy, strconv.Itoa(p), nil
}

// isDuplicateRule reports Aliyun's "rule already exists" answers.
func isDuplicateRule(err error) bool {
	var ce *cloud.Error
	return errors.As(err, &ce) && strings.Contains(strings.ToLower(ce.Code), "duplicate")
}

// isMissingRule reports Aliyun's "no such rule" answers (not a missing group).
func isMissingRule(err error) bool {
	var ce *cloud.Error
	if !errors.As(err, &ce) {
		return false
	}
	lc := strings.ToLower(ce.Code)
	return strings.Contains(lc, "permission") && strings.Contains(lc, "notfound") || strings.Contains(lc, "rule.notfound")
}

// AuthorizeRules adds rules one by one; a rule already present is skipped
// (checked first, and Aliyun's duplicate answer is accepted too).
func (r *Region) AuthorizeRules(ctx context.Context, groupID string, rules []cloud.SecurityGroupRule) error {
	c, err := r.ecs(ctx)
	if err != nil {
		return err
	}
	sg, err := r.GetSecurityGroup(ctx, groupID)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, ru := range sg.Rules {
		have[ru.Key()] = true
	}
	for _, rule := range rules {
		if have[rule.Key()] {
			continue
		}
		if err := r.changeRule(ctx, c, groupID, rule, true); err != nil {
			if isDuplicateRule(err) {
				continue
			}
			return err
		}
		have[rule.Key()] = true
	}
	return nil
}

// RevokeRules removes rules one by one; an absent rule is skipped.
func (r *Region) RevokeRules(ctx context.Context, groupID string, rules []cloud.SecurityGroupRule) error {
	c, err := r.ecs(ctx)
	if err != nil {
		return err
	}
	sg, err := r.GetSecurityGroup(ctx, groupID)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, ru := range sg.Rules {
		have[ru.Key()] = true
	}
	for _, rule := range rules {
		if !have[rule.Key()] {
			continue
		}
		if err := r.changeRule(ctx, c, groupID, rule, false); err != nil && !isMissingRule(err) {
			return err
		}
	}
	return nil
}

// changeRule sends one Authorize/Revoke (ingress or egress) call.
func (r *Region) changeRule(ctx context.Context, c *ecs.Client, groupID string, rule cloud.SecurityGroupRule, add bool) error {
	egress := rule.Direction == cloud.Egress
	var op string
	switch {
	case add && !egress:
		op = "ecs.AuthorizeSecurityGroup"
	case add && egress:
		op = "ecs.AuthorizeSecurityGroupEgress"
	case !add && !egress:
		op = "ecs.RevokeSecurityGroup"
	default:
		op = "ecs.RevokeSecurityGroupEgress"
	}
	if rule.Direction != cloud.Ingress && rule.Direction != cloud.Egress {
		return cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "direction must be ingress or egress")
	}
	proto, ports, policy, prio, err := ruleArgs(op, rule)
	if err != nil {
		return err
	}
	region, gid, desc := dara.String(r.id), dara.String(groupID), strPtr(rule.Description)
	_, err = invoke(ctx, op, func(ctx context.Context) (any, error) {
		rt := r.p.runtime()
		switch {
		case add && !egress:
			return c.AuthorizeSecurityGroupWithContext(ctx, &ecs.AuthorizeSecurityGroupRequest{RegionId: region, SecurityGroupId: gid,
				IpProtocol: dara.String(proto), PortRange: dara.String(ports), SourceCidrIp: dara.String(rule.CIDR),
				Policy: dara.String(policy), Priority: dara.String(prio), Description: desc}, rt)
		case add && egress:
			return c.AuthorizeSecurityGroupEgressWithContext(ctx, &ecs.AuthorizeSecurityGroupEgressRequest{RegionId: region, SecurityGroupId: gid,
				IpProtocol: dara.String(proto), PortRange: dara.String(ports), DestCidrIp: dara.String(rule.CIDR),
				Policy: dara.String(policy), Priority: dara.String(prio), Description: desc}, rt)
		case !egress:
			return c.RevokeSecurityGroupWithContext(ctx, &ecs.RevokeSecurityGroupRequest{RegionId: region, SecurityGroupId: gid,
				IpProtocol: dara.String(proto), PortRange: dara.String(ports), SourceCidrIp: dara.String(rule.CIDR),
				Policy: dara.String(policy), Priority: dara.String(prio)}, rt)
		default:
			return c.RevokeSecurityGroupEgressWithContext(ctx, &ecs.RevokeSecurityGroupEgressRequest{RegionId: region, SecurityGroupId: gid,
				IpProtocol: dara.String(proto), PortRange: dara.String(ports), DestCidrIp: dara.String(rule.CIDR),
				Policy: dara.String(policy), Priority: dara.String(prio)}, rt)
		}
	})
	return err
}
