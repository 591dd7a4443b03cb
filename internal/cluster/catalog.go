package cluster

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/skyfold/skyfold/internal/cloud"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/inventory"
	"github.com/skyfold/skyfold/internal/listing"
)

// catalog caches what providers offer: regions, zones, instance types and
// images. An entry is fetched once per TTL; concurrent askers wait for one
// fetch; a failed refresh serves the stale entry when there is one.
type catalog struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[string]*catalogEntry
}

type catalogEntry struct {
	mu      sync.Mutex // held while fetching
	value   any
	fetched time.Time
}

func newCatalog(ttl time.Duration) *catalog {
	return &catalog{ttl: ttl, m: map[string]*catalogEntry{}}
}

// get returns the cached value of key, fetching it when missing, expired or
// when refresh is set.
func (c *catalog) get(ctx context.Context, key string, refresh bool, now time.Time, fetch func(ctx context.Context) (any, error)) (any, error) {
	c.mu.Lock()
	e, ok := c.m[key]
	if !ok {
		e = &catalogEntry{}
		c.m[key] = e
	}
	c.mu.Unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.value != nil && !refresh && now.Sub(e.fetched) < c.ttl {
		return e.value, nil
	}
	v, err := fetch(ctx)
	if err != nil {
		if e.value != nil && !refresh {
			return e.value, nil
		}
		if e.value == nil {
			// Nothing to keep: a key made of a caller's bad input (an
			// unknown region) must not stay in the map.
			c.mu.Lock()
			if c.m[key] == e {
				delete(c.m, key)
			}
			c.mu.Unlock()
		}
		return nil, err
	}
	e.value, e.fetched = v, now
	return v, nil
}

// catalogAccount picks the account a catalog call goes through: the one of
// the access key when given, else the oldest enabled account of the provider
// the scope may see.
func (s *Service) catalogAccount(ctx context.Context, sc inventory.Scope, provider, key string) (*inventory.Account, error) {
	if key != "" {
		return s.FindAccount(ctx, sc, provider, key, "account_key")
	}
	page, err := s.accts.ListAccounts(ctx, sc, listing.Params{Limit: 1,
		Filters: []listing.Filter{{Field: "provider", Op: "equals", Values: []string{provider}}, {Field: "enabled", Op: "equals", Values: []string{"1"}}},
		Order:   []listing.Order{{Field: "created_at"}, {Field: "id"}}})
	if err != nil {
		return nil, err
	}
	if len(page.Items) == 0 {
		return nil, errs.Field("provider", fmt.Sprintf("no %s account is connected in Skyfold that you may use", BridgXName(provider)))
	}
	return &page.Items[0], nil
}

// CatalogQuery selects a catalog listing.
type CatalogQuery struct {
	Provider   string // any accepted spelling
	RegionID   string
	ZoneID     string
	AccountKey string // optional: the account to ask
	Refresh    bool   // bypass the cache
}

func (s *Service) catalogPrep(ctx context.Context, sc inventory.Scope, q *CatalogQuery, needRegion, needZone bool) (*inventory.Account, error) {
	p, err := canonicalProvider("provider", q.Provider)
	if err != nil {
		return nil, err
	}
	q.Provider = p
	if needRegion && q.RegionID == "" {
		return nil, errs.Field("region_id", "required")
	}
	if needZone && q.ZoneID == "" {
		return nil, errs.Field("zone_id", "required")
	}
	return s.catalogAccount(ctx, sc, p, q.AccountKey)
}

// Regions lists a provider's regions.
func (s *Service) Regions(ctx context.Context, sc inventory.Scope, q CatalogQuery) ([]cloud.Region, error) {
	a, err := s.catalogPrep(ctx, sc, &q, false, false)
	if err != nil {
		return nil, err
	}
	v, err := s.catalog.get(ctx, "regions|"+q.Provider, q.Refresh, s.now(), func(ctx context.Context) (any, error) {
		p, err := s.provider(ctx, a)
		if err != nil {
			return nil, err
		}
		return p.Regions(ctx)
	})
	if err != nil {
		return nil, err
	}
	return v.([]cloud.Region), nil
}

// Zones lists a region's zones.
func (s *Service) Zones(ctx context.Context, sc inventory.Scope, q CatalogQuery) ([]cloud.Zone, error) {
	a, err := s.catalogPrep(ctx, sc, &q, true, false)
	if err != nil {
		return nil, err
	}
	return s.zones(ctx, a, q.Provider, q.RegionID, q.Refresh)
}

