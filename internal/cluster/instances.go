package cluster

import (
	"context"
	"database/sql"
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

// ListInstances returns a page of cluster instances, newest first.
func (s *Service) ListInstances(ctx context.Context, sc inventory.Scope, q InstanceQuery) (listing.Page[Instance], error) {
	var out []Instance
	sel := scoped(s.db.NewSelect().Model(&out), "ci", sc)
	if q.AccountKey != "" {
		sel = sel.Where("ci.account_key = ?", q.AccountKey)
	}
	if q.InstanceID != "" {
		sel = sel.Where("ci.instance_id = ?", q.InstanceID)
	}
	if q.IP != "" {
		sel = sel.Where("(ci.ip_inner = ? OR ci.ip_outer = ?)", q.IP, q.IP)
	}
	if q.Provider != "" {
		c, ok := cloud.Canonical(q.Provider)
		if !ok {
			return listing.Page[Instance]{}, errs.Field("provider", fmt.Sprintf("unknown provider %q", q.Provider))
		}
		sel = sel.Where("ci.provider = ?", c)
	}
	if q.ClusterName != "" {
		sel = sel.Where("ci.cluster_name = ?", q.ClusterName)
	}
	if len(q.Statuses) > 0 {
		var sts []string
		for _, st := range q.Statuses {
			st = strings.ToLower(strings.TrimSpace(st))
			if st == "" {
				continue
			}
			if !slices.Contains(instanceStatuses, st) {
				return listing.Page[Instance]{}, errs.Field("status", fmt.Sprintf("%q is not one of %s", st, strings.Join(instanceStatuses, ", ")))
			}
			sts = append(sts, st)
		}
		if len(sts) > 0 {
			sel = sel.Where("ci.status IN (?)", bun.List(sts))
		}
	}
	sel = sel.Order("ci.created_at DESC", "ci.instance_id DESC")
	sel = pageOf(sel, q.Page)
	n, err := sel.ScanAndCount(ctx)
	if err != nil {
		return listing.Page[Instance]{}, fmt.Errorf("list cluster instances: %w", err)
	}
	if out == nil {
		out = []Instance{}
	}
	return listing.Page[Instance]{Items: out, Total: int(n), Offset: q.Page.Offset, Limit: q.Page.Limit}, nil
}

// GetInstance returns one cluster instance by its cloud id.
func (s *Service) GetInstance(ctx context.Context, sc inventory.Scope, instanceID string) (*Instance, error) {
	if instanceID == "" {
		return nil, errs.Field("instance_id", "required")
	}
	in := new(Instance)
	err := scoped(s.db.NewSelect().Model(in).Where("ci.instance_id = ?", instanceID), "ci", sc).
		Order("ci.created_at DESC").Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFoundf("instance", instanceID)
	}
	return in, err
}

// CountRunning counts running cluster instances, optionally of one account
// key or cluster.
func (s *Service) CountRunning(ctx context.Context, sc inventory.Scope, accountKey, clusterName string) (int, error) {
	q := scoped(s.db.NewSelect().Model((*Instance)(nil)).Where("ci.status = ?", InstanceRunning), "ci", sc)
	if accountKey != "" {
		q = q.Where("ci.account_key = ?", accountKey)
	}
	if clusterName != "" {
		q = q.Where("ci.cluster_name = ?", clusterName)
	}
	return count(ctx, q)
}

// NetworkNames returns the names of an instance's VPC, subnet and security
// group as the inventory knows them (their ids when it does not).
func (s *Service) NetworkNames(ctx context.Context, sc inventory.Scope, in *Instance) (vpc, subnet, sg string) {
	var nc NetworkConfig
	if c := (&Cluster{Network: in.Network}); len(in.Network) > 0 {
		nc = c.NetworkOf()
	}
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

// StorageOf decodes an instance's disks.
func (in *Instance) StorageOf() Disks {
	c := &Cluster{Disks: in.Storage}
	return c.DisksOf()
}
