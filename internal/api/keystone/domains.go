package keystone

import (
	"context"
	"net/http"

	"github.com/skyfold/skyfold/internal/api"
	"github.com/skyfold/skyfold/internal/api/auth"
	"github.com/skyfold/skyfold/internal/identity"
)

// DomainJSON is Keystone's domain.
type DomainJSON struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Enabled     bool            `json:"enabled"`
	Tags        []string        `json:"tags"`
	Options     ResourceOptions `json:"options"`
	Links       Links           `json:"links"`
}

func domainJSON(ctx context.Context, d *identity.Domain) DomainJSON {
	return DomainJSON{ID: d.ID, Name: d.Name, Description: d.Description, Enabled: d.Enabled,
		Tags: []string{}, Options: ResourceOptions{}, Links: selfLink(ctx, "domains/"+d.ID)}
}

// DomainFields are a domain's writable fields.
type DomainFields struct {
	_           struct{}       `additionalProperties:"true"`
	Name        *string        `json:"name,omitempty"`
	Description *string        `json:"description,omitempty"`
	Enabled     *bool          `json:"enabled,omitempty"`
	Tags        []string       `json:"tags,omitempty"`
	Options     map[string]any `json:"options,omitempty"`
}

type domainReq struct {
	_      struct{}     `additionalProperties:"true"`
	Domain DomainFields `json:"domain"`
}

type domainBody struct {
	Body domainReq
}

type domainIDInput struct {
	DomainID string `path:"domain_id"`
}

type domainUpdateInput struct {
	DomainID string `path:"domain_id"`
	Body     domainReq
}

type domainOutput struct {
	Body struct {
		Domain DomainJSON `json:"domain"`
	}
}

type domainListInput struct {
	Name    string `query:"name"`
	Enabled string `query:"enabled"`
}

func oneDomain(ctx context.Context, d *identity.Domain) *domainOutput {
	out := &domainOutput{}
	out.Body.Domain = domainJSON(ctx, d)
	return out
}

// canSeeDomain: the system, or the caller's own domain (a project grant sees
// the project's domain).
func canSeeDomain(c *auth.Caller, id string) bool {
	return c.Grant.Breadth == identity.BreadthSystem || (c.Grant.DomainID != "" && c.Grant.DomainID == id)
}

// registerDomains lists the domain operations.
func (f *face) registerDomains(s *api.Server) {
	api.Register(s, auth.Policy(op("list-domains", http.MethodGet, "/v3/domains", "List domains", "domains"), "identity/domains/list"), f.listDomains)
	api.Register(s, auth.Policy(op("get-domain", http.MethodGet, "/v3/domains/{domain_id}", "Show a domain", "domains"), "identity/domains/get"), f.getDomain)
	api.Register(s, auth.Policy(created(op("create-domain", http.MethodPost, "/v3/domains", "Create a domain", "domains")), "identity/domains/create"), f.createDomain)
	api.Register(s, auth.Policy(op("update-domain", http.MethodPatch, "/v3/domains/{domain_id}", "Update a domain", "domains"), "identity/domains/update"), f.updateDomain)
	api.Register(s, auth.Policy(empty(op("delete-domain", http.MethodDelete, "/v3/domains/{domain_id}", "Delete a disabled domain", "domains")), "identity/domains/delete"), f.deleteDomain)
}

func (f *face) listDomains(ctx context.Context, in *domainListInput) (*domainsOutput, error) {
	c := caller(ctx)
	en, err := parseBool("enabled", in.Enabled)
	if err != nil {
		return nil, err
	}
	filter := identity.DomainFilter{Name: in.Name, Enabled: en}
	if c.Grant.Breadth != identity.BreadthSystem {
		filter.IDs = []string{c.Grant.DomainID}
	}
	ds, err := f.svc.ListDomains(ctx, filter)
	if err != nil {
		return nil, err
	}
	out := &domainsOutput{}
	out.Body.Domains = views(ctx, ds, domainJSON)
	out.Body.Links = listLinks(ctx, "domains")
	return out, nil
}

func (f *face) getDomain(ctx context.Context, in *domainIDInput) (*domainOutput, error) {
	d, err := f.svc.GetDomain(ctx, in.DomainID)
	if err != nil {
		return nil, err
	}
	if !canSeeDomain(caller(ctx), d.ID) {
		return nil, forbidden()
	}
	return oneDomain(ctx, d), nil
}

func (f *face) createDomain(ctx context.Context, in *domainBody) (*domainOutput, error) {
	if err := needSystem(caller(ctx)); err != nil {
		return nil, err
	}
	b := in.Body.Domain
	d := identity.Domain{Enabled: true}
	set(&d.Name, b.Name)
	set(&d.Description, b.Description)
	set(&d.Enabled, b.Enabled)
	got, err := f.svc.CreateDomain(ctx, d)
	if err != nil {
		return nil, err
	}
	auth.Note(ctx, domainObject(got.ID, got.Name))
	return oneDomain(ctx, got), nil
}

func (f *face) updateDomain(ctx context.Context, in *domainUpdateInput) (*domainOutput, error) {
	if err := needSystem(caller(ctx)); err != nil {
		return nil, err
	}
	b := in.Body.Domain
	got, err := f.svc.UpdateDomain(ctx, in.DomainID, identity.DomainPatch{Name: b.Name, Description: b.Description, Enabled: b.Enabled})
	if err != nil {
		return nil, err
	}
	auth.Note(ctx, domainObject(got.ID, got.Name))
	return oneDomain(ctx, got), nil
}

func (f *face) deleteDomain(ctx context.Context, in *domainIDInput) (*noContent, error) {
	if err := needSystem(caller(ctx)); err != nil {
		return nil, err
	}
	auth.Note(ctx, domainObject(in.DomainID, ""))
	return nil, f.svc.DeleteDomain(ctx, in.DomainID)
}

func domainObject(id, name string) auth.Object {
	return auth.Object{Type: "domains", ID: id, Name: name, DomainID: id}
}
