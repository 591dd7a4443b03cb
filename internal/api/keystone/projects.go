package keystone

import (
	"context"
	"net/http"

	"github.com/skyfold/skyfold/internal/api"
	"github.com/skyfold/skyfold/internal/api/auth"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/identity"
)

// ProjectJSON is Keystone's project.
type ProjectJSON struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	DomainID    string          `json:"domain_id"`
	Description string          `json:"description"`
	Enabled     bool            `json:"enabled"`
	ParentID    string          `json:"parent_id"`
	IsDomain    bool            `json:"is_domain"`
	Tags        []string        `json:"tags"`
	Options     ResourceOptions `json:"options"`
	Links       Links           `json:"links"`
}

func projectJSON(ctx context.Context, p *identity.Project) ProjectJSON {
	tags := p.Tags
	if tags == nil {
		tags = []string{}
	}
	return ProjectJSON{ID: p.ID, Name: p.Name, DomainID: p.DomainID, Description: p.Description, Enabled: p.Enabled,
		ParentID: p.DomainID, Tags: tags, Options: ResourceOptions{}, Links: selfLink(ctx, "projects/"+p.ID)}
}

// ProjectFields are a project's writable fields.
type ProjectFields struct {
	_           struct{}       `additionalProperties:"true"`
	Name        *string        `json:"name,omitempty"`
	DomainID    *string        `json:"domain_id,omitempty"`
	ParentID    *string        `json:"parent_id,omitempty"`
	Description *string        `json:"description,omitempty"`
	Enabled     *bool          `json:"enabled,omitempty"`
	IsDomain    *bool          `json:"is_domain,omitempty"`
	Tags        *[]string      `json:"tags,omitempty"`
	Options     map[string]any `json:"options,omitempty"`
}

type projectReq struct {
	_       struct{}      `additionalProperties:"true"`
	Project ProjectFields `json:"project"`
}

type projectCreateInput struct {
	Body projectReq
}

type projectIDInput struct {
	ProjectID string `path:"project_id"`
}

type projectUpdateInput struct {
	ProjectID string `path:"project_id"`
	Body      projectReq
}

type projectOutput struct {
	Body struct {
		Project ProjectJSON `json:"project"`
	}
}

type projectListInput struct {
	Name     string `query:"name"`
	DomainID string `query:"domain_id"`
	Enabled  string `query:"enabled"`
}

type userIDInput struct {
	UserID string `path:"user_id"`
}

func oneProject(ctx context.Context, p *identity.Project) *projectOutput {
	out := &projectOutput{}
	out.Body.Project = projectJSON(ctx, p)
	return out
}

// projectFilter narrows a project list to what the caller's grant shows.
func projectFilter(c *auth.Caller, f *identity.ProjectFilter) {
	switch c.Grant.Breadth {
	case identity.BreadthSystem:
	case identity.BreadthDomain:
		inGrantDomain(c, &f.DomainID, &f.IDs)
	case identity.BreadthProject:
		f.IDs = []string{c.Grant.ProjectID}
	default:
		f.IDs = []string{}
	}
}

// registerProjects lists the project operations.
func (f *face) registerProjects(s *api.Server) {
	api.Register(s, auth.Policy(op("list-projects", http.MethodGet, "/v3/projects", "List projects", "projects"), "identity/projects/list"), f.listProjects)
	api.Register(s, auth.Policy(op("get-project", http.MethodGet, "/v3/projects/{project_id}", "Show a project", "projects"), "identity/projects/get"), f.getProject)
	api.Register(s, auth.Policy(created(op("create-project", http.MethodPost, "/v3/projects", "Create a project", "projects")), "identity/projects/create"), f.createProject)
	api.Register(s, auth.Policy(op("update-project", http.MethodPatch, "/v3/projects/{project_id}", "Update a project", "projects"), "identity/projects/update"), f.updateProject)
	api.Register(s, auth.Policy(empty(op("delete-project", http.MethodDelete, "/v3/projects/{project_id}", "Delete a project", "projects")), "identity/projects/delete"), f.deleteProject)
	api.Register(s, auth.Policy(op("user-projects", http.MethodGet, "/v3/users/{user_id}/projects", "Projects a user holds a role on", "projects"), "identity/projects/list"), f.userProjects)
}

