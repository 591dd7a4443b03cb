package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/listing"
)

// AccountFields are the fields account lists filter and sort on.
var AccountFields = listing.Fields{
	"id": "id", "name": "name", "provider": "provider", "brand": "brand", "status": "status",
	"health_status": "health_status", "sync_status": "sync_status", "enabled": "enabled",
	"account": "account", "account_id": "account_id", "cloud_env": "cloud_env", "domain_id": "domain_id",
	"project_id": "project_id", "tenant_id": "project_id", "created_at": "created_at", "updated_at": "updated_at",
	"share_mode": "share_mode", "public_scope": "public_scope",
}

// ListAccounts returns the accounts a scope may see.
func (s *Service) ListAccounts(ctx context.Context, sc Scope, p listing.Params) (listing.Page[Account], error) {
	var out []Account
	q := accountScope(s.db.NewSelect().Model(&out), sc)
	if len(p.Order) == 0 {
		p.Order = []listing.Order{{Field: "created_at", Desc: true}, {Field: "id"}}
	}
	q, err := p.Apply(q, AccountFields)
	if err != nil {
		return listing.Page[Account]{}, err
	}
	n, err := q.ScanAndCount(ctx)
	if err != nil {
		return listing.Page[Account]{}, err
	}
	if out == nil {
		out = []Account{}
	}
	return listing.Page[Account]{Items: out, Total: int(n), Offset: p.Offset, Limit: p.Limit}, nil
}

// ResourceFilter narrows a resource list beyond the generic filters.
type ResourceFilter struct {
	AccountID    string
	ProviderID   string
	Provider     string
	RegionID     string // cloudregion id
	ZoneID       string
	Status       []string
	ProjectID    string
	NameContains string
	IP           string
	Tags         map[string]string
	WithDeleted  bool
	// WithData loads each row's full driver object (Data).
	WithData bool
}

// ResourceFields are the fields resource lists filter and sort on.
var ResourceFields = listing.Fields{
	"id": "id", "name": "name", "status": "status", "external_id": "external_id",
	"cloudaccount_id": "cloudaccount_id", "account_id": "cloudaccount_id", "manager_id": "cloudprovider_id",
	"cloudprovider_id": "cloudprovider_id", "cloudregion_id": "cloudregion_id", "zone_id": "zone_id",
	"project_id": "project_id", "tenant_id": "project_id", "domain_id": "domain_id", "instance_type": "instance_type",
	"cpu": "cpu", "vcpu_count": "cpu", "memory_mb": "memory_mb", "vmem_size": "memory_mb", "size_gb": "size_gb",
	"ips": "ips", "charge_type": "charge_type", "billing_type": "charge_type", "created_at": "created_at",
	"updated_at": "updated_at", "vpc_external_id": "vpc_external_id",
}

func resourceScope(q *bun.SelectQuery, sc Scope) *bun.SelectQuery {
	if sc.System {
		return q
	}
	return q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		if sc.DomainID != "" {
			q = q.WhereOr("r.domain_id = ?", sc.DomainID)
		}
		if len(sc.ProjectIDs) > 0 {
			q = q.WhereOr("r.project_id IN (?)", bun.List(sc.ProjectIDs))
		}
		if sc.DomainID == "" && len(sc.ProjectIDs) == 0 {
			q = q.Where("1 = 0")
		}
		return q
	})
}

// ListResources returns a page of one kind's resources visible to the scope.
func (s *Service) ListResources(ctx context.Context, sc Scope, k Kind, f ResourceFilter, p listing.Params) (listing.Page[Resource], error) {
	var out []Resource
	q := s.db.NewSelect().Model(&out).Where("r.kind = ?", k)
	q = resourceScope(q, sc)
	if !f.WithDeleted {
		q = q.Where("r.deleted_at IS NULL")
	}
	if f.AccountID != "" {
		q = q.Where("r.cloudaccount_id = ?", f.AccountID)
	}
	if f.ProviderID != "" {
		q = q.Where("r.cloudprovider_id = ?", f.ProviderID)
	}
	if f.Provider != "" {
		q = q.Where("r.cloudaccount_id IN (?)", s.db.NewSelect().Model((*Account)(nil)).Column("id").Where("provider = ?", f.Provider))
	}
	if f.RegionID != "" {
		q = q.Where("r.cloudregion_id = ?", f.RegionID)
	}
	if f.ZoneID != "" {
		q = q.Where("r.zone_id = ?", f.ZoneID)
	}
	if len(f.Status) > 0 {
		q = q.Where("r.status IN (?)", bun.List(f.Status))
	}
	if f.ProjectID != "" {
		q = q.Where("r.project_id = ?", f.ProjectID)
	}
	if f.NameContains != "" {
		q = listing.WhereILike(q, bun.Ident("r.name"), "%"+listing.LikeEscape(f.NameContains)+"%")
	}
	if f.IP != "" {
		q = q.Where("(r.ips = ? OR r.ips LIKE ? OR r.ips LIKE ? OR r.ips LIKE ?)", f.IP, f.IP+",%", "%,"+f.IP, "%,"+f.IP+",%")
	}
	for k, v := range f.Tags {
		// Tags are stored as canonical JSON; "key":"value" is an exact match.
		q = q.Where("r.tags LIKE ? ESCAPE '\\'", "%"+listing.LikeEscape(fmt.Sprintf("%q:%q", k, v))+"%")
	}
	if len(p.Order) == 0 {
		p.Order = []listing.Order{{Field: "created_at", Desc: true}, {Field: "id", Desc: true}}
	}
	q, err := p.Apply(q, ResourceFields)
	if err != nil {
		return listing.Page[Resource]{}, err
	}
	n, err := q.ScanAndCount(ctx)
	if err != nil {
		return listing.Page[Resource]{}, fmt.Errorf("list %s: %w", k, err)
	}
	if out == nil {
		out = []Resource{}
	}
	if f.WithData {
		if err := s.LoadData(ctx, out); err != nil {
			return listing.Page[Resource]{}, err
		}
	}
	return listing.Page[Resource]{Items: out, Total: int(n), Offset: p.Offset, Limit: p.Limit}, nil
}

