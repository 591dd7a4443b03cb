package inventory

import (
	gojson "github.com/goccy/go-json"

	"context"
	"strings"
	"time"

	"github.com/skyfold/skyfold/internal/cloud"
)

// pageSize 0 lets each driver use the largest page each API allows.
const pageSize = 0

// listParallel is how many pages of one listing are fetched at once when
// the cloud allows it (cloud.ForEachPage); the account's pacing still
// bounds the request rate.
const listParallel = 4

// pageFunc receives one page of a listing as rows, with the total the cloud
// reported (-1 if none). It may be called concurrently.
type pageFunc func(total int, rows []Resource) error

// streamKind lists every object of a kind in a region through the driver,
// converting each page to rows (in the goroutine that fetched it) and
// handing them to fn.
func streamKind(ctx context.Context, rc cloud.RegionClient, k Kind, conv func(any) Resource, fn pageFunc) error {
	switch k {
	case KindVPC:
		return stream(ctx, conv, fn, func(ctx context.Context, p cloud.PageRequest) (cloud.Page[cloud.VPC], error) {
			return rc.ListVPCs(ctx, p)
		})
	case KindNetwork:
		return stream(ctx, conv, fn, func(ctx context.Context, p cloud.PageRequest) (cloud.Page[cloud.Subnet], error) {
			return rc.ListSubnets(ctx, cloud.SubnetQuery{}, p)
		})
	case KindEIP:
		return stream(ctx, conv, fn, func(ctx context.Context, p cloud.PageRequest) (cloud.Page[cloud.EIP], error) {
			return rc.ListEIPs(ctx, p)
		})
	case KindSecgroup:
		return stream(ctx, conv, fn, func(ctx context.Context, p cloud.PageRequest) (cloud.Page[cloud.SecurityGroup], error) {
			return rc.ListSecurityGroups(ctx, cloud.SecurityGroupQuery{}, p)
		})
	case KindDisk:
		return stream(ctx, conv, fn, func(ctx context.Context, p cloud.PageRequest) (cloud.Page[cloud.Disk], error) {
			return rc.ListDisks(ctx, cloud.DiskQuery{}, p)
		})
	case KindServer:
		return stream(ctx, conv, fn, func(ctx context.Context, p cloud.PageRequest) (cloud.Page[cloud.Instance], error) {
			return rc.ListInstances(ctx, cloud.InstanceQuery{}, p)
		})
	case KindSnapshot:
		return stream(ctx, conv, fn, func(ctx context.Context, p cloud.PageRequest) (cloud.Page[cloud.Snapshot], error) {
			return rc.ListSnapshots(ctx, cloud.SnapshotQuery{}, p)
		})
	case KindBucket:
		bs, err := rc.ListBuckets(ctx)
		if err != nil {
			return err
		}
		return fn(len(bs), convertAll(bs, conv))
	case KindDBInstance:
		return stream(ctx, conv, fn, func(ctx context.Context, p cloud.PageRequest) (cloud.Page[cloud.Database], error) {
			return rc.ListDatabases(ctx, p)
		})
	case KindElasticCache:
		return stream(ctx, conv, fn, func(ctx context.Context, p cloud.PageRequest) (cloud.Page[cloud.Cache], error) {
			return rc.ListCaches(ctx, p)
		})
	case KindKafka:
		return stream(ctx, conv, fn, func(ctx context.Context, p cloud.PageRequest) (cloud.Page[cloud.Kafka], error) {
			return rc.ListKafkas(ctx, p)
		})
	}
	return cloud.NotSupported("", string(k))
}

func stream[T any](ctx context.Context, conv func(any) Resource, fn pageFunc, list cloud.ListFunc[T]) error {
	return cloud.ForEachPage(ctx, pageSize, listParallel, list, func(p cloud.Page[T]) error {
		return fn(p.Total, convertAll(p.Items, conv))
	})
}

func convertAll[T any](items []T, conv func(any) Resource) []Resource {
	rows := make([]Resource, len(items))
	for i := range items {
		rows[i] = conv(items[i])
	}
	return rows
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
	// The fast encoder sorts map keys like encoding/json, so fingerprints
	// stay stable across syncs.
	r.Tags, _ = gojson.Marshal(tags)
	r.Data, _ = gojson.Marshal(o)
	r.Fingerprint = fingerprint(r.Data)
	return r
}
