package aliyun

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	ecs "github.com/alibabacloud-go/ecs-20140526/v7/client"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/skyfold/skyfold/internal/cloud"
)

// Region is the region-scoped client of one account.
type Region struct {
	cloud.NotSupportedRegion
	p  *Provider
	id string
}

// RegionID returns the region id.
func (r *Region) RegionID() string { return r.id }

func (r *Region) ecs(ctx context.Context) (*ecs.Client, error) {
	if err := r.p.ensureAccount(ctx); err != nil {
		return nil, err
	}
	return r.p.ecsClient(r.id)
}

// meta fills the common fields of an object.
func (r *Region) meta(ctx context.Context, kind, id, name, zone, raw string, status cloud.Status, tags map[string]string, created string) cloud.Meta {
	region := r.id
	return cloud.Meta{
		ID: id, GlobalID: cloud.GlobalID(providerName, r.p.knownAccountID(), kind, id), Name: name,
		RegionID: region, ZoneID: zone, Status: status, RawStatus: raw, Tags: tags, CreatedAt: parseTime(created),
	}
}

// pageSize resolves a requested page size within an API's limit.
func (r *Region) pageSize(req cloud.PageRequest, limit int) int {
	if req.Size <= 0 {
		return min(r.p.pageSize, limit)
	}
	return min(req.Size, limit)
}

// pageNumber reads a PageNumber token ("" is page 1).
func pageNumber(op, token string) (int, error) {
	if token == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(token)
	if err != nil || n < 1 || n > 1<<20 {
		return 0, cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "bad page token %q", token)
	}
	return n, nil
}

// nextPage says whether there is a page after pageNum: by TotalCount when
// the cloud gives one, else by a full page.
func nextPage(pageNum, size, total, got int) string {
	if got == 0 {
		return ""
	}
	if total > 0 {
		if pageNum*size < total {
			return strconv.Itoa(pageNum + 1)
		}
		return ""
	}
	if got >= size {
		return strconv.Itoa(pageNum + 1)
	}
	return ""
}

// pageLinks returns the token of the page after pageNum and, on the first
// page of a listing whose total the cloud gave, the tokens of every later
// page, so that they can be fetched at once (cloud.ForEachPage).
func pageLinks(pageNum, size, total, got int) (next string, rest []string) {
	next = nextPage(pageNum, size, total, got)
	if next == "" || pageNum != 1 || total <= 0 || size <= 0 {
		return next, nil
	}
	last := (total + size - 1) / size
	rest = make([]string, 0, last-1)
	for n := 2; n <= last; n++ {
		rest = append(rest, strconv.Itoa(n))
	}
	return next, rest
}

// jsonList renders ids as the JSON array text Aliyun's *Ids parameters take.
func jsonList(ids []string) string {
	b, _ := json.Marshal(ids)
	return string(b)
}

func chunks(ids []string, n int) [][]string {
	var out [][]string
	for len(ids) > n {
		out = append(out, ids[:n])
		ids = ids[n:]
	}
	if len(ids) > 0 {
		out = append(out, ids)
	}
	return out
}

func nonEmpty(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id = strings.TrimSpace(id); id != "" {
			out = append(out, id)
		}
	}
	return out
}

