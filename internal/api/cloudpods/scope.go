package cloudpods

import (
	"context"
	"fmt"
	"sync"

	"github.com/skyfold/skyfold/internal/api/auth"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/identity"
	"github.com/skyfold/skyfold/internal/inventory"
)

// names resolves what responses show beside a row — domain and project
// names, the account and the region — once per request, not once per row.
type names struct {
	ids *identity.Service
	inv *inventory.Service
	mu  sync.Mutex
	d   map[string]string
	p   map[string]string
	a   map[string]*inventory.Account
	r   map[string]*inventory.Region
	pv  map[string][]inventory.CloudProvider
	sys map[string]bool
}

func (f *Face) newNames() *names {
	return &names{ids: f.IDs, inv: f.Inv, d: map[string]string{}, p: map[string]string{},
		a: map[string]*inventory.Account{}, r: map[string]*inventory.Region{},
		pv: map[string][]inventory.CloudProvider{}, sys: map[string]bool{}}
}

// cached looks id up in cache, loading it once per request; a failed load
// is remembered as zero too.
func cached[T any](n *names, cache map[string]T, id string, load func() (T, error)) T {
	n.mu.Lock()
	defer n.mu.Unlock()
	if v, ok := cache[id]; ok {
		return v
	}
	v, err := load()
	if err != nil {
		var zero T
		v = zero
	}
	cache[id] = v
	return v
}

// account returns an account by id, or nil.
func (n *names) account(ctx context.Context, id string) *inventory.Account {
	return cached(n, n.a, id, func() (*inventory.Account, error) {
		if n.inv == nil {
			return nil, nil
		}
		return n.inv.Get(ctx, id)
	})
}

// region returns a region by id, or nil.
func (n *names) region(ctx context.Context, id string) *inventory.Region {
	return cached(n, n.r, id, func() (*inventory.Region, error) {
		if n.inv == nil {
			return nil, nil
		}
		return n.inv.Region(ctx, id)
	})
}

// provider returns a cloud provider of an account by id, or nil.
func (n *names) provider(ctx context.Context, accountID, id string) *inventory.CloudProvider {
	pvs := cached(n, n.pv, accountID, func() ([]inventory.CloudProvider, error) {
		if n.inv == nil {
			return nil, nil
		}
		return n.inv.Providers(ctx, inventory.SystemScope, accountID)
	})
	for i := range pvs {
		if pvs[i].ID == id {
			return &pvs[i]
		}
	}
	return nil
}

// isSystemProject says whether a project is the bootstrap system project.
func (n *names) isSystemProject(ctx context.Context, id string) bool {
	if id == "" || n.ids == nil {
		return false
	}
	return cached(n, n.sys, id, func() (bool, error) {
		p, err := n.ids.GetProject(ctx, id)
		if err != nil {
			return false, err
		}
		return p.Admin, nil
	})
}

func (n *names) domain(ctx context.Context, id string) string {
	if id == "" || n.ids == nil {
		return ""
	}
	return cached(n, n.d, id, func() (string, error) {
		d, err := n.ids.GetDomain(ctx, id)
		if err != nil {
			return "", err
		}
		return d.Name, nil
	})
}

func (n *names) project(ctx context.Context, id string) string {
	if id == "" || n.ids == nil {
		return ""
	}
	return cached(n, n.p, id, func() (string, error) {
		p, err := n.ids.GetProject(ctx, id)
		if err != nil {
			return "", err
		}
		return p.Name, nil
	})
}

// owner decides the owner project of a new object: the project the request
// names in field (by id, or by name in the caller's domain), which the
// caller's grant must cover, else the caller's own. An unknown project is a
// field error that says where the valid ones are listed.
func owner(ctx context.Context, ids *identity.Service, field, projectID string) (domainID, project string, err error) {
	c := auth.From(ctx)
	if c == nil {
		return "", "", errs.E(errs.Unauthorized, "authentication required")
	}
	if projectID == "" {
		projectID = c.Token.ProjectID
		if projectID == "" {
			if c.Grant.Breadth == identity.BreadthSystem {
				return c.Token.DomainID, "", nil
			}
			return "", "", errs.Field(field, "required with a token that is not scoped to a project")
		}
	}
	p, err := ids.GetProject(ctx, projectID)
	if errs.Is(err, errs.NotFound) {
		p, err = ids.FindProject(ctx, "", projectID, c.Token.DomainID)
	}
	if errs.Is(err, errs.NotFound) {
		return "", "", errs.Field(field, fmt.Sprintf("no project %q here; GET /api/v2/projects lists the projects you may use", projectID))
	}
	if err != nil {
		return "", "", err
	}
	if !c.Covers(p.DomainID, p.ID) {
		// Name the project as the caller did: its name is not theirs to learn.
		return "", "", errs.E(errs.Forbidden, "you cannot create objects in project %s", projectID)
	}
	return p.DomainID, p.ID, nil
}
