package aliyun

import (
	"context"
	"strconv"
	"strings"

	ecs "github.com/alibabacloud-go/ecs-20140526/v7/client"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/skyfold/skyfold/internal/cloud"
)

// ListDisks returns one page with ECS DescribeDisks.
func (r *Region) ListDisks(ctx context.Context, q cloud.DiskQuery, page cloud.PageRequest) (cloud.Page[cloud.Disk], error) {
	const op = "ecs.DescribeDisks"
	out := cloud.Page[cloud.Disk]{Total: -1}
	num, err := pageNumber(op, page.Token)
	if err != nil {
		return out, err
	}
	c, err := r.ecs(ctx)
	if err != nil {
		return out, err
	}
	size := r.pageSize(page, maxPageSize)
	req := &ecs.DescribeDisksRequest{RegionId: dara.String(r.id), PageNumber: dara.Int32(int32(num)), PageSize: dara.Int32(int32(size)),
		InstanceId: strPtr(q.InstanceID)}
	if ids := nonEmpty(q.IDs); len(ids) > 0 {
		req.DiskIds = dara.String(jsonList(ids))
	}
	body := &ecsDiskPage{} // listing_models.go
	if err := r.p.callModel(ctx, &c.Client, op, "DescribeDisks", "2014-05-26", req, body); err != nil {
		return out, err
	}
	out.Items = make([]cloud.Disk, 0, len(body.Disks.Disk))
	for i := range body.Disks.Disk {
		d := &body.Disks.Disk[i]
		if d.DiskId == "" {
			continue
		}
		out.Items = append(out.Items, cloud.Disk{
			Meta: r.meta(ctx, "disk", d.DiskId, d.DiskName, d.ZoneId, d.Status, resourceStatus(d.Status),
				d.Tags.tagMap(), d.CreationTime),
			Category: d.Category, SizeGiB: int(d.Size), InstanceID: d.InstanceId, Device: d.Device,
			Type: strings.ToLower(d.Type), ChargeType: chargeType(d.DiskChargeType),
		})
	}
	out.Total = int(body.TotalCount)
	out.NextToken, out.Rest = pageLinks(num, size, out.Total, len(out.Items))
	return out, nil
}

// CreateSnapshot calls ECS CreateSnapshot.
func (r *Region) CreateSnapshot(ctx context.Context, spec cloud.SnapshotSpec) (cloud.Snapshot, error) {
	const op = "ecs.CreateSnapshot"
	if spec.DiskID == "" {
		return cloud.Snapshot{}, cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "DiskID is required")
	}
	c, err := r.ecs(ctx)
	if err != nil {
		return cloud.Snapshot{}, err
	}
	req := &ecs.CreateSnapshotRequest{DiskId: dara.String(spec.DiskID), SnapshotName: strPtr(spec.Name), Description: strPtr(spec.Description),
		ClientToken: strPtr(spec.ClientToken)}
	resp, err := invoke(ctx, op, func(ctx context.Context) (*ecs.CreateSnapshotResponse, error) {
		return c.CreateSnapshotWithContext(ctx, req, r.p.runtime())
	})
	if err != nil {
		return cloud.Snapshot{}, err
	}
	if resp == nil || resp.Body == nil || dara.StringValue(resp.Body.SnapshotId) == "" {
		return cloud.Snapshot{}, missingField(op, "SnapshotId", "")
	}
	id := dara.StringValue(resp.Body.SnapshotId)
	return cloud.Snapshot{Meta: r.meta(ctx, "snapshot", id, spec.Name, "", "progressing", cloud.StatusPending, nil, ""), DiskID: spec.DiskID}, nil
}

// DeleteSnapshot calls ECS DeleteSnapshot.
func (r *Region) DeleteSnapshot(ctx context.Context, id string) error {
	c, err := r.ecs(ctx)
	if err != nil {
		return err
	}
	_, err = invoke(ctx, "ecs.DeleteSnapshot", func(ctx context.Context) (*ecs.DeleteSnapshotResponse, error) {
		return c.DeleteSnapshotWithContext(ctx, &ecs.DeleteSnapshotRequest{SnapshotId: dara.String(id)}, r.p.runtime())
	})
	return err
}

// ListSnapshots returns one page with ECS DescribeSnapshots.
func (r *Region) ListSnapshots(ctx context.Context, q cloud.SnapshotQuery, page cloud.PageRequest) (cloud.Page[cloud.Snapshot], error) {
	const op = "ecs.DescribeSnapshots"
	out := cloud.Page[cloud.Snapshot]{Total: -1}
	num, err := pageNumber(op, page.Token)
	if err != nil {
		return out, err
	}
	c, err := r.ecs(ctx)
	if err != nil {
		return out, err
	}
	size := r.pageSize(page, maxPageSize)
	req := &ecs.DescribeSnapshotsRequest{RegionId: dara.String(r.id), PageNumber: dara.Int32(int32(num)), PageSize: dara.Int32(int32(size)),
		DiskId: strPtr(q.DiskID)}
	if ids := nonEmpty(q.IDs); len(ids) > 0 {
		req.SnapshotIds = dara.String(jsonList(ids))
	}
	resp, err := invoke(ctx, op, func(ctx context.Context) (*ecs.DescribeSnapshotsResponse, error) {
		return c.DescribeSnapshotsWithContext(ctx, req, r.p.runtime())
	})
	if err != nil || resp == nil || resp.Body == nil {
		return out, err
	}
	if resp.Body.Snapshots != nil {
		for _, s := range resp.Body.Snapshots.Snapshot {
			if s == nil || dara.StringValue(s.SnapshotId) == "" {
				continue
			}
			var tags map[string]string
			if s.Tags != nil {
				for _, t := range s.Tags.Tag {
					if t != nil && dara.StringValue(t.TagKey) != "" {
						tags = setTag(tags, dara.StringValue(t.TagKey), dara.StringValue(t.TagValue))
					}
				}
			}
			raw := dara.StringValue(s.Status)
			size, _ := strconv.Atoi(strings.TrimSpace(dara.StringValue(s.SourceDiskSize)))
			out.Items = append(out.Items, cloud.Snapshot{
				Meta: r.meta(ctx, "snapshot", dara.StringValue(s.SnapshotId), dara.StringValue(s.SnapshotName), "", raw, resourceStatus(raw), tags,
					dara.StringValue(s.CreationTime)),
				DiskID: dara.StringValue(s.SourceDiskId), SizeGiB: size,
			})
		}
	}
	out.Total = int(dara.Int32Value(resp.Body.TotalCount))
	out.NextToken, out.Rest = pageLinks(num, size, out.Total, len(out.Items))
	return out, nil
}
