package cloudpods

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"

	"github.com/danielgtaylor/huma/v2"

	"github.com/skyfold/skyfold/internal/api"
	"github.com/skyfold/skyfold/internal/api/auth"
	"github.com/skyfold/skyfold/internal/cloud"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/inventory"
)

type regionListInput struct {
	ListQuery
	Provider      string `query:"provider"`
	Capability    string `query:"capability" doc:"e.g. objectstore, compute"`
	CloudEnv      string `query:"cloud_env" doc:"public, private or onpremise"`
	Usable        bool   `query:"usable" doc:"only regions some visible account syncs"`
	ProjectDomain string `query:"project_domain"`
	Projecct      string `query:"projecct_domain" doc:"the seed's misspelling of project_domain"`
}

type providerListInput struct {
	ListQuery
	Enabled     string `query:"enabled"`
	ReadOnly    string `query:"read_only"`
	Cloudregion string `query:"cloudregion"`
	Account     string `query:"cloudaccount"`
}

type zoneListInput struct {
	ListQuery
	Cloudregion string `query:"cloudregion"`
	Provider    string `query:"provider"`
}

// usableRegions maps region id → the visible providers that sync it.
func (f *Face) usableRegions(ctx context.Context) (map[string][]inventory.CloudProvider, error) {
	provs, err := f.Inv.Providers(ctx, auth.ScopeOf(ctx), "")
	if err != nil {
		return nil, err
	}
	byID := map[string]inventory.CloudProvider{}
	for _, p := range provs {
		byID[p.ID] = p
	}
	links, err := f.Inv.ProviderRegions(ctx, "")
	if err != nil {
		return nil, err
	}
	out := map[string][]inventory.CloudProvider{}
	for _, l := range links {
		if p, ok := byID[l.CloudproviderID]; ok && l.Enabled && p.Enabled {
			out[l.CloudregionID] = append(out[l.CloudregionID], p)
		}
	}
	return out, nil
}

func (f *Face) regionView(r inventory.Region, provs []inventory.CloudProvider) map[string]any {
	var caps []string
	_ = json.Unmarshal(r.Capabilities, &caps)
	return map[string]any{"id": r.ID, "name": r.Name, "external_id": r.ExternalID, "region_ext_id": r.RegionID,
		"provider": r.Provider, "cloud_env": r.CloudEnv, "local_name": r.LocalName, "capabilities": caps,
		"status": "inservice", "enabled": true, "cloudprovider_count": len(provs), "created_at": ts(r.CreatedAt)}
}

