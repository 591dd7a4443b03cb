package inventory

// Private clouds. A private cloud (StarVCenter) shows more than the provider
// SPI describes: the physical hosts and storage pools under the tenant's
// VMs, whole-VM backups, the tenant's quota and the VM console. Drivers
// offer these as the cloud package's optional capabilities (cloud.Hosts,
// cloud.Backups, cloud.Quotas, cloud.Console, ...), found with cloud.As so
// that the calls keep the account's retry and pacing; this file is the one
// place of the inventory that syncs and reads them. The sync engine asks
// syncKinds which extra kinds a provider has and streamAny to list them;
// toResource asks privateResource to map their objects.

import (
	"context"
	"fmt"
	"slices"

	"github.com/uptrace/bun"

	"github.com/skyfold/skyfold/internal/cloud"
	"github.com/skyfold/skyfold/internal/errs"
)

// KindBackup is a whole-VM backup of a private cloud. Backups are kept apart
// from snapshots (their own kind, served as Cloudpods' instancebackups)
// because they live on backup storage, outlive the VM's disks and are
// restored differently; a StarVCenter VM snapshot is a KindSnapshot.
const KindBackup Kind = "backup"

// extensionKinds are the kinds synced only for private clouds, after every
// SPI kind (backups need the servers synced first).
var extensionKinds = []Kind{KindHost, KindStorage, KindBackup}

// isPrivateKind reports whether k is synced only for private clouds.
func isPrivateKind(k Kind) bool { return slices.Contains(extensionKinds, k) }

// syncKinds lists the kinds a provider's sync covers, in order: SyncOrder,
// then the extension kinds for a private cloud — a provider that shows its
// platform's hosts.
func syncKinds(drv cloud.Provider) []Kind {
	if _, ok := cloud.As[cloud.Hosts](drv); ok {
		return append(slices.Clone(SyncOrder), extensionKinds...)
	}
	return SyncOrder
}

// allKinds is every kind a sync may report on, in order.
func allKinds() []Kind { return append(slices.Clone(SyncOrder), extensionKinds...) }

// streamAny lists every object of a kind in a region and hands the rows to
// fn: SPI kinds page by page through the region client, extension kinds at
// once through the region's (or else the provider's) capabilities.
func (s *Service) streamAny(ctx context.Context, drv cloud.Provider, rc cloud.RegionClient, a *Account, regionID string, k Kind, conv func(any) Resource, fn pageFunc) error {
	if !isPrivateKind(k) {
		return streamKind(ctx, rc, k, conv, fn)
	}
	out, err := s.fetchPrivate(ctx, drv, rc, a, regionID, k)
	if err != nil {
		return err
	}
	return fn(len(out), convertAll(out, conv))
}

// capabilityOf finds capability T on a region client, or else on its
// provider (platform-wide capabilities of a private cloud).
func capabilityOf[T any](drv cloud.Provider, rc cloud.RegionClient) (T, bool) {
	if c, ok := cloud.As[T](rc); ok {
		return c, true
	}
	return cloud.As[T](drv)
}

// fetchPrivate lists an extension kind through the cloud's capabilities.
func (s *Service) fetchPrivate(ctx context.Context, drv cloud.Provider, rc cloud.RegionClient, a *Account, regionID string, k Kind) ([]any, error) {
	var out []any
	switch k {
	case KindHost, KindStorage:
		x, ok := capabilityOf[cloud.Hosts](drv, rc)
		if !ok {
			return nil, cloud.NotSupported(drv.Name(), string(k))
		}
		if k == KindStorage {
			ss, err := x.Storages(ctx)
			if err != nil {
				return nil, err
			}
			for _, st := range ss {
				out = append(out, st)
			}
			return out, nil
		}
		hs, err := x.Hosts(ctx)
		if err != nil {
			return nil, err
		}
		for _, h := range hs {
			out = append(out, h)
		}
	case KindBackup:
		x, ok := capabilityOf[cloud.Backups](drv, rc)
		if !ok {
			return nil, cloud.NotSupported(drv.Name(), string(k))
		}
		// Backups are listed per VM; the VMs are the ones just synced.
		var vms []string
		if err := s.db.NewSelect().Model((*Resource)(nil)).Column("external_id").
			Where("cloudaccount_id = ?", a.ID).Where("cloudregion_id = ?", regionID).Where("kind = ?", KindServer).
			Where("deleted_at IS NULL").Scan(ctx, &vms); err != nil {
			return nil, err
		}
		for _, vm := range vms {
			bs, err := x.Backups(ctx, vm)
			if err != nil {
				if cloud.AsDomain(err).Code == errs.NotFound {
					continue // deleted meanwhile, or a row still being created
				}
				return nil, fmt.Errorf("backups of %s: %w", vm, err)
			}
			for _, b := range bs {
				out = append(out, backupObject{VMCopy: b})
			}
		}
	}
	return out, nil
}