// Zones lists the region's zones with ECS DescribeZones.
func (r *Region) Zones(ctx context.Context) ([]cloud.Zone, error) {
	c, err := r.ecs(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := invoke(ctx, "ecs.DescribeZones", func(ctx context.Context) (*ecs.DescribeZonesResponse, error) {
		return c.DescribeZonesWithContext(ctx, &ecs.DescribeZonesRequest{RegionId: dara.String(r.id), AcceptLanguage: dara.String("zh-CN")}, r.p.runtime())
	})
	if err != nil {
		return nil, err
	}
	var out []cloud.Zone
	if resp != nil && resp.Body != nil && resp.Body.Zones != nil {
		for _, z := range resp.Body.Zones.Zone {
			if z == nil || dara.StringValue(z.ZoneId) == "" {
				continue
			}
			zone := cloud.Zone{ID: dara.StringValue(z.ZoneId), RegionID: r.id, LocalName: dara.StringValue(z.LocalName)}
			if z.AvailableInstanceTypes != nil {
				for _, t := range z.AvailableInstanceTypes.InstanceTypes {
					if s := dara.StringValue(t); s != "" {
						zone.InstanceTypes = append(zone.InstanceTypes, s)
					}
				}
			}
			out = append(out, zone)
		}
	}
	return out, nil
}

// InstanceTypes lists machine types with ECS DescribeInstanceTypes, following
// NextToken to the end.
func (r *Region) InstanceTypes(ctx context.Context) ([]cloud.InstanceType, error) {
	c, err := r.ecs(ctx)
	if err != nil {
		return nil, err
	}
	var out []cloud.InstanceType
	token := ""
	for range 1000 {
		req := &ecs.DescribeInstanceTypesRequest{MaxResults: dara.Int64(1600)}
		if token != "" {
			req.NextToken = dara.String(token)
		}
		resp, err := invoke(ctx, "ecs.DescribeInstanceTypes", func(ctx context.Context) (*ecs.DescribeInstanceTypesResponse, error) {
			return c.DescribeInstanceTypesWithContext(ctx, req, r.p.runtime())
		})
		if err != nil {
			return nil, err
		}
		if resp == nil || resp.Body == nil {
			break
		}
		if resp.Body.InstanceTypes != nil {
			for _, t := range resp.Body.InstanceTypes.InstanceType {
				if t == nil || dara.StringValue(t.InstanceTypeId) == "" {
					continue
				}
				out = append(out, cloud.InstanceType{
					ID:        dara.StringValue(t.InstanceTypeId),
					Family:    dara.StringValue(t.InstanceTypeFamily),
					CPU:       int(dara.Int32Value(t.CpuCoreCount)),
					MemoryMiB: int(dara.Float32Value(t.MemorySize)*1024 + 0.5),
					GPU:       int(dara.Int32Value(t.GPUAmount)),
					GPUSpec:   dara.StringValue(t.GPUSpec),
				})
			}
		}
		next := dara.StringValue(resp.Body.NextToken)
		if next == "" || next == token {
			break
		}
		token = next
	}
	return out, nil
}

// Images returns one page of images with ECS DescribeImages.
func (r *Region) Images(ctx context.Context, q cloud.ImageQuery, page cloud.PageRequest) (cloud.Page[cloud.Image], error) {
	const op = "ecs.DescribeImages"
	out := cloud.Page[cloud.Image]{Total: -1}
	num, err := pageNumber(op, page.Token)
	if err != nil {
		return out, err
	}
	c, err := r.ecs(ctx)
	if err != nil {
		return out, err
	}
	size := r.pageSize(page, maxPageSize)
	req := &ecs.DescribeImagesRequest{RegionId: dara.String(r.id), PageNumber: dara.Int32(int32(num)), PageSize: dara.Int32(int32(size))}
	if ids := nonEmpty(q.IDs); len(ids) > 0 {
		req.ImageId = dara.String(strings.Join(ids, ","))
	}
	if q.Owner != "" {
		req.ImageOwnerAlias = dara.String(q.Owner)
	}
	resp, err := invoke(ctx, op, func(ctx context.Context) (*ecs.DescribeImagesResponse, error) {
		return c.DescribeImagesWithContext(ctx, req, r.p.runtime())
	})
	if err != nil || resp == nil || resp.Body == nil {
		return out, err
	}
	if resp.Body.Images != nil {
		for _, im := range resp.Body.Images.Image {
			if im == nil || dara.StringValue(im.ImageId) == "" {
				continue
			}
			raw := dara.StringValue(im.Status)
			var tags map[string]string
			if im.Tags != nil {
				for _, t := range im.Tags.Tag {
					if t != nil && dara.StringValue(t.TagKey) != "" {
						tags = setTag(tags, dara.StringValue(t.TagKey), dara.StringValue(t.TagValue))
					}
				}
			}
			out.Items = append(out.Items, cloud.Image{
				Meta:         r.meta(ctx, "image", dara.StringValue(im.ImageId), dara.StringValue(im.ImageName), "", raw, resourceStatus(raw), tags, dara.StringValue(im.CreationTime)),
				OSType:       strings.ToLower(dara.StringValue(im.OSType)),
				OSName:       firstNonEmpty(dara.StringValue(im.OSNameEn), dara.StringValue(im.OSName)),
				Architecture: dara.StringValue(im.Architecture),
				SizeGiB:      int(dara.Int32Value(im.Size)),
				Public:       dara.BoolValue(im.IsPublic),
			})
		}
	}
	out.Total = int(dara.Int32Value(resp.Body.TotalCount))
	out.NextToken, out.Rest = pageLinks(num, size, out.Total, len(out.Items))
	return out, nil
}

func setTag(m map[string]string, k, v string) map[string]string {
	if m == nil {
		m = map[string]string{}
	}
	m[k] = v
	return m
}

// --- instances ---

// ecsStatus maps a normalised status filter to ECS's.
func ecsStatus(s cloud.Status) string {
	switch s {
	case cloud.StatusPending:
		return "Pending"
	case cloud.StatusStarting:
		return "Starting"
	case cloud.StatusRunning:
		return "Running"
	case cloud.StatusStopping:
		return "Stopping"
	case cloud.StatusStopped:
		return "Stopped"
	}
	return ""
}

// CreateInstances calls ECS RunInstances once for the whole batch.
func (r *Region) CreateInstances(ctx context.Context, in cloud.CreateInstancesRequest) (cloud.CreateInstancesResult, error) {
	const op = "ecs.RunInstances"
	var res cloud.CreateInstancesResult
	switch {
	case in.Amount < 1 || in.Amount > 100:
		return res, cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "Amount must be 1..100, got %d", in.Amount)
	case in.MinAmount < 0 || in.MinAmount > in.Amount:
		return res, cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "MinAmount must be 0..Amount, got %d", in.MinAmount)
	case len(in.Tags) > 20:
		return res, cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "at most 20 tags, got %d", len(in.Tags))
	}
	c, err := r.ecs(ctx)
	if err != nil {
		return res, err
	}
	req := &ecs.RunInstancesRequest{
		RegionId:     dara.String(r.id),
		InstanceType: strPtr(in.InstanceType),
		ImageId:      strPtr(in.ImageID),
		VSwitchId:    strPtr(in.SubnetID),
		ZoneId:       strPtr(in.ZoneID),
		InstanceName: strPtr(in.Name),
		HostName:     strPtr(in.HostName),
		Password:     strPtr(in.Password),
		KeyPairName:  strPtr(in.KeyPairName),
		UserData:     strPtr(in.UserData),
		ClientToken:  strPtr(in.ClientToken),
		Amount:       dara.Int32(int32(in.Amount)),
	}
	if in.MinAmount > 0 {
		req.MinAmount = dara.Int32(int32(in.MinAmount))
	}
	if in.DryRun {
		req.DryRun = dara.Bool(true)
	}
	switch sgs := nonEmpty(in.SecurityGroupIDs); len(sgs) {
	case 0:
	case 1:
		req.SecurityGroupId = dara.String(sgs[0])
	default:
		req.SecurityGroupIds = dara.StringSlice(sgs)
	}
	if in.ChargeType == cloud.PrePaid {
		req.InstanceChargeType = dara.String("PrePaid")
		if in.Period > 0 {
			req.Period = dara.Int32(int32(in.Period))
			req.PeriodUnit = dara.String("Month")
		}
	} else {
		req.InstanceChargeType = dara.String("PostPaid")
	}
	if in.SystemDisk.Category != "" || in.SystemDisk.SizeGiB > 0 {
		req.SystemDisk = &ecs.RunInstancesRequestSystemDisk{Category: strPtr(in.SystemDisk.Category)}
		if in.SystemDisk.SizeGiB > 0 {
			req.SystemDisk.Size = dara.String(strconv.Itoa(in.SystemDisk.SizeGiB))
		}
	}
	for _, d := range in.DataDisks {
		dd := &ecs.RunInstancesRequestDataDisk{Category: strPtr(d.Category), DeleteWithInstance: dara.Bool(true)}
		if d.SizeGiB > 0 {
			dd.Size = dara.Int32(int32(d.SizeGiB))
		}
		req.DataDisk = append(req.DataDisk, dd)
	}
	if in.InternetMaxBandwidthOut > 0 {
		req.InternetMaxBandwidthOut = dara.Int32(int32(in.InternetMaxBandwidthOut))
		req.InternetChargeType = dara.String("PayByTraffic")
	}
	for _, k := range sortedKeys(in.Tags) {
		req.Tag = append(req.Tag, &ecs.RunInstancesRequestTag{Key: dara.String(k), Value: dara.String(in.Tags[k])})
	}
	resp, err := invoke(ctx, op, func(ctx context.Context) (*ecs.RunInstancesResponse, error) {
		return c.RunInstancesWithContext(ctx, req, r.p.runtime())
	})
	if errors.Is(err, errDryRunPassed) {
		return cloud.CreateInstancesResult{DryRun: true}, nil
	}
	if err != nil {
		return res, err
	}
	if in.DryRun {
		// A cloud that answers a dry run with success is taken at its word.
		return cloud.CreateInstancesResult{DryRun: true}, nil
	}
	if resp == nil || resp.Body == nil {
		return res, missingField(op, "body", "")
	}
	res.RequestID = dara.StringValue(resp.Body.RequestId)
	if resp.Body.InstanceIdSets != nil {
		for _, id := range resp.Body.InstanceIdSets.InstanceIdSet {
			if s := dara.StringValue(id); s != "" {
				res.InstanceIDs = append(res.InstanceIDs, s)
			}
		}
	}
	if len(res.InstanceIDs) == 0 {
		return res, missingField(op, "InstanceIdSets", res.RequestID)
	}
	return res, nil
}

