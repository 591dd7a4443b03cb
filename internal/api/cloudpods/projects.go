package cloudpods

import (
	"context"
	"net/http"

	"github.com/skyfold/skyfold/internal/api"
	"github.com/skyfold/skyfold/internal/api/auth"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/identity"
)

// RegisterProjects adds the identity projects as the Cloudpods console
// reads them: /api/v2 bare, /api/v1 wrapped under the singular key as
// Cloudpods' API gateway answers its v1 paths.
func (f *Face) RegisterProjects(s *api.Server) {
	api.Register(s, withBody(auth.Policy(op("list-projects", http.MethodGet, "/api/v2/projects", "List the projects the caller may see", "projects"), "identity/projects/list"), listSchema[cloudpodsProject](s.API, "projects")), f.listProjects)
	api.Register(s, auth.Policy(op("get-project", http.MethodGet, "/api/v2/projects/{id}", "Get a project by id or name", "projects"), "identity/projects/get"), f.getProject)
	api.Register(s, auth.Policy(op("get-project-v1", http.MethodGet, "/api/v1/projects/{id}", "Get a project by id or name ({\"project\": …})", "projects"), "identity/projects/get"), f.getProjectV1)
}

// cloudpodsProject is a project as Cloudpods' identity service shows it.
type cloudpodsProject struct {
	ID            string   `json:"id"`
	Name          string   `json:"name"`
	Description   string   `json:"description"`
	DomainID      string   `json:"domain_id"`
	ProjectDomain string   `json:"project_domain"`
	Domain        string   `json:"domain"`
	Enabled       bool     `json:"enabled"`
	IsSystem      bool     `json:"is_system" doc:"the bootstrap project whose roles act on the whole system"`
	Tags          []string `json:"tags"`
	CreatedAt     string   `json:"created_at"`
	UpdatedAt     string   `json:"updated_at"`
}

type projectListOutput struct {
	Body cloudpodsList[cloudpodsProject]
}

type projectInput struct {
	ID            string `path:"id" doc:"project id or name"`
	ProjectDomain string `query:"project_domain" doc:"domain id or name the project name is looked up in"`
	Scope         string `query:"scope" enum:"system,domain,project,"`
}

type projectOutput struct {
	Body cloudpodsProject
}

type projectV1Output struct {
	Body struct {
		Project cloudpodsProject `json:"project"`
	}
}

func (f *Face) listProjects(ctx context.Context, in *ListQuery) (*projectListOutput, error) {
	p, err := in.Params()
	if err != nil {
		return nil, err
	}
	c := auth.From(ctx)
	if c == nil {
		return nil, errs.E(errs.Unauthorized, "authentication required")
	}
	page, err := f.IDs.PageProjects(ctx, c.Grant, p)
	if err != nil {
		return nil, err
	}
	n := f.newNames()
	out := &projectListOutput{Body: cloudpodsList[cloudpodsProject]{key: "projects", Items: make([]cloudpodsProject, 0, len(page.Items)),
		Total: page.Total, Limit: page.Limit, Offset: page.Offset}}
	for i := range page.Items {
		out.Body.Items = append(out.Body.Items, projectView(ctx, n, &page.Items[i]))
	}
	return out, nil
}

func (f *Face) getProject(ctx context.Context, in *projectInput) (*projectOutput, error) {
	p, err := f.visibleProject(ctx, in.ID, in.ProjectDomain)
	if err != nil {
		return nil, err
	}
	return &projectOutput{Body: projectView(ctx, f.newNames(), p)}, nil
}

func (f *Face) getProjectV1(ctx context.Context, in *projectInput) (*projectV1Output, error) {
	p, err := f.visibleProject(ctx, in.ID, in.ProjectDomain)
	if err != nil {
		return nil, err
	}
	out := &projectV1Output{}
	out.Body.Project = projectView(ctx, f.newNames(), p)
	return out, nil
}

// visibleProject finds a project by id, else by name in the given domain
// (id or name); one the caller's grant does not reach is not found, so
// that its existence does not leak.
func (f *Face) visibleProject(ctx context.Context, idOrName, domain string) (*identity.Project, error) {
	c := auth.From(ctx)
	if c == nil {
		return nil, errs.E(errs.Unauthorized, "authentication required")
	}
	p, err := f.IDs.GetProject(ctx, idOrName)
	if errs.Is(err, errs.NotFound) {
		domainID := domain
		if domain != "" {
			if d, derr := f.IDs.FindDomain(ctx, domain, ""); derr == nil {
				domainID = d.ID
			} else if d, derr := f.IDs.FindDomain(ctx, "", domain); derr == nil {
				domainID = d.ID
			}
		} else {
			domainID = c.Token.DomainID
		}
		p, err = f.IDs.FindProject(ctx, "", idOrName, domainID)
	}
	if err != nil {
		return nil, err
	}
	if domain != "" && p.DomainID != domain && f.newNames().domain(ctx, p.DomainID) != domain {
		return nil, errs.NotFoundf("project", idOrName)
	}
	g := c.Grant
	if !g.CoversDomain(p.DomainID) && !(g.Breadth == identity.BreadthProject && g.ProjectID == p.ID) {
		return nil, errs.NotFoundf("project", idOrName)
	}
	return p, nil
}

func projectView(ctx context.Context, n *names, p *identity.Project) cloudpodsProject {
	domain := n.domain(ctx, p.DomainID)
	tags := p.Tags
	if tags == nil {
		tags = []string{}
	}
	return cloudpodsProject{ID: p.ID, Name: p.Name, Description: p.Description, DomainID: p.DomainID,
		ProjectDomain: domain, Domain: domain, Enabled: p.Enabled, IsSystem: p.Admin, Tags: tags,
		CreatedAt: ts(p.CreatedAt), UpdatedAt: ts(p.UpdatedAt)}
}
