package inventory

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/skyfold/skyfold/internal/cloud"
)

// pageSize 0 lets each driver use the largest page each API allows.
const pageSize = 0

// fetchKind lists every object of a kind in a region through the driver.
func fetchKind(ctx context.Context, rc cloud.RegionClient, k Kind) ([]any, error) {
	switch k {
	case KindVPC:
		return collect(ctx, func(ctx context.Context, p cloud.PageRequest) (cloud.Page[cloud.VPC], error) {
			return rc.ListVPCs(ctx, p)
		})
	case KindNetwork:
		return collect(ctx, func(ctx context.Context, p cloud.PageRequest) (cloud.Page[cloud.Subnet], error) {
			return rc.ListSubnets(ctx, cloud.SubnetQuery{}, p)
		})
	case KindEIP:
		return collect(ctx, func(ctx context.Context, p cloud.PageRequest) (cloud.Page[cloud.EIP], error) {
			return rc.ListEIPs(ctx, p)
		})
	case KindSecgroup:
		return collect(ctx, func(ctx context.Context, p cloud.PageRequest) (cloud.Page[cloud.SecurityGroup], error) {
			return rc.ListSecurityGroups(ctx, cloud.SecurityGroupQuery{}, p)
		})
	case KindDisk:
		return collect(ctx, func(ctx context.Context, p cloud.PageRequest) (cloud.Page[cloud.Disk], error) {
			return rc.ListDisks(ctx, cloud.DiskQuery{}, p)
		})
	case KindServer:
		return collect(ctx, func(ctx context.Context, p cloud.PageRequest) (cloud.Page[cloud.Instance], error) {
			return rc.ListInstances(ctx, cloud.InstanceQuery{}, p)
		})
	case KindSnapshot:
		return collect(ctx, func(ctx context.Context, p cloud.PageRequest) (cloud.Page[cloud.Snapshot], error) {
			return rc.ListSnapshots(ctx, cloud.SnapshotQuery{}, p)
		})
	case KindBucket:
		bs, err := rc.ListBuckets(ctx)
		out := make([]any, len(bs))
		for i := range bs {
			out[i] = bs[i]
		}
		return out, err
	case KindDBInstance:
		return collect(ctx, func(ctx context.Context, p cloud.PageRequest) (cloud.Page[cloud.Database], error) {
			return rc.ListDatabases(ctx, p)
		})
	case KindElasticCache:
		return collect(ctx, func(ctx context.Context, p cloud.PageRequest) (cloud.Page[cloud.Cache], error) {
			return rc.ListCaches(ctx, p)
		})
	case KindKafka:
		return collect(ctx, func(ctx context.Context, p cloud.PageRequest) (cloud.Page[cloud.Kafka], error) {
			return rc.ListKafkas(ctx, p)
		})
	}
	return nil, cloud.NotSupported("", string(k))
}

func collect[T any](ctx context.Context, list cloud.ListFunc[T]) ([]any, error) {
	items, err := cloud.Collect(ctx, pageSize, list)
	out := make([]any, len(items))
	for i := range items {
		out[i] = items[i]
	}
	return out, err
}

// toResource maps a driver object onto a resource row.
func toResource(o any, a *Account, providerID, regionID string) Resource {
	r := Resource{CloudaccountID: a.ID, CloudproviderID: providerID, CloudregionID: regionID,
		DomainID: a.DomainID, ProjectID: a.ProjectID}
	var m cloud.Meta
	switch v := o.(type) {
	case cloud.VPC:
		m, r.Kind, r.VPCExternalID = v.Meta, KindVPC, v.ID
	case cloud.Subnet:
		m, r.Kind, r.VPCExternalID = v.Meta, KindNetwork, v.VPCID
	case cloud.EIP:
		m, r.Kind, r.ParentExternalID, r.IPs, r.ChargeType = v.Meta, KindEIP, v.InstanceID, v.Address, string(v.ChargeType)
	case cloud.SecurityGroup:
		m, r.Kind, r.VPCExternalID = v.Meta, KindSecgroup, v.VPCID
	case cloud.Disk:
		m, r.Kind, r.ParentExternalID, r.SizeGB, r.ChargeType = v.Meta, KindDisk, v.InstanceID, v.SizeGiB, string(v.ChargeType)
	case cloud.Instance:
		m, r.Kind = v.Meta, KindServer
		r.VPCExternalID, r.InstanceType, r.CPU, r.MemoryMB = v.VPCID, v.InstanceType, v.CPU, v.MemoryMiB
		r.IPs = strings.Join(append(append([]string{}, v.PrivateIPs...), v.PublicIPs...), ",")
		r.ChargeType = string(v.ChargeType)
	case cloud.Snapshot:
		m, r.Kind, r.ParentExternalID, r.SizeGB = v.Meta, KindSnapshot, v.DiskID, v.SizeGiB
	case cloud.Bucket:
		m, r.Kind = v.Meta, KindBucket
	case cloud.Database:
		m, r.Kind, r.VPCExternalID, r.InstanceType = v.Meta, KindDBInstance, v.VPCID, v.InstanceClass
		r.CPU, r.MemoryMB, r.SizeGB, r.ChargeType = v.CPU, v.MemoryMiB, v.StorageGiB, string(v.ChargeType)
	case cloud.Cache:
		m, r.Kind, r.VPCExternalID, r.InstanceType = v.Meta, KindElasticCache, v.VPCID, v.InstanceClass
		r.MemoryMB, r.ChargeType = v.CapacityMiB, string(v.ChargeType)
	case cloud.Kafka:
		m, r.Kind, r.VPCExternalID, r.SizeGB, r.ChargeType = v.Meta, KindKafka, v.VPCID, v.DiskGiB, string(v.ChargeType)
	default: // hosts, storages, backups of private clouds: see private.go
		m, _ = privateResource(o, a, &r)
	}
	r.ExternalID, r.GlobalID, r.Name, r.ZoneID = m.ID, m.GlobalID, m.Name, m.ZoneID
	r.Status, r.RawStatus = string(m.Status), m.RawStatus
	if r.Name == "" {
		r.Name = m.ID
	}
	if !m.CreatedAt.IsZero() {
		t := m.CreatedAt.UTC().Truncate(time.Millisecond)
		r.CloudCreatedAt = &t
	}
	tags := m.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	r.Tags, _ = json.Marshal(tags)
	r.Data, _ = json.Marshal(o)
	r.Fingerprint = fingerprint(r.Data)
	return r
}
