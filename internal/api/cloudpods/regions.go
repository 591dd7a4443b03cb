package cloudpods

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"

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

func (f *Face) regionView(r inventory.Region, provs []inventory.CloudProvider) cloudpodsRegion {
	var caps []string
	_ = json.Unmarshal(r.Capabilities, &caps)
	return cloudpodsRegion{ID: r.ID, Name: r.Name, ExternalID: r.ExternalID, RegionExtID: r.RegionID,
		Provider: r.Provider, CloudEnv: r.CloudEnv, LocalName: r.LocalName, Capabilities: caps,
		Status: "inservice", Enabled: true, CloudproviderCount: len(provs), CreatedAt: ts(r.CreatedAt)}
}

type regionListOutput struct {
	Body cloudpodsList[cloudpodsRegion]
}

type regionOutput struct {
	Body cloudpodsRegion
}

type regionProvidersOutput struct {
	Body cloudpodsRegionProviders
}

type zoneListOutput struct {
	Body cloudpodsZones
}

type providerListOutput struct {
	Body cloudpodsProviders
}

// RegisterRegions adds cloudregions, the region-providers RPC, zones and
// cloudproviders.
func (f *Face) RegisterRegions(s *api.Server) {
	const p = "/api/v2/cloudregions"
	api.Register(s, withBody(auth.Policy(op("list-cloudregions", http.MethodGet, p, "List cloud regions", "cloudregions"), "compute/cloudregions/list"), listSchema[cloudpodsRegion](s.API, "cloudregions")), f.listRegions)
	api.Register(s, auth.Policy(op("get-cloudregion", http.MethodGet, p+"/{id}", "Get a cloud region", "cloudregions"), "compute/cloudregions/get"), f.getRegion)
	api.Register(s, auth.Policy(op("region-providers", http.MethodGet, "/api/v2/rpc/cloudregions/region-providers", "Providers that have usable regions, with their region counts", "cloudregions"), "compute/cloudregions/list"), f.regionProviders)
	api.Register(s, auth.Policy(op("list-zones", http.MethodGet, "/api/v2/zones", "List availability zones", "zones"), "compute/zones/list"), f.listZones)
	api.Register(s, auth.Policy(op("list-cloudproviders", http.MethodGet, "/api/v2/cloudproviders", "List cloud providers (sub-accounts that own resources)", "cloudproviders"), "compute/cloudproviders/list"), f.listProviders)
}

// regions lists the regions a region query asks for.
func (f *Face) regions(ctx context.Context, in *regionListInput) ([]cloudpodsRegion, error) {
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
	out := []cloudpodsRegion{}
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

func (f *Face) listRegions(ctx context.Context, in *regionListInput) (*regionListOutput, error) {
	list, err := f.regions(ctx, in)
	if err != nil {
		return nil, err
	}
	p, err := in.Params()
	if err != nil {
		return nil, err
	}
	total := len(list)
	list = list[min(p.Offset, total):min(p.Offset+p.Limit, total)]
	return &regionListOutput{Body: cloudpodsList[cloudpodsRegion]{key: "cloudregions", Items: list, Total: total, Limit: p.Limit, Offset: p.Offset}}, nil
}

func (f *Face) getRegion(ctx context.Context, in *idInput) (*regionOutput, error) {
	r, err := f.Inv.Region(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	usable, _ := f.usableRegions(ctx)
	return &regionOutput{Body: f.regionView(*r, usable[r.ID])}, nil
}

func (f *Face) regionProviders(ctx context.Context, in *regionListInput) (*regionProvidersOutput, error) {
	list, err := f.regions(ctx, in)
	if err != nil {
		return nil, err
	}
	count := map[string]int{}
	var order []string
	for _, r := range list {
		if count[r.Provider] == 0 {
			order = append(order, r.Provider)
		}
		count[r.Provider]++
	}
	out := &regionProvidersOutput{Body: cloudpodsRegionProviders{Data: []cloudpodsRegionProvider{}}}
	for _, p := range order {
		out.Body.Data = append(out.Body.Data, cloudpodsRegionProvider{Name: p, Provider: p, CloudregionCount: count[p]})
	}
	out.Body.Total = len(out.Body.Data)
	return out, nil
}

func (f *Face) listZones(ctx context.Context, in *zoneListInput) (*zoneListOutput, error) {
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
	out := &zoneListOutput{Body: cloudpodsZones{Zones: []cloudpodsZone{}}}
	for _, z := range zs {
		out.Body.Zones = append(out.Body.Zones, cloudpodsZone{ID: z.ID, Name: z.Name, ExternalID: z.ExternalID, ZoneExtID: z.ZoneID,
			CloudregionID: z.CloudregionID, Status: "enable"})
	}
	out.Body.Total = len(out.Body.Zones)
	return out, nil
}

func (f *Face) listProviders(ctx context.Context, in *providerListInput) (*providerListOutput, error) {
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
	list := []cloudpodsProvider{}
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
		list = append(list, cloudpodsProvider{ID: p.ID, Name: p.Name, Account: p.Account, Provider: p.Provider,
			Brand: a.Brand, CloudaccountID: p.CloudaccountID, Cloudaccount: a.Name, Enabled: p.Enabled,
			Status: a.Status, HealthStatus: a.HealthStatus, DomainID: p.DomainID, TenantID: p.ProjectID,
			ProjectID: p.ProjectID, Tenant: n.project(ctx, p.ProjectID), ProjectDomain: n.domain(ctx, p.DomainID),
			ReadOnly: a.ReadOnly, CloudEnv: a.CloudEnv, AccessURL: a.AccessURL, CreatedAt: ts(p.CreatedAt)})
	}
	return &providerListOutput{Body: cloudpodsProviders{Cloudproviders: list, Total: len(list), Limit: len(list)}}, nil
}