// RegisterRegions adds cloudregions, the region-providers RPC, zones and
// cloudproviders.
func (f *Face) RegisterRegions(s *api.Server) {
	regions := func(ctx context.Context, in *regionListInput) ([]map[string]any, error) {
		provider := ""
		if in.Provider != "" {
			name, ok := cloud.Canonical(in.Provider)
			if !ok {
				return nil, errs.Field("provider", "unknown provider "+in.Provider)
			}
			provider = name
		}
		list, err := f.Inv.Regions(ctx, provider)
		if err != nil {
			return nil, err
		}
		usable, err := f.usableRegions(ctx)
		if err != nil {
			return nil, err
		}
		out := []map[string]any{}
		for _, r := range list {
			var caps []string
			_ = json.Unmarshal(r.Capabilities, &caps)
			if in.Capability != "" && !slices.Contains(caps, in.Capability) {
				continue
			}
			if in.CloudEnv != "" && r.CloudEnv != in.CloudEnv {
				continue
			}
			if in.Usable && len(usable[r.ID]) == 0 {
				continue
			}
			out = append(out, f.regionView(r, usable[r.ID]))
		}
		return out, nil
	}
	api.Register(s, auth.Policy(huma.Operation{OperationID: "cloudpods-list-cloudregions", Method: http.MethodGet,
		Path: "/api/v2/cloudregions", Summary: "List cloud regions", Tags: []string{"cloudregions"}}, "compute/cloudregions/list"),
		func(ctx context.Context, in *regionListInput) (*resourceListOutput, error) {
			list, err := regions(ctx, in)
			if err != nil {
				return nil, err
			}
			p, err := in.Params()
			if err != nil {
				return nil, err
			}
			total := len(list)
			list = list[min(p.Offset, total):min(p.Offset+p.Limit, total)]
			return &resourceListOutput{Body: map[string]any{"cloudregions": list, "total": total, "limit": p.Limit, "offset": p.Offset}}, nil
		})
	api.Register(s, auth.Policy(huma.Operation{OperationID: "cloudpods-get-cloudregion", Method: http.MethodGet,
		Path: "/api/v2/cloudregions/{id}", Summary: "Get a cloud region", Tags: []string{"cloudregions"}}, "compute/cloudregions/get"),
		func(ctx context.Context, in *idInput) (*objectOutput, error) {
			r, err := f.Inv.Region(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			usable, _ := f.usableRegions(ctx)
			return &objectOutput{Body: f.regionView(*r, usable[r.ID])}, nil
		})
	api.Register(s, auth.Policy(huma.Operation{OperationID: "cloudpods-region-providers", Method: http.MethodGet,
		Path: "/api/v2/rpc/cloudregions/region-providers", Summary: "Providers that have usable regions, with their region counts",
		Tags: []string{"cloudregions"}}, "compute/cloudregions/list"),
		func(ctx context.Context, in *regionListInput) (*resourceListOutput, error) {
			list, err := regions(ctx, in)
			if err != nil {
				return nil, err
			}
			count := map[string]int{}
			var order []string
			for _, r := range list {
				p := r["provider"].(string)
				if count[p] == 0 {
					order = append(order, p)
				}
				count[p]++
			}
			data := []map[string]any{}
			for _, p := range order {
				data = append(data, map[string]any{"name": p, "provider": p, "cloudregion_count": count[p]})
			}
			return &resourceListOutput{Body: map[string]any{"data": data, "total": len(data)}}, nil
		})
	api.Register(s, auth.Policy(huma.Operation{OperationID: "cloudpods-list-zones", Method: http.MethodGet,
		Path: "/api/v2/zones", Summary: "List availability zones", Tags: []string{"zones"}}, "compute/zones/list"),
		func(ctx context.Context, in *zoneListInput) (*resourceListOutput, error) {
			regionID := ""
			if in.Cloudregion != "" {
				r, err := f.Inv.Region(ctx, in.Cloudregion)
				if err != nil {
					return nil, errs.Field("cloudregion", "no such region "+in.Cloudregion)
				}
				regionID = r.ID
			}
			zs, err := f.Inv.Zones(ctx, regionID)
			if err != nil {
				return nil, err
			}
			out := []map[string]any{}
			for _, z := range zs {
				out = append(out, map[string]any{"id": z.ID, "name": z.Name, "external_id": z.ExternalID, "zone_ext_id": z.ZoneID,
					"cloudregion_id": z.CloudregionID, "status": "enable"})
			}
			return &resourceListOutput{Body: map[string]any{"zones": out, "total": len(out)}}, nil
		})
	api.Register(s, auth.Policy(huma.Operation{OperationID: "cloudpods-list-cloudproviders", Method: http.MethodGet,
		Path: "/api/v2/cloudproviders", Summary: "List cloud providers (sub-accounts that own resources)", Tags: []string{"cloudproviders"}},
		"compute/cloudproviders/list"),
		func(ctx context.Context, in *providerListInput) (*resourceListOutput, error) {
			acct := ""
			if in.Account != "" {
				a, err := f.Inv.GetVisible(ctx, auth.ScopeOf(ctx), in.Account)
				if err != nil {
					return nil, errs.Field("cloudaccount", "no such cloud account "+in.Account)
				}
				acct = a.ID
			}
			provs, err := f.Inv.Providers(ctx, auth.ScopeOf(ctx), acct)
			if err != nil {
				return nil, err
			}
			var inRegion map[string]bool
			if in.Cloudregion != "" {
				r, err := f.Inv.Region(ctx, in.Cloudregion)
				if err != nil {
					return nil, errs.Field("cloudregion", "no such region "+in.Cloudregion)
				}
				links, _ := f.Inv.ProviderRegions(ctx, "")
				inRegion = map[string]bool{}
				for _, l := range links {
					if l.CloudregionID == r.ID && l.Enabled {
						inRegion[l.CloudproviderID] = true
					}
				}
			}
			n := f.newNames()
			out := []map[string]any{}
			for _, p := range provs {
				if in.Enabled != "" && (boolDB(in.Enabled) == "true") != p.Enabled {
					continue
				}
				if inRegion != nil && !inRegion[p.ID] {
					continue
				}
				a := n.account(ctx, p.CloudaccountID)
				if a == nil {
					continue
				}
				if in.ReadOnly != "" && (boolDB(in.ReadOnly) == "true") != a.ReadOnly {
					continue
				}
				out = append(out, map[string]any{"id": p.ID, "name": p.Name, "account": p.Account, "provider": p.Provider,
					"brand": a.Brand, "cloudaccount_id": p.CloudaccountID, "cloudaccount": a.Name, "enabled": p.Enabled,
					"status": a.Status, "health_status": a.HealthStatus, "domain_id": p.DomainID, "tenant_id": p.ProjectID,
					"project_id": p.ProjectID, "tenant": n.project(ctx, p.ProjectID), "project_domain": n.domain(ctx, p.DomainID),
					"read_only": a.ReadOnly, "cloud_env": a.CloudEnv, "access_url": a.AccessURL, "created_at": ts(p.CreatedAt)})
			}
			return &resourceListOutput{Body: map[string]any{"cloudproviders": out, "total": len(out), "limit": len(out), "offset": 0}}, nil
		})
}
