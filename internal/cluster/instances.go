package cluster

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/uptrace/bun"

	"github.com/skyfold/skyfold/internal/cloud"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/inventory"
	"github.com/skyfold/skyfold/internal/listing"
)

// instanceStatuses are the statuses an instance filter accepts.
var instanceStatuses = []string{InstancePending, InstanceRunning, InstanceFailed, InstanceDeleting, InstanceDeleted}

// InstanceQuery filters ListInstances. Empty fields do not filter.
type InstanceQuery struct {
	AccountKey  string
	InstanceID  string
	IP          string // inner or outer, exact
	Provider    string
	ClusterName string
	Statuses    []string // any of instanceStatuses, any letter case
	Page        listing.Params
}

// instanceSelect selects cluster instances together with what the
// inventory's row says of each: the cluster owns membership and lifecycle
// only, the inventory everything the cloud reports.
func (s *Service) instanceSelect(dst any) *bun.SelectQuery {
	return s.db.NewSelect().Model(dst).ColumnExpr("cm.*").
		ColumnExpr("r.cloudaccount_id, r.external_id AS instance_id, r.zone_id, r.instance_type, r.charge_type").
		ColumnExpr("COALESCE(g.provider, '') AS provider, COALESCE(g.region_id, '') AS region_id, COALESCE(d.data, '{}') AS data").
		Join("JOIN resources AS r ON r.id = cm.resource_id").
		Join("LEFT JOIN cloudregions AS g ON g.id = r.cloudregion_id").
		Join("LEFT JOIN resource_data AS d ON d.id = r.id")
}

// fill decodes what BridgX shows of the cloud's object: its image, first
// inner and outer address and network.
func (in *Instance) fill() {
	var o cloud.Instance
	_ = json.Unmarshal(in.Data, &o)
	in.ImageID = o.ImageID
	in.IPInner, in.IPOuter = "", ""
	if len(o.PrivateIPs) > 0 {
		in.IPInner = o.PrivateIPs[0]
	}
	if len(o.PublicIPs) > 0 {
		in.IPOuter = o.PublicIPs[0]
	}
	in.Network = NetworkConfig{VPCID: o.VPCID, SubnetID: o.SubnetID}
	if len(o.SecurityGroupIDs) > 0 {
		in.Network.SecurityGroupID = o.SecurityGroupIDs[0]
	}
}

func fillAll(ins []Instance) {
	for i := range ins {
		ins[i].fill()
	}
}

// ipMatch narrows a query on resources (alias r) to rows holding ip among
// their addresses.
func ipMatch(q *bun.SelectQuery, ips ...string) *bun.SelectQuery {
	return q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		for _, ip := range ips {
			esc := strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(ip)
			q = q.WhereOr("(',' || r.ips || ',') LIKE ? ESCAPE '\\'", "%,"+esc+",%")
		}
		return q
	})
}

// ListInstances returns a page of cluster instances, newest first.
func (s *Service) ListInstances(ctx context.Context, sc inventory.Scope, q InstanceQuery) (listing.Page[Instance], error) {
	var out []Instance
	sel := scoped(s.instanceSelect(&out), "cm", sc)
	if q.AccountKey != "" {
		sel = sel.Where("cm.account_key = ?", q.AccountKey)
	}
	if q.InstanceID != "" {
		sel = sel.Where("r.external_id = ?", q.InstanceID)
	}
	if q.IP != "" {
		sel = ipMatch(sel, q.IP)
	}
	if q.Provider != "" {
		c, ok := cloud.Canonical(q.Provider)
		if !ok {
			return listing.Page[Instance]{}, errs.Field("provider", fmt.Sprintf("unknown provider %s", quoted(q.Provider)))
		}
		sel = sel.Where("g.provider = ?", c)
	}
	if q.ClusterName != "" {
		sel = sel.Where("cm.cluster_name = ?", q.ClusterName)
	}
	if len(q.Statuses) > 0 {
		var sts []string
		for _, st := range q.Statuses {
			st = strings.ToLower(strings.TrimSpace(st))
			if st == "" {
				continue
			}
			if !slices.Contains(instanceStatuses, st) {
				return listing.Page[Instance]{}, errs.Field("status", fmt.Sprintf("%s is not one of %s", quoted(st), strings.Join(instanceStatuses, ", ")))
			}
			sts = append(sts, st)
		}
		if len(sts) > 0 {
			sel = sel.Where("cm.status IN (?)", bun.List(sts))
		}
	}
	sel = sel.Order("cm.created_at DESC", "r.external_id DESC")
	sel = pageOf(sel, q.Page)
	n, err := sel.ScanAndCount(ctx)
	if err != nil {
		return listing.Page[Instance]{}, fmt.Errorf("list cluster instances: %w", err)
	}
	if out == nil {
		out = []Instance{}
	}
	fillAll(out)
	return listing.Page[Instance]{Items: out, Total: int(n), Offset: q.Page.Offset, Limit: q.Page.Limit}, nil
}