// GetInstance returns one instance; ECS answers an unknown id with an empty
// list, which becomes ErrNotFound.
func (r *Region) GetInstance(ctx context.Context, id string) (cloud.Instance, error) {
	if strings.TrimSpace(id) == "" {
		return cloud.Instance{}, cloud.Errorf(cloud.ErrInvalidParameter, providerName, "ecs.DescribeInstances", "instance id is required")
	}
	page, rid, err := r.describeInstances(ctx, cloud.InstanceQuery{IDs: []string{id}}, 1, 1)
	if err != nil {
		return cloud.Instance{}, err
	}
	for _, in := range page.Items {
		if in.ID == id {
			return in, nil
		}
	}
	return cloud.Instance{}, &cloud.Error{Kind: cloud.ErrNotFound, Provider: providerName, Op: "ecs.DescribeInstances",
		Code: "InvalidInstanceId.NotFound", Message: "instance " + id + " does not exist", RequestID: rid}
}

// ListInstances returns one page of instances. With q.IDs the ids are asked
// for 100 at a time and the token is the offset into them; otherwise the
// token is ECS's PageNumber.
func (r *Region) ListInstances(ctx context.Context, q cloud.InstanceQuery, page cloud.PageRequest) (cloud.Page[cloud.Instance], error) {
	const op = "ecs.DescribeInstances"
	size := r.pageSize(page, maxPageSize)
	if ids := nonEmpty(q.IDs); len(q.IDs) > 0 {
		off := 0
		if page.Token != "" {
			n, err := strconv.Atoi(page.Token)
			if err != nil || n < 0 || n >= len(ids) {
				return cloud.Page[cloud.Instance]{Total: -1}, cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "bad page token %q", page.Token)
			}
			off = n
		}
		if len(ids) == 0 {
			return cloud.Page[cloud.Instance]{Total: 0}, nil
		}
		end := min(off+size, len(ids))
		sub := q
		sub.IDs = ids[off:end]
		out, _, err := r.describeInstances(ctx, sub, 1, size)
		if err != nil {
			return out, err
		}
		out.Total = -1
		out.NextToken, out.Rest = "", nil
		if end < len(ids) {
			out.NextToken = strconv.Itoa(end)
		}
		return out, nil
	}
	num, err := pageNumber(op, page.Token)
	if err != nil {
		return cloud.Page[cloud.Instance]{Total: -1}, err
	}
	out, _, err := r.describeInstances(ctx, q, num, size)
	return out, err
}