// backupObject marks a VM copy as a backup (the SPI uses one type for
// backups and snapshots).
type backupObject struct {
	cloud.VMCopy
}

// privateResource maps an extension object onto r and returns its Meta;
// ok is false for objects it does not know.
func privateResource(o any, a *Account, r *Resource) (m cloud.Meta, ok bool) {
	gid := func(kind, id string) string { return cloud.GlobalID(a.Provider, a.AccountID, kind, id) }
	switch v := o.(type) {
	case cloud.Host:
		m = cloud.Meta{ID: v.ID, GlobalID: gid("host", v.ID), Name: v.Name, Status: v.Status,
			RawStatus: fmt.Sprint(v.State), CreatedAt: v.CreatedAt}
		r.Kind, r.CPU, r.MemoryMB, r.IPs = KindHost, v.CPUCores, v.MemoryGiB*1024, v.IP
	case cloud.Storage:
		m = cloud.Meta{ID: v.ID, GlobalID: gid("storage", v.ID), Name: v.Name, Status: cloud.StatusRunning,
			RawStatus: v.Use, CreatedAt: v.CreatedAt}
		r.Kind, r.SizeGB, r.InstanceType = KindStorage, int(v.SizeGB), v.Type
	case backupObject:
		status, raw := cloud.StatusPending, "creating"
		if v.Enabled {
			status, raw = cloud.StatusRunning, "ready"
		}
		m = cloud.Meta{ID: v.ID, GlobalID: gid("backup", v.ID), Name: v.Name, Status: status, RawStatus: raw,
			Tags: v.Tags, CreatedAt: v.CreatedAt}
		r.Kind, r.ParentExternalID = KindBackup, v.VMID
	default:
		return m, false
	}
	return m, true
}

// notSupported is the error for a private-cloud capability a provider lacks.
func notSupported(what string, a *Account) error {
	return errs.E(errs.NotSupported, "%s is not supported by %s accounts", what, a.Provider)
}

// QuotaItem is one resource of a tenant quota. Limit 0 means unlimited;
// Used then comes from the inventory.
type QuotaItem struct {
	Name      string `json:"name"`
	Unit      string `json:"unit"`
	Limit     int64  `json:"limit"`
	Used      int64  `json:"used"`
	Available int64  `json:"available"`
	Unlimited bool   `json:"unlimited"`
}

// AccountQuota is a private-cloud tenant's quota and usage, as seen through
// one account, with the project the tenant is mapped onto.
type AccountQuota struct {
	AccountID   string      `json:"cloudaccount_id"`
	AccountName string      `json:"cloudaccount"`
	Provider    string      `json:"provider"`
	TenantID    string      `json:"cloud_tenant_id"` // the cloud's tenant, not the owner project
	DomainID    string      `json:"domain_id"`
	ProjectID   string      `json:"project_id"`
	Items       []QuotaItem `json:"items"`
}

// Quota reads the tenant quota of an account the scope may see: a
// StarVCenter tenant's quota and what it uses. Other providers give
// NotSupported.
func (s *Service) Quota(ctx context.Context, sc Scope, accountID string) (*AccountQuota, error) {
	a, err := s.GetVisible(ctx, sc, accountID)
	if err != nil {
		return nil, err
	}
	drv, err := s.Open(ctx, a)
	if err != nil {
		return nil, err
	}
	defer drv.Close()
	x, ok := cloud.As[cloud.Quotas](drv)
	if !ok {
		return nil, notSupported("a tenant quota", a)
	}
	return s.quotaOf(ctx, a, x)
}

