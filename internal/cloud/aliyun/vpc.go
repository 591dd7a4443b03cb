package aliyun

import (
	"context"
	"strconv"
	"strings"

	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"
	vpc "github.com/alibabacloud-go/vpc-20160428/v6/client"

	"github.com/skyfold/skyfold/internal/cloud"
)

func (r *Region) vpc(ctx context.Context) (*vpc.Client, error) {
	if err := r.p.ensureAccount(ctx); err != nil {
		return nil, err
	}
	return client(r.p, "vpc", r.id, func(c *openapiutil.Config) (*vpc.Client, error) {
		cl, err := vpc.NewClient(c)
		if err == nil {
			cl.DisableSDKError = dara.Bool(true)
			disableSDKError(&cl.Client)
		}
		return cl, err
	})
}

// CreateVPC calls VPC CreateVpc and reads the VPC back.
func (r *Region) CreateVPC(ctx context.Context, spec cloud.VPCSpec) (cloud.VPC, error) {
	const op = "vpc.CreateVpc"
	c, err := r.vpc(ctx)
	if err != nil {
		return cloud.VPC{}, err
	}
	req := &vpc.CreateVpcRequest{RegionId: dara.String(r.id), VpcName: strPtr(spec.Name), CidrBlock: strPtr(spec.CIDR),
		Description: strPtr(spec.Description), ClientToken: strPtr(spec.ClientToken)}
	for _, k := range sortedKeys(spec.Tags) {
		req.Tag = append(req.Tag, &vpc.CreateVpcRequestTag{Key: dara.String(k), Value: dara.String(spec.Tags[k])})
	}
	resp, err := invoke(ctx, op, func(ctx context.Context) (*vpc.CreateVpcResponse, error) {
		return c.CreateVpcWithContext(ctx, req, r.p.runtime())
	})
	if err != nil {
		return cloud.VPC{}, err
	}
	if resp == nil || resp.Body == nil || dara.StringValue(resp.Body.VpcId) == "" {
		return cloud.VPC{}, missingField(op, "VpcId", "")
	}
	id := dara.StringValue(resp.Body.VpcId)
	if v, err := r.GetVPC(ctx, id); err == nil {
		return v, nil
	}
	return cloud.VPC{Meta: r.meta(ctx, "vpc", id, spec.Name, "", "Pending", cloud.StatusPending, spec.Tags, ""),
		CIDR: spec.CIDR, Description: spec.Description}, nil
}

// DeleteVPC calls VPC DeleteVpc.
func (r *Region) DeleteVPC(ctx context.Context, id string) error {
	c, err := r.vpc(ctx)
	if err != nil {
		return err
	}
	_, err = invoke(ctx, "vpc.DeleteVpc", func(ctx context.Context) (*vpc.DeleteVpcResponse, error) {
		return c.DeleteVpcWithContext(ctx, &vpc.DeleteVpcRequest{RegionId: dara.String(r.id), VpcId: dara.String(id)}, r.p.runtime())
	})
	return err
}

// GetVPC finds one VPC with DescribeVpcs; none is ErrNotFound.
func (r *Region) GetVPC(ctx context.Context, id string) (cloud.VPC, error) {
	const op = "vpc.DescribeVpcs"
	if strings.TrimSpace(id) == "" {
		return cloud.VPC{}, cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "vpc id is required")
	}
	page, rid, err := r.describeVpcs(ctx, id, 1, 1)
	if err != nil {
		return cloud.VPC{}, err
	}
	for _, v := range page.Items {
		if v.ID == id {
			return v, nil
		}
	}
	return cloud.VPC{}, &cloud.Error{Kind: cloud.ErrNotFound, Provider: providerName, Op: op, Code: "InvalidVpcId.NotFound",
		Message: "vpc " + id + " does not exist", RequestID: rid}
}

// ListVPCs returns one page with DescribeVpcs.
func (r *Region) ListVPCs(ctx context.Context, page cloud.PageRequest) (cloud.Page[cloud.VPC], error) {
	num, err := pageNumber("vpc.DescribeVpcs", page.Token)
	if err != nil {
		return cloud.Page[cloud.VPC]{Total: -1}, err
	}
	out, _, err := r.describeVpcs(ctx, "", num, r.pageSize(page, 50))
	return out, err
}