// GetResource returns one resource by id, external id or name.
func (s *Service) GetResource(ctx context.Context, sc Scope, k Kind, idOrName string) (*Resource, error) {
	r := new(Resource)
	q := s.db.NewSelect().Model(r).Where("r.kind = ?", k).Where("r.deleted_at IS NULL").
		Where("(r.id = ? OR r.external_id = ? OR r.name = ?)", idOrName, idOrName, idOrName)
	err := resourceScope(q, sc).OrderExpr("r.id = ? DESC", idOrName).Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFoundf(string(k), idOrName)
	}
	if err != nil {
		return nil, err
	}
	rows := []Resource{*r}
	if err := s.LoadData(ctx, rows); err != nil {
		return nil, err
	}
	return &rows[0], nil
}

// Region returns a region by id or external id.
func (s *Service) Region(ctx context.Context, id string) (*Region, error) {
	r := new(Region)
	err := s.db.NewSelect().Model(r).Where("id = ? OR external_id = ?", id, id).Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFoundf("cloudregion", id)
	}
	return r, err
}

// Regions lists regions, optionally of one provider.
func (s *Service) Regions(ctx context.Context, provider string) ([]Region, error) {
	var out []Region
	q := s.db.NewSelect().Model(&out).Order("provider", "region_id")
	if provider != "" {
		q = q.Where("provider = ?", provider)
	}
	err := q.Scan(ctx)
	return out, err
}

// Zones lists zones, optionally of one region.
func (s *Service) Zones(ctx context.Context, regionID string) ([]Zone, error) {
	var out []Zone
	q := s.db.NewSelect().Model(&out).Order("external_id")
	if regionID != "" {
		q = q.Where("cloudregion_id = ?", regionID)
	}
	err := q.Scan(ctx)
	return out, err
}

// Providers lists the cloud providers (sub-accounts) of visible accounts.
func (s *Service) Providers(ctx context.Context, sc Scope, accountID string) ([]CloudProvider, error) {
	var out []CloudProvider
	q := s.db.NewSelect().Model(&out).Order("created_at")
	if !sc.System {
		q = q.Where("cloudaccount_id IN (?)", accountScope(s.db.NewSelect().Model((*Account)(nil)).Column("id"), sc))
	}
	if accountID != "" {
		q = q.Where("cloudaccount_id = ?", accountID)
	}
	err := q.Scan(ctx)
	return out, err
}

// ProviderRegions lists which regions each provider syncs.
func (s *Service) ProviderRegions(ctx context.Context, accountID string) ([]ProviderRegion, error) {
	var out []ProviderRegion
	q := s.db.NewSelect().Model(&out)
	if accountID != "" {
		q = q.Where("cloudaccount_id = ?", accountID)
	}
	err := q.Scan(ctx)
	return out, err
}

// Statistics counts a kind's resources: Total and Count the ones a list
// with the same filter shows, ByStatus and the sums the live ones by status.
type Statistics struct {
	Total      int              `json:"total"`
	Count      int              `json:"count"`
	ByStatus   map[string]int64 `json:"by_status"`
	SizeGB     int64            `json:"size_gb"`
	VCPUCount  int64            `json:"vcpu_count"`
	VMemSizeMB int64            `json:"vmem_size_mb"`
}

// Statistics counts a kind's visible resources, in all and by status, with
// their total size where the kind has one.
func (s *Service) Statistics(ctx context.Context, sc Scope, k Kind, f ResourceFilter) (*Statistics, error) {
	page, err := s.ListResources(ctx, sc, k, f, listing.Params{Limit: 1})
	if err != nil {
		return nil, err
	}
	var rows []struct {
		Status string `bun:"status"`
		N      int64  `bun:"n"`
		Size   int64  `bun:"size"`
		CPU    int64  `bun:"cpu"`
		Mem    int64  `bun:"mem"`
	}
	q := s.db.NewSelect().Model((*Resource)(nil)).Column("r.status").
		ColumnExpr("COUNT(*) AS n, COALESCE(SUM(r.size_gb), 0) AS size, COALESCE(SUM(r.cpu), 0) AS cpu, COALESCE(SUM(r.memory_mb), 0) AS mem").
		Where("r.kind = ?", k).Where("r.deleted_at IS NULL").Group("r.status")
	if f.AccountID != "" {
		q = q.Where("r.cloudaccount_id = ?", f.AccountID)
	}
	if f.RegionID != "" {
		q = q.Where("r.cloudregion_id = ?", f.RegionID)
	}
	if err := resourceScope(q, sc).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	byStatus := map[string]int64{}
	var size, cpu, mem int64
	for _, r := range rows {
		byStatus[r.Status] = r.N
		size, cpu, mem = size+r.Size, cpu+r.CPU, mem+r.Mem
	}
	return &Statistics{Total: page.Total, Count: page.Total, ByStatus: byStatus, SizeGB: size, VCPUCount: cpu, VMemSizeMB: mem}, nil
}