func (f *face) listProjects(ctx context.Context, in *projectListInput) (*projectsOutput, error) {
	en, err := parseBool("enabled", in.Enabled)
	if err != nil {
		return nil, err
	}
	filter := identity.ProjectFilter{Name: in.Name, DomainID: in.DomainID, Enabled: en}
	projectFilter(caller(ctx), &filter)
	ps, err := f.svc.ListProjects(ctx, filter)
	if err != nil {
		return nil, err
	}
	return projectList(ctx, ps, "projects"), nil
}

func projectList(ctx context.Context, ps []identity.Project, path string) *projectsOutput {
	out := &projectsOutput{}
	out.Body.Projects = views(ctx, ps, projectJSON)
	out.Body.Links = listLinks(ctx, path)
	return out
}

func (f *face) getProject(ctx context.Context, in *projectIDInput) (*projectOutput, error) {
	p, err := f.svc.GetProject(ctx, in.ProjectID)
	if err != nil {
		return nil, err
	}
	if !caller(ctx).Covers(p.DomainID, p.ID) {
		return nil, forbidden()
	}
	return oneProject(ctx, p), nil
}

// projectToChange is a project within the caller's domain grant.
func (f *face) projectToChange(ctx context.Context, id string) (*identity.Project, error) {
	p, err := f.svc.GetProject(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := needDomain(caller(ctx), p.DomainID); err != nil {
		return nil, err
	}
	return p, nil
}

func (f *face) createProject(ctx context.Context, in *projectCreateInput) (*projectOutput, error) {
	c := caller(ctx)
	b := in.Body.Project
	// Projects nest only directly under their domain, so a parent names the
	// domain when domain_id does not.
	domain := b.DomainID
	if domain == nil || *domain == "" {
		domain = b.ParentID
	}
	p := identity.Project{Enabled: true, DomainID: targetDomain(c, domain)}
	if b.ParentID != nil && *b.ParentID != "" && *b.ParentID != p.DomainID {
		return nil, errs.Field("project.parent_id", "projects nest only directly under their domain")
	}
	if b.IsDomain != nil && *b.IsDomain {
		return nil, errs.Field("project.is_domain", "create domains with POST /v3/domains")
	}
	if err := needDomain(c, p.DomainID); err != nil {
		return nil, err
	}
	set(&p.Name, b.Name)
	set(&p.Description, b.Description)
	set(&p.Enabled, b.Enabled)
	set(&p.Tags, b.Tags)
	got, err := f.svc.CreateProject(ctx, p)
	if err != nil {
		return nil, err
	}
	auth.Note(ctx, projectObject(got))
	return oneProject(ctx, got), nil
}

func (f *face) updateProject(ctx context.Context, in *projectUpdateInput) (*projectOutput, error) {
	p, err := f.projectToChange(ctx, in.ProjectID)
	if err != nil {
		return nil, err
	}
	if p.Admin && caller(ctx).Grant.Breadth != identity.BreadthSystem {
		return nil, forbidden()
	}
	b := in.Body.Project
	if b.DomainID != nil && *b.DomainID != p.DomainID {
		return nil, errs.Field("project.domain_id", "a project cannot move to another domain")
	}
	got, err := f.svc.UpdateProject(ctx, p.ID, identity.ProjectPatch{Name: b.Name, Description: b.Description, Enabled: b.Enabled, Tags: b.Tags})
	if err != nil {
		return nil, err
	}
	auth.Note(ctx, projectObject(got))
	return oneProject(ctx, got), nil
}

func (f *face) deleteProject(ctx context.Context, in *projectIDInput) (*noContent, error) {
	p, err := f.projectToChange(ctx, in.ProjectID)
	if err != nil {
		return nil, err
	}
	auth.Note(ctx, projectObject(p))
	return nil, f.svc.DeleteProject(ctx, p.ID)
}

func (f *face) userProjects(ctx context.Context, in *userIDInput) (*projectsOutput, error) {
	u, err := f.visibleUser(ctx, in.UserID)
	if err != nil {
		return nil, err
	}
	ps, err := f.svc.ProjectsOfUser(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	return projectList(ctx, ps, "users/"+u.ID+"/projects"), nil
}

func projectObject(p *identity.Project) auth.Object {
	return auth.Object{Type: "projects", ID: p.ID, Name: p.Name, DomainID: p.DomainID, ProjectID: p.ID}
}