func (r *Region) describeVpcs(ctx context.Context, id string, num, size int) (cloud.Page[cloud.VPC], string, error) {
	const op = "vpc.DescribeVpcs"
	out := cloud.Page[cloud.VPC]{Total: -1}
	c, err := r.vpc(ctx)
	if err != nil {
		return out, "", err
	}
	req := &vpc.DescribeVpcsRequest{RegionId: dara.String(r.id), VpcId: strPtr(id), PageNumber: dara.Int32(int32(num)), PageSize: dara.Int32(int32(size))}
	resp, err := invoke(ctx, op, func(ctx context.Context) (*vpc.DescribeVpcsResponse, error) {
		return c.DescribeVpcsWithContext(ctx, req, r.p.runtime())
	})
	if err != nil || resp == nil || resp.Body == nil {
		return out, "", err
	}
	if resp.Body.Vpcs != nil {
		for _, v := range resp.Body.Vpcs.Vpc {
			if v == nil || dara.StringValue(v.VpcId) == "" {
				continue
			}
			var tags map[string]string
			if v.Tags != nil {
				for _, t := range v.Tags.Tag {
					if t != nil && dara.StringValue(t.Key) != "" {
						tags = setTag(tags, dara.StringValue(t.Key), dara.StringValue(t.Value))
					}
				}
			}
			raw := dara.StringValue(v.Status)
			out.Items = append(out.Items, cloud.VPC{
				Meta: r.meta(ctx, "vpc", dara.StringValue(v.VpcId), dara.StringValue(v.VpcName), "", raw, resourceStatus(raw), tags,
					dara.StringValue(v.CreationTime)),
				CIDR: dara.StringValue(v.CidrBlock), Description: dara.StringValue(v.Description), IsDefault: dara.BoolValue(v.IsDefault),
			})
		}
	}
	out.Total = int(dara.Int32Value(resp.Body.TotalCount))
	out.NextToken, out.Rest = pageLinks(num, size, out.Total, len(out.Items))
	return out, dara.StringValue(resp.Body.RequestId), nil
}

// CreateSubnet calls VPC CreateVSwitch and reads the vSwitch back.
func (r *Region) CreateSubnet(ctx context.Context, spec cloud.SubnetSpec) (cloud.Subnet, error) {
	const op = "vpc.CreateVSwitch"
	c, err := r.vpc(ctx)
	if err != nil {
		return cloud.Subnet{}, err
	}
	req := &vpc.CreateVSwitchRequest{RegionId: dara.String(r.id), VpcId: strPtr(spec.VPCID), ZoneId: strPtr(spec.ZoneID),
		CidrBlock: strPtr(spec.CIDR), VSwitchName: strPtr(spec.Name), ClientToken: strPtr(spec.ClientToken)}
	resp, err := invoke(ctx, op, func(ctx context.Context) (*vpc.CreateVSwitchResponse, error) {
		return c.CreateVSwitchWithContext(ctx, req, r.p.runtime())
	})
	if err != nil {
		return cloud.Subnet{}, err
	}
	if resp == nil || resp.Body == nil || dara.StringValue(resp.Body.VSwitchId) == "" {
		return cloud.Subnet{}, missingField(op, "VSwitchId", "")
	}
	id := dara.StringValue(resp.Body.VSwitchId)
	if s, err := r.GetSubnet(ctx, id); err == nil {
		return s, nil
	}
	return cloud.Subnet{Meta: r.meta(ctx, "subnet", id, spec.Name, spec.ZoneID, "Pending", cloud.StatusPending, nil, ""),
		VPCID: spec.VPCID, CIDR: spec.CIDR}, nil
}

// DeleteSubnet calls VPC DeleteVSwitch.
func (r *Region) DeleteSubnet(ctx context.Context, id string) error {
	c, err := r.vpc(ctx)
	if err != nil {
		return err
	}
	_, err = invoke(ctx, "vpc.DeleteVSwitch", func(ctx context.Context) (*vpc.DeleteVSwitchResponse, error) {
		return c.DeleteVSwitchWithContext(ctx, &vpc.DeleteVSwitchRequest{RegionId: dara.String(r.id), VSwitchId: dara.String(id)}, r.p.runtime())
	})
	return err
}