// describeInstances calls ECS DescribeInstances for one page.
func (r *Region) describeInstances(ctx context.Context, q cloud.InstanceQuery, num, size int) (cloud.Page[cloud.Instance], string, error) {
	const op = "ecs.DescribeInstances"
	out := cloud.Page[cloud.Instance]{Total: -1}
	c, err := r.ecs(ctx)
	if err != nil {
		return out, "", err
	}
	req := &ecs.DescribeInstancesRequest{RegionId: dara.String(r.id), PageNumber: dara.Int32(int32(num)), PageSize: dara.Int32(int32(size))}
	if len(q.IDs) > 0 {
		req.InstanceIds = dara.String(jsonList(q.IDs))
	}
	if q.VPCID != "" {
		req.VpcId = dara.String(q.VPCID)
	}
	if q.ZoneID != "" {
		req.ZoneId = dara.String(q.ZoneID)
	}
	if s := ecsStatus(q.Status); s != "" {
		req.Status = dara.String(s)
	}
	if len(q.Tags) > 20 {
		return out, "", cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "at most 20 tag filters")
	}
	for _, k := range sortedKeys(q.Tags) {
		req.Tag = append(req.Tag, &ecs.DescribeInstancesRequestTag{Key: dara.String(k), Value: dara.String(q.Tags[k])})
	}
	b := &ecsInstancePage{}
	if err := r.p.callModel(ctx, &c.Client, op, "DescribeInstances", "2014-05-26", req, b); err != nil {
		return out, "", err
	}
	out.Items = make([]cloud.Instance, 0, len(b.Instances.Instance))
	for i := range b.Instances.Instance {
		if in := &b.Instances.Instance[i]; in.InstanceId != "" {
			out.Items = append(out.Items, r.instance(ctx, in))
		}
	}
	out.Total = int(b.TotalCount)
	out.NextToken, out.Rest = pageLinks(num, size, out.Total, len(out.Items))
	if out.Total == 0 && len(out.Items) > 0 {
		out.Total = -1
	}
	return out, b.RequestId, nil
}

