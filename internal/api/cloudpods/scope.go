package cloudpods

import (
	"context"
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
}

func (f *Face) newNames() *names {
	return &names{ids: f.IDs, inv: f.Inv, d: map[string]string{}, p: map[string]string{},
		a: map[string]*inventory.Account{}, r: map[string]*inventory.Region{}}
}

// account returns an account by id, or nil.
func (n *names) account(ctx context.Context, id string) *inventory.Account {
	n.mu.Lock()
	defer n.mu.Unlock()
	if v, ok := n.a[id]; ok {
		return v
	}
	var v *inventory.Account
	if n.inv != nil {
		if a, err := n.inv.Get(ctx, id); err == nil {
			v = a
		}
	}
	n.a[id] = v
	return v
}

// region returns a region by id, or nil.
func (n *names) region(ctx context.Context, id string) *inventory.Region {
	n.mu.Lock()
	defer n.mu.Unlock()
	if v, ok := n.r[id]; ok {
		return v
	}
	var v *inventory.Region
	if n.inv != nil {
		if r, err := n.inv.Region(ctx, id); err == nil {
			v = r
		}
	}
	n.r[id] = v
	return v
}

func (n *names) domain(ctx context.Context, id string) string {
	if id == "" || n.ids == nil {
		return ""
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if v, ok := n.d[id]; ok {
		return v
	}
	v := ""
	if d, err := n.ids.GetDomain(ctx, id); err == nil {
		v = d.Name
	}
	n.d[id] = v
	return v
}

func (n *names) project(ctx context.Context, id string) string {
	if id == "" || n.ids == nil {
		return ""
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if v, ok := n.p[id]; ok {
		return v
	}
	v := ""
	if p, err := n.ids.GetProject(ctx, id); err == nil {
		v = p.Name
	}
	n.p[id] = v
	return v
}

// owner decides the owner project of a new object: the project the request
// names (which the caller's grant must cover), else the caller's own.
func owner(ctx context.Context, ids *identity.Service, projectID string) (domainID, project string, err error) {
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
			return "", "", errs.Field("project_id", "required with a token that is not scoped to a project")
		}
	}
	p, err := ids.GetProject(ctx, projectID)
	if err != nil {
		return "", "", errs.Field("project_id", "no such project "+projectID)
	}
	if !c.Covers(p.DomainID, p.ID) {
		return "", "", errs.E(errs.Forbidden, "you cannot create objects in project %s", p.Name)
	}
	return p.DomainID, p.ID, nil
}