// quotaOf reads an account's tenant quota.
func (s *Service) quotaOf(ctx context.Context, a *Account, x cloud.Quotas) (*AccountQuota, error) {
	q, err := x.Quota(ctx)
	if err != nil {
		return nil, cloud.AsDomain(err)
	}
	used, err := s.usage(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	item := func(name, unit string, limit, avail, inv int64) QuotaItem {
		it := QuotaItem{Name: name, Unit: unit, Limit: limit, Available: avail}
		if limit <= 0 {
			it.Unlimited, it.Used, it.Available = true, inv, 0
		} else {
			it.Used = max(limit-avail, 0)
		}
		return it
	}
	return &AccountQuota{AccountID: a.ID, AccountName: a.Name, Provider: a.Provider, TenantID: q.TenantID,
		DomainID: a.DomainID, ProjectID: a.ProjectID, Items: []QuotaItem{
			item("cpu", "core", q.CPU, q.CPUAvailable, used.cpu),
			item("memory", "MB", q.MemoryMB, q.MemoryAvailableMB, used.mem),
			item("storage", "GB", q.StorageGB, q.StorageAvailableGB, used.disk),
			item("eip", "count", q.PublicIPs, q.PublicIPsAvailable, used.eip),
			item("network", "count", q.Networks, q.NetworksAvailable, used.net),
		}}, nil
}

type usage struct{ cpu, mem, disk, eip, net int64 }

// usage sums what the inventory holds of an account, for unlimited quotas.
func (s *Service) usage(ctx context.Context, accountID string) (usage, error) {
	var rows []struct {
		Kind string `bun:"kind"`
		N    int64  `bun:"n"`
		CPU  int64  `bun:"cpu"`
		Mem  int64  `bun:"mem"`
		Size int64  `bun:"size"`
	}
	err := s.db.NewSelect().Model((*Resource)(nil)).Column("r.kind").
		ColumnExpr("COUNT(*) AS n, COALESCE(SUM(r.cpu), 0) AS cpu, COALESCE(SUM(r.memory_mb), 0) AS mem, COALESCE(SUM(r.size_gb), 0) AS size").
		Where("r.cloudaccount_id = ?", accountID).Where("r.deleted_at IS NULL").
		Where("r.kind IN (?)", bun.List([]string{string(KindServer), string(KindDisk), string(KindEIP), string(KindNetwork)})).Group("r.kind").Scan(ctx, &rows)
	var u usage
	for _, r := range rows {
		switch Kind(r.Kind) {
		case KindServer:
			u.cpu, u.mem = r.CPU, r.Mem
		case KindDisk:
			u.disk = r.Size
		case KindEIP:
			u.eip = r.N
		case KindNetwork:
			u.net = r.N
		}
	}
	return u, err
}

// ProjectQuotas lists the tenant quotas of the private-cloud accounts the
// scope may see, optionally of one project. An account whose cloud cannot
// be read is listed with Error set.
func (s *Service) ProjectQuotas(ctx context.Context, sc Scope, projectID string) ([]ProjectQuota, error) {
	var accts []Account
	q := accountScope(s.db.NewSelect().Model(&accts), sc).Where("enabled = TRUE").Where("status <> ?", StatusDeleting).
		Order("created_at", "id")
	if projectID != "" {
		q = q.Where("project_id = ?", projectID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, err
	}
	out := []ProjectQuota{}
	for i := range accts {
		a := &accts[i]
		drv, err := s.Open(ctx, a)
		if err != nil {
			continue
		}
		x, private := cloud.As[cloud.Quotas](drv)
		if !private {
			drv.Close()
			continue
		}
		aq, err := s.quotaOf(ctx, a, x)
		drv.Close()
		if err != nil {
			out = append(out, ProjectQuota{AccountQuota: AccountQuota{AccountID: a.ID, AccountName: a.Name,
				Provider: a.Provider, TenantID: a.Account, DomainID: a.DomainID, ProjectID: a.ProjectID, Items: []QuotaItem{}},
				Error: errs.PublicMessage(err)})
			continue
		}
		out = append(out, ProjectQuota{AccountQuota: *aq})
	}
	return out, nil
}

// ProjectQuota is one account's tenant quota in a project listing.
type ProjectQuota struct {
	AccountQuota
	Error string `json:"error,omitempty"`
}

// ConsoleInfo is how to reach a server's console.
type ConsoleInfo struct {
	Protocol string `json:"protocol"`
	URL      string `json:"url"`
	Host     string `json:"host"`
	Port     int    `json:"port"`
}

// ServerConsole reads a server's remote console connection. It is a plain
// read on the cloud (no cloud task), so it answers at once.
func (s *Service) ServerConsole(ctx context.Context, sc Scope, id string) (*Resource, *ConsoleInfo, error) {
	r, err := s.GetResource(ctx, sc, KindServer, id)
	if err != nil {
		return nil, nil, err
	}
	a, err := s.Get(ctx, r.CloudaccountID)
	if err != nil {
		return nil, nil, err
	}
	drv, rc, err := s.regionClient(ctx, a, r.CloudregionID)
	if err != nil {
		return nil, nil, err
	}
	defer drv.Close()
	x, ok := cloud.As[cloud.Console](rc)
	if !ok {
		return nil, nil, notSupported("the remote console", a)
	}
	v, err := x.Console(ctx, r.ExternalID)
	if err != nil {
		return nil, nil, cloud.AsDomain(err)
	}
	return r, &ConsoleInfo{Protocol: v.Protocol, URL: v.URL, Host: v.Host, Port: v.Port}, nil
}

// regionClient opens an account's driver and the client of one of its
// regions (an inventory region id); close drv when done.
func (s *Service) regionClient(ctx context.Context, a *Account, cloudregionID string) (cloud.Provider, cloud.RegionClient, error) {
	reg, err := s.Region(ctx, cloudregionID)
	if err != nil {
		return nil, nil, err
	}
	drv, err := s.Open(ctx, a)
	if err != nil {
		return nil, nil, err
	}
	rc, err := drv.Region(reg.RegionID)
	if err != nil {
		drv.Close()
		return nil, nil, cloud.AsDomain(err)
	}
	return drv, rc, nil
}