func (r *Region) instance(ctx context.Context, in *ecsInstance) cloud.Instance {
	raw := in.Status
	out := cloud.Instance{
		Meta: r.meta(ctx, "instance", in.InstanceId, in.InstanceName, in.ZoneId, raw, instanceStatus(raw),
			in.Tags.tagMap(), in.CreationTime),
		InstanceType: in.InstanceType,
		CPU:          int(in.Cpu),
		MemoryMiB:    int(in.Memory),
		ImageID:      in.ImageId,
		OSType:       strings.ToLower(in.OSType),
		ChargeType:   chargeType(in.InstanceChargeType),
		ExpiresAt:    parseTime(in.ExpiredTime),
		StartedAt:    parseTime(in.StartTime),
		Hostname:     in.HostName,
		VPCID:        in.VpcAttributes.VpcId,
		SubnetID:     in.VpcAttributes.VSwitchId,
	}
	out.PrivateIPs = appendStrings(out.PrivateIPs, in.VpcAttributes.PrivateIpAddress.IpAddress...)
	out.PrivateIPs = appendStrings(out.PrivateIPs, in.InnerIpAddress.IpAddress...)
	out.PublicIPs = appendStrings(out.PublicIPs, in.PublicIpAddress.IpAddress...)
	out.PublicIPs = appendStrings(out.PublicIPs, in.EipAddress.IpAddress)
	out.SecurityGroupIDs = appendStrings(nil, in.SecurityGroupIds.SecurityGroupId...)
	return out
}