// GetInstance returns one cluster instance by its cloud id, with its disks.
func (s *Service) GetInstance(ctx context.Context, sc inventory.Scope, instanceID string) (*Instance, error) {
	if instanceID == "" {
		return nil, errs.Field("instance_id", "required")
	}
	in := new(Instance)
	err := scoped(s.instanceSelect(in).Where("r.external_id = ?", instanceID), "cm", sc).
		Order("cm.created_at DESC").Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFoundf("instance", instanceID)
	}
	if err != nil {
		return nil, err
	}
	in.fill()
	in.Storage, err = s.storageOf(ctx, in)
	return in, err
}

// storageOf returns an instance's disks as the inventory knows them once a
// sync has seen them, else as its cluster asked for them.
func (s *Service) storageOf(ctx context.Context, in *Instance) (Disks, error) {
	var rows []struct {
		Data json.RawMessage `bun:"data"`
	}
	err := s.db.NewSelect().TableExpr("resources AS r").ColumnExpr("d.data").Join("JOIN resource_data AS d ON d.id = r.id").
		Where("r.cloudaccount_id = ?", in.CloudaccountID).Where("r.kind = ?", inventory.KindDisk).
		Where("r.parent_external_id = ?", in.InstanceID).Where("r.deleted_at IS NULL").Order("r.created_at", "r.id").Scan(ctx, &rows)
	if err != nil {
		return Disks{}, err
	}
	var d Disks
	for _, r := range rows {
		var disk cloud.Disk
		if json.Unmarshal(r.Data, &disk) != nil {
			continue
		}
		if disk.Type == "system" {
			d.SystemDisk = Disk{Category: disk.Category, Size: disk.SizeGiB}
		} else {
			d.DataDisks = append(d.DataDisks, Disk{Category: disk.Category, Size: disk.SizeGiB})
		}
	}
	if d.SystemDisk.Category != "" {
		return d, nil
	}
	var raw []json.RawMessage
	if err := s.db.NewSelect().Model((*Cluster)(nil)).Column("disks").Where("id = ?", in.ClusterID).Scan(ctx, &raw); err != nil || len(raw) == 0 {
		return Disks{}, err
	}
	return (&Cluster{Disks: raw[0]}).DisksOf(), nil
}

// CountRunning counts running cluster instances, optionally of one account
// key or cluster.
func (s *Service) CountRunning(ctx context.Context, sc inventory.Scope, accountKey, clusterName string) (int, error) {
	q := scoped(s.db.NewSelect().Model((*Instance)(nil)).Where("cm.status = ?", InstanceRunning), "cm", sc)
	if accountKey != "" {
		q = q.Where("cm.account_key = ?", accountKey)
	}
	if clusterName != "" {
		q = q.Where("cm.cluster_name = ?", clusterName)
	}
	return count(ctx, q)
}

// NetworkNames returns the names of an instance's VPC, subnet and security
// group as the inventory knows them (their ids when it does not).
func (s *Service) NetworkNames(ctx context.Context, sc inventory.Scope, in *Instance) (vpc, subnet, sg string) {
	nc := in.Network
	name := func(k inventory.Kind, id string) string {
		if id == "" {
			return ""
		}
		if r, err := s.resourceByExternalID(ctx, sc, k, id, nil); err == nil && r.Name != "" {
			return r.Name
		}
		return id
	}
	return name(inventory.KindVPC, nc.VPCID), name(inventory.KindNetwork, nc.SubnetID), name(inventory.KindSecgroup, nc.SecurityGroupID)
}

// StorageOf is the instance's disks (filled by GetInstance).
func (in *Instance) StorageOf() Disks { return in.Storage }