// GetSubnet finds one vSwitch; none is ErrNotFound.
func (r *Region) GetSubnet(ctx context.Context, id string) (cloud.Subnet, error) {
	const op = "vpc.DescribeVSwitches"
	if strings.TrimSpace(id) == "" {
		return cloud.Subnet{}, cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "subnet id is required")
	}
	page, rid, err := r.describeVSwitches(ctx, cloud.SubnetQuery{IDs: []string{id}}, 1, 1)
	if err != nil {
		return cloud.Subnet{}, err
	}
	for _, s := range page.Items {
		if s.ID == id {
			return s, nil
		}
	}
	return cloud.Subnet{}, &cloud.Error{Kind: cloud.ErrNotFound, Provider: providerName, Op: op, Code: "InvalidVSwitchId.NotFound",
		Message: "vswitch " + id + " does not exist", RequestID: rid}
}

// ListSubnets returns one page with DescribeVSwitches (IDs: the first only,
// as DescribeVSwitches filters on one id).
func (r *Region) ListSubnets(ctx context.Context, q cloud.SubnetQuery, page cloud.PageRequest) (cloud.Page[cloud.Subnet], error) {
	num, err := pageNumber("vpc.DescribeVSwitches", page.Token)
	if err != nil {
		return cloud.Page[cloud.Subnet]{Total: -1}, err
	}
	out, _, err := r.describeVSwitches(ctx, q, num, r.pageSize(page, 50))
	return out, err
}

func (r *Region) describeVSwitches(ctx context.Context, q cloud.SubnetQuery, num, size int) (cloud.Page[cloud.Subnet], string, error) {
	const op = "vpc.DescribeVSwitches"
	out := cloud.Page[cloud.Subnet]{Total: -1}
	c, err := r.vpc(ctx)
	if err != nil {
		return out, "", err
	}
	req := &vpc.DescribeVSwitchesRequest{RegionId: dara.String(r.id), VpcId: strPtr(q.VPCID), ZoneId: strPtr(q.ZoneID),
		PageNumber: dara.Int32(int32(num)), PageSize: dara.Int32(int32(size))}
	if ids := nonEmpty(q.IDs); len(ids) > 0 {
		req.VSwitchId = dara.String(ids[0])
	}
	resp, err := invoke(ctx, op, func(ctx context.Context) (*vpc.DescribeVSwitchesResponse, error) {
		return c.DescribeVSwitchesWithContext(ctx, req, r.p.runtime())
	})
	if err != nil || resp == nil || resp.Body == nil {
		return out, "", err
	}
	if resp.Body.VSwitches != nil {
		for _, s := range resp.Body.VSwitches.VSwitch {
			if s == nil || dara.StringValue(s.VSwitchId) == "" {
				continue
			}
			var tags map[string]string
			if s.Tags != nil {
				for _, t := range s.Tags.Tag {
					if t != nil && dara.StringValue(t.Key) != "" {
						tags = setTag(tags, dara.StringValue(t.Key), dara.StringValue(t.Value))
					}
				}
			}
			raw := dara.StringValue(s.Status)
			out.Items = append(out.Items, cloud.Subnet{
				Meta: r.meta(ctx, "subnet", dara.StringValue(s.VSwitchId), dara.StringValue(s.VSwitchName), dara.StringValue(s.ZoneId),
					raw, resourceStatus(raw), tags, dara.StringValue(s.CreationTime)),
				VPCID: dara.StringValue(s.VpcId), CIDR: dara.StringValue(s.CidrBlock), AvailableIPs: int(dara.Int64Value(s.AvailableIpAddressCount)),
			})
		}
	}
	out.Total = int(dara.Int32Value(resp.Body.TotalCount))
	out.NextToken, out.Rest = pageLinks(num, size, out.Total, len(out.Items))
	return out, dara.StringValue(resp.Body.RequestId), nil
}

