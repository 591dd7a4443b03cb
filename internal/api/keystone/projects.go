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

func projectsJSON(ctx context.Context, ps []identity.Project) []ProjectJSON {
	out := make([]ProjectJSON, len(ps))
	for i := range ps {
		out[i] = projectJSON(ctx, &ps[i])
	}
	return out
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
		if f.DomainID != "" && f.DomainID != c.Grant.DomainID {
			f.IDs = []string{}
		}
		f.DomainID = c.Grant.DomainID
	case identity.BreadthProject:
		f.IDs = []string{c.Grant.ProjectID}
	default:
		f.IDs = []string{}
	}
}

func (f *face) registerProjects(s *api.Server) {
	api.Register(s, auth.Policy(op("list-projects", http.MethodGet, "/v3/projects", "List projects", "projects"), "identity/projects/list"),
		func(ctx context.Context, in *projectListInput) (*projectsOutput, error) {
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
			out := &projectsOutput{}
			out.Body.Projects = projectsJSON(ctx, ps)
			out.Body.Links = listLinks(ctx, "projects")
			return out, nil
		})

	api.Register(s, auth.Policy(op("get-project", http.MethodGet, "/v3/projects/{project_id}", "Show a project", "projects"), "identity/projects/get"),
		func(ctx context.Context, in *projectIDInput) (*projectOutput, error) {
			p, err := f.svc.GetProject(ctx, in.ProjectID)
			if err != nil {
				return nil, err
			}
			if !caller(ctx).Covers(p.DomainID, p.ID) {
				return nil, forbidden()
			}
			return oneProject(ctx, p), nil
		})

	create := op("create-project", http.MethodPost, "/v3/projects", "Create a project", "projects")
	create.DefaultStatus = http.StatusCreated
	api.Register(s, auth.Policy(create, "identity/projects/create"), func(ctx context.Context, in *projectCreateInput) (*projectOutput, error) {
		c := caller(ctx)
		b := in.Body.Project
		p := identity.Project{Enabled: true}
		switch {
		case b.DomainID != nil && *b.DomainID != "":
			p.DomainID = *b.DomainID
		case b.ParentID != nil && *b.ParentID != "":
			// Projects nest only directly under their domain.
			p.DomainID = *b.ParentID
		case c.Token.DomainID != "":
			p.DomainID = c.Token.DomainID
		default:
			p.DomainID = identity.DefaultDomainID
		}
		if b.ParentID != nil && *b.ParentID != "" && *b.ParentID != p.DomainID {
			return nil, errs.Field("project.parent_id", "projects nest only directly under their domain")
		}
		if b.IsDomain != nil && *b.IsDomain {
			return nil, errs.Field("project.is_domain", "create domains with POST /v3/domains")
		}
		if err := needDomain(c, p.DomainID); err != nil {
			return nil, err
		}
		if b.Name != nil {
			p.Name = *b.Name
		}
		if b.Description != nil {
			p.Description = *b.Description
		}
		if b.Enabled != nil {
			p.Enabled = *b.Enabled
		}
		if b.Tags != nil {
			p.Tags = *b.Tags
		}
		got, err := f.svc.CreateProject(ctx, p)
		if err != nil {
			return nil, err
		}
		auth.Note(ctx, auth.Object{Type: "projects", ID: got.ID, Name: got.Name, DomainID: got.DomainID, ProjectID: got.ID})
		return oneProject(ctx, got), nil
	})

	api.Register(s, auth.Policy(op("update-project", http.MethodPatch, "/v3/projects/{project_id}", "Update a project", "projects"), "identity/projects/update"),
		func(ctx context.Context, in *projectUpdateInput) (*projectOutput, error) {
			c := caller(ctx)
			p, err := f.svc.GetProject(ctx, in.ProjectID)
			if err != nil {
				return nil, err
			}
			if err := needDomain(c, p.DomainID); err != nil {
				return nil, err
			}
			if p.Admin && c.Grant.Breadth != identity.BreadthSystem {
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
			auth.Note(ctx, auth.Object{Type: "projects", ID: got.ID, Name: got.Name, DomainID: got.DomainID, ProjectID: got.ID})
			return oneProject(ctx, got), nil
		})

	del := op("delete-project", http.MethodDelete, "/v3/projects/{project_id}", "Delete a project", "projects")
	del.DefaultStatus = http.StatusNoContent
	api.Register(s, auth.Policy(del, "identity/projects/delete"), func(ctx context.Context, in *projectIDInput) (*noContent, error) {
		c := caller(ctx)
		p, err := f.svc.GetProject(ctx, in.ProjectID)
		if err != nil {
			return nil, err
		}
		if err := needDomain(c, p.DomainID); err != nil {
			return nil, err
		}
		auth.Note(ctx, auth.Object{Type: "projects", ID: p.ID, Name: p.Name, DomainID: p.DomainID, ProjectID: p.ID})
		return nil, f.svc.DeleteProject(ctx, p.ID)
	})

	api.Register(s, auth.Policy(op("user-projects", http.MethodGet, "/v3/users/{user_id}/projects", "Projects a user holds a role on", "projects"), "identity/projects/list"),
		func(ctx context.Context, in *userIDInput) (*projectsOutput, error) {
			c := caller(ctx)
			u, err := f.svc.GetUser(ctx, in.UserID)
			if err != nil {
				return nil, err
			}
			if u.ID != c.UserID() && !c.Grant.CoversDomain(u.DomainID) {
				return nil, forbidden()
			}
			ps, err := f.svc.ProjectsOfUser(ctx, u.ID)
			if err != nil {
				return nil, err
			}
			out := &projectsOutput{}
			out.Body.Projects = projectsJSON(ctx, ps)
			out.Body.Links = listLinks(ctx, "users/"+u.ID+"/projects")
			return out, nil
		})
}