// appendStrings appends the non-empty, not yet present values.
func appendStrings(dst []string, vs ...string) []string {
	for _, s := range vs {
		if s == "" {
			continue
		}
		dup := false
		for _, d := range dst {
			if d == s {
				dup = true
				break
			}
		}
		if !dup {
			dst = append(dst, s)
		}
	}
	return dst
}

// batch runs fn over ids in chunks of 100 (ECS's batch limit).
func batch(ctx context.Context, op string, ids []string, fn func(ctx context.Context, chunk []*string) error) error {
	ids = nonEmpty(ids)
	if len(ids) == 0 {
		return cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "no instance ids")
	}
	for _, ch := range chunks(ids, 100) {
		if _, err := invoke(ctx, op, func(ctx context.Context) (struct{}, error) {
			return struct{}{}, fn(ctx, dara.StringSlice(ch))
		}); err != nil {
			return err
		}
	}
	return nil
}

// StartInstances calls ECS StartInstances.
func (r *Region) StartInstances(ctx context.Context, ids []string) error {
	c, err := r.ecs(ctx)
	if err != nil {
		return err
	}
	return batch(ctx, "ecs.StartInstances", ids, func(ctx context.Context, ch []*string) error {
		_, err := c.StartInstancesWithContext(ctx, &ecs.StartInstancesRequest{RegionId: dara.String(r.id), InstanceId: ch}, r.p.runtime())
		return err
	})
}

// StopInstances calls ECS StopInstances.
func (r *Region) StopInstances(ctx context.Context, ids []string, force bool) error {
	c, err := r.ecs(ctx)
	if err != nil {
		return err
	}
	return batch(ctx, "ecs.StopInstances", ids, func(ctx context.Context, ch []*string) error {
		_, err := c.StopInstancesWithContext(ctx, &ecs.StopInstancesRequest{RegionId: dara.String(r.id), InstanceId: ch, ForceStop: dara.Bool(force)}, r.p.runtime())
		return err
	})
}

// RebootInstances calls ECS RebootInstances.
func (r *Region) RebootInstances(ctx context.Context, ids []string, force bool) error {
	c, err := r.ecs(ctx)
	if err != nil {
		return err
	}
	return batch(ctx, "ecs.RebootInstances", ids, func(ctx context.Context, ch []*string) error {
		_, err := c.RebootInstancesWithContext(ctx, &ecs.RebootInstancesRequest{RegionId: dara.String(r.id), InstanceId: ch, ForceReboot: dara.Bool(force)}, r.p.runtime())
		return err
	})
}

// DeleteInstances calls ECS DeleteInstances.
func (r *Region) DeleteInstances(ctx context.Context, ids []string, force bool) error {
	c, err := r.ecs(ctx)
	if err != nil {
		return err
	}
	return batch(ctx, "ecs.DeleteInstances", ids, func(ctx context.Context, ch []*string) error {
		_, err := c.DeleteInstancesWithContext(ctx, &ecs.DeleteInstancesRequest{RegionId: dara.String(r.id), InstanceId: ch, Force: dara.Bool(force)}, r.p.runtime())
		return err
	})
}

// ChangeInstanceType calls ECS ModifyInstanceSpec.
func (r *Region) ChangeInstanceType(ctx context.Context, id, instanceType string) error {
	const op = "ecs.ModifyInstanceSpec"
	if id == "" || instanceType == "" {
		return cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "instance id and type are required")
	}
	c, err := r.ecs(ctx)
	if err != nil {
		return err
	}
	_, err = invoke(ctx, op, func(ctx context.Context) (*ecs.ModifyInstanceSpecResponse, error) {
		return c.ModifyInstanceSpecWithContext(ctx, &ecs.ModifyInstanceSpecRequest{InstanceId: dara.String(id), InstanceType: dara.String(instanceType)}, r.p.runtime())
	})
	return err
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return dara.String(s)
}

var _ cloud.RegionClient = (*Region)(nil)