// AllocateEIP calls VPC AllocateEipAddress.
func (r *Region) AllocateEIP(ctx context.Context, spec cloud.EIPSpec) (cloud.EIP, error) {
	const op = "vpc.AllocateEipAddress"
	c, err := r.vpc(ctx)
	if err != nil {
		return cloud.EIP{}, err
	}
	req := &vpc.AllocateEipAddressRequest{RegionId: dara.String(r.id), Name: strPtr(spec.Name), ClientToken: strPtr(spec.ClientToken),
		InternetChargeType: strPtr(spec.InternetChargeType)}
	if spec.BandwidthMbps > 0 {
		req.Bandwidth = dara.String(strconv.Itoa(spec.BandwidthMbps))
	}
	resp, err := invoke(ctx, op, func(ctx context.Context) (*vpc.AllocateEipAddressResponse, error) {
		return c.AllocateEipAddressWithContext(ctx, req, r.p.runtime())
	})
	if err != nil {
		return cloud.EIP{}, err
	}
	if resp == nil || resp.Body == nil || dara.StringValue(resp.Body.AllocationId) == "" {
		return cloud.EIP{}, missingField(op, "AllocationId", "")
	}
	id := dara.StringValue(resp.Body.AllocationId)
	return cloud.EIP{Meta: r.meta(ctx, "eip", id, spec.Name, "", "Available", cloud.StatusRunning, nil, ""),
		Address: dara.StringValue(resp.Body.EipAddress), BandwidthMbps: spec.BandwidthMbps, ChargeType: cloud.PostPaid}, nil
}

// ReleaseEIP calls VPC ReleaseEipAddress.
func (r *Region) ReleaseEIP(ctx context.Context, id string) error {
	c, err := r.vpc(ctx)
	if err != nil {
		return err
	}
	_, err = invoke(ctx, "vpc.ReleaseEipAddress", func(ctx context.Context) (*vpc.ReleaseEipAddressResponse, error) {
		return c.ReleaseEipAddressWithContext(ctx, &vpc.ReleaseEipAddressRequest{RegionId: dara.String(r.id), AllocationId: dara.String(id)}, r.p.runtime())
	})
	return err
}

// ListEIPs returns one page with VPC DescribeEipAddresses.
func (r *Region) ListEIPs(ctx context.Context, page cloud.PageRequest) (cloud.Page[cloud.EIP], error) {
	const op = "vpc.DescribeEipAddresses"
	out := cloud.Page[cloud.EIP]{Total: -1}
	num, err := pageNumber(op, page.Token)
	if err != nil {
		return out, err
	}
	c, err := r.vpc(ctx)
	if err != nil {
		return out, err
	}
	size := r.pageSize(page, maxPageSize)
	req := &vpc.DescribeEipAddressesRequest{RegionId: dara.String(r.id), PageNumber: dara.Int32(int32(num)), PageSize: dara.Int32(int32(size))}
	resp, err := invoke(ctx, op, func(ctx context.Context) (*vpc.DescribeEipAddressesResponse, error) {
		return c.DescribeEipAddressesWithContext(ctx, req, r.p.runtime())
	})
	if err != nil || resp == nil || resp.Body == nil {
		return out, err
	}
	if resp.Body.EipAddresses != nil {
		for _, e := range resp.Body.EipAddresses.EipAddress {
			if e == nil || dara.StringValue(e.AllocationId) == "" {
				continue
			}
			var tags map[string]string
			if e.Tags != nil {
				for _, t := range e.Tags.Tag {
					if t != nil && dara.StringValue(t.Key) != "" {
						tags = setTag(tags, dara.StringValue(t.Key), dara.StringValue(t.Value))
					}
				}
			}
			raw := dara.StringValue(e.Status)
			bw, _ := strconv.Atoi(strings.TrimSpace(dara.StringValue(e.Bandwidth)))
			out.Items = append(out.Items, cloud.EIP{
				Meta: r.meta(ctx, "eip", dara.StringValue(e.AllocationId), dara.StringValue(e.Name), "", raw, resourceStatus(raw), tags,
					dara.StringValue(e.AllocationTime)),
				Address: dara.StringValue(e.IpAddress), BandwidthMbps: bw, InstanceID: dara.StringValue(e.InstanceId),
				ChargeType: chargeType(dara.StringValue(e.ChargeType)),
			})
		}
	}
	out.Total = int(dara.Int32Value(resp.Body.TotalCount))
	out.NextToken, out.Rest = pageLinks(num, size, out.Total, len(out.Items))
	return out, nil
}