func (s *Service) zones(ctx context.Context, a *inventory.Account, provider, region string, refresh bool) ([]cloud.Zone, error) {
	v, err := s.catalog.get(ctx, "zones|"+provider+"|"+region, refresh, s.now(), func(ctx context.Context) (any, error) {
		rc, err := s.region(ctx, a, region)
		if err != nil {
			return nil, err
		}
		return rc.Zones(ctx)
	})
	if err != nil {
		return nil, regionError(err, region)
	}
	return v.([]cloud.Zone), nil
}

// regionError explains a catalog failure caused by an unknown region.
func regionError(err error, region string) error {
	if e := errs.As(err); e != nil && len(e.Fields) == 1 && e.Fields[0].Field == "region_id" {
		return err // knownRegion's answer says it already
	}
	if errs.CodeOf(err) == errs.NotFound || errs.CodeOf(err) == errs.Invalid {
		return &errs.Error{Code: errs.Invalid, Message: fmt.Sprintf("region_id: the cloud does not know region %s: %s", quoted(region), clipText(errs.PublicMessage(err), 300)),
			Fields: []errs.FieldError{{Field: "region_id", Reason: "unknown region"}}, Err: err}
	}
	return err
}

// InstanceTypes lists the machine types of a zone (of the region when the
// provider does not say which types each zone sells).
func (s *Service) InstanceTypes(ctx context.Context, sc inventory.Scope, q CatalogQuery) ([]cloud.InstanceType, error) {
	a, err := s.catalogPrep(ctx, sc, &q, true, true)
	if err != nil {
		return nil, err
	}
	types, err := s.regionTypes(ctx, a, q.Provider, q.RegionID, q.Refresh)
	if err != nil {
		return nil, err
	}
	zones, err := s.zones(ctx, a, q.Provider, q.RegionID, q.Refresh)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(zones, func(z cloud.Zone) bool { return z.ID == q.ZoneID })
	if i < 0 {
		return nil, errs.Field("zone_id", fmt.Sprintf("%s is not a zone of region %s", quoted(q.ZoneID), quoted(q.RegionID)))
	}
	if len(zones[i].InstanceTypes) == 0 {
		return types, nil
	}
	out := make([]cloud.InstanceType, 0, len(zones[i].InstanceTypes))
	for _, t := range types {
		if slices.Contains(zones[i].InstanceTypes, t.ID) {
			out = append(out, t)
		}
	}
	return out, nil
}

func (s *Service) regionTypes(ctx context.Context, a *inventory.Account, provider, region string, refresh bool) ([]cloud.InstanceType, error) {
	v, err := s.catalog.get(ctx, "types|"+provider+"|"+region, refresh, s.now(), func(ctx context.Context) (any, error) {
		rc, err := s.region(ctx, a, region)
		if err != nil {
			return nil, err
		}
		return rc.InstanceTypes(ctx)
	})
	if err != nil {
		return nil, regionError(err, region)
	}
	return v.([]cloud.InstanceType), nil
}

// maxImages bounds an image listing (public catalogs hold a few hundred).
const maxImages = 5000

// Images lists a region's public (system) images.
func (s *Service) Images(ctx context.Context, sc inventory.Scope, q CatalogQuery) ([]cloud.Image, error) {
	a, err := s.catalogPrep(ctx, sc, &q, true, false)
	if err != nil {
		return nil, err
	}
	v, err := s.catalog.get(ctx, "images|"+q.Provider+"|"+q.RegionID, q.Refresh, s.now(), func(ctx context.Context) (any, error) {
		rc, err := s.region(ctx, a, q.RegionID)
		if err != nil {
			return nil, err
		}
		var out []cloud.Image
		for im, err := range cloud.All(ctx, 100, func(ctx context.Context, p cloud.PageRequest) (cloud.Page[cloud.Image], error) {
			return rc.Images(ctx, cloud.ImageQuery{Owner: "system"}, p)
		}) {
			if err != nil {
				return nil, err
			}
			out = append(out, im)
			if len(out) >= maxImages {
				break
			}
		}
		return out, nil
	})
	if err != nil {
		return nil, regionError(err, q.RegionID)
	}
	return v.([]cloud.Image), nil
}

// price is an hourly list price from the catalog.
type price struct {
	Amount   string
	Currency string
}

// hourlyPrice looks up the pay-as-you-go list price of an instance type in
// the catalog; the zero price means the provider gave none.
func (s *Service) hourlyPrice(ctx context.Context, a *inventory.Account, provider, region, instanceType string) price {
	types, err := s.regionTypes(ctx, a, provider, region, false)
	if err != nil {
		return price{}
	}
	for _, t := range types {
		if strings.EqualFold(t.ID, instanceType) && t.HourlyPrice != nil {
			return price{Amount: t.HourlyPrice.Amount, Currency: t.HourlyPrice.Currency}
		}
	}
	return price{}
}
