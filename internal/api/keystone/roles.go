package keystone

import (
	"context"
	"net/http"

	"github.com/skyfold/skyfold/internal/api"
	"github.com/skyfold/skyfold/internal/api/auth"
	"github.com/skyfold/skyfold/internal/identity"
)

// RoleJSON is Keystone's role.
type RoleJSON struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	DomainID    *string         `json:"domain_id"`
	Description string          `json:"description"`
	Options     ResourceOptions `json:"options"`
	Links       Links           `json:"links"`
}

func roleJSON(ctx context.Context, r *identity.Role) RoleJSON {
	opts := ResourceOptions{}
	if r.Builtin {
		opts["immutable"] = true
	}
	return RoleJSON{ID: r.ID, Name: r.Name, Description: r.Description, Options: opts, Links: selfLink(ctx, "roles/"+r.ID)}
}

// RoleFields are a role's writable fields.
type RoleFields struct {
	_           struct{}       `additionalProperties:"true"`
	Name        *string        `json:"name,omitempty"`
	Description *string        `json:"description,omitempty"`
	DomainID    *string        `json:"domain_id,omitempty"`
	Options     map[string]any `json:"options,omitempty"`
}

type roleReq struct {
	_    struct{}   `additionalProperties:"true"`
	Role RoleFields `json:"role"`
}

type roleCreateInput struct {
	Body roleReq
}

type roleIDInput struct {
	RoleID string `path:"role_id"`
}

type roleUpdateInput struct {
	RoleID string `path:"role_id"`
	Body   roleReq
}

type roleOutput struct {
	Body struct {
		Role RoleJSON `json:"role"`
	}
}

type rolesOutput struct {
	Body struct {
		Roles []RoleJSON `json:"roles"`
		Links ListLinks  `json:"links"`
	}
}

type roleListInput struct {
	Name string `query:"name"`
}

func oneRole(ctx context.Context, r *identity.Role) *roleOutput {
	out := &roleOutput{}
	out.Body.Role = roleJSON(ctx, r)
	return out
}

// registerRoles lists the role operations; only the system changes roles.
func (f *face) registerRoles(s *api.Server) {
	api.Register(s, auth.Policy(op("list-roles", http.MethodGet, "/v3/roles", "List roles", "roles"), "identity/roles/list"), f.listRoles)
	api.Register(s, auth.Policy(op("get-role", http.MethodGet, "/v3/roles/{role_id}", "Show a role", "roles"), "identity/roles/get"), f.getRole)
	api.Register(s, auth.Policy(created(op("create-role", http.MethodPost, "/v3/roles", "Create a role", "roles")), "identity/roles/create"), f.createRole)
	api.Register(s, auth.Policy(op("update-role", http.MethodPatch, "/v3/roles/{role_id}", "Update a role", "roles"), "identity/roles/update"), f.updateRole)
	api.Register(s, auth.Policy(empty(op("delete-role", http.MethodDelete, "/v3/roles/{role_id}", "Delete a role", "roles")), "identity/roles/delete"), f.deleteRole)
}

func (f *face) listRoles(ctx context.Context, in *roleListInput) (*rolesOutput, error) {
	rs, err := f.svc.ListRoles(ctx, in.Name)
	if err != nil {
		return nil, err
	}
	out := &rolesOutput{}
	out.Body.Roles = views(ctx, rs, roleJSON)
	out.Body.Links = listLinks(ctx, "roles")
	return out, nil
}

func (f *face) getRole(ctx context.Context, in *roleIDInput) (*roleOutput, error) {
	r, err := f.svc.GetRole(ctx, in.RoleID)
	if err != nil {
		return nil, err
	}
	return oneRole(ctx, r), nil
}

func (f *face) createRole(ctx context.Context, in *roleCreateInput) (*roleOutput, error) {
	if err := needSystem(caller(ctx)); err != nil {
		return nil, err
	}
	var r identity.Role
	set(&r.Name, in.Body.Role.Name)
	set(&r.Description, in.Body.Role.Description)
	got, err := f.svc.CreateRole(ctx, r)
	if err != nil {
		return nil, err
	}
	auth.Note(ctx, auth.Object{Type: "roles", ID: got.ID, Name: got.Name})
	return oneRole(ctx, got), nil
}

func (f *face) updateRole(ctx context.Context, in *roleUpdateInput) (*roleOutput, error) {
	if err := needSystem(caller(ctx)); err != nil {
		return nil, err
	}
	got, err := f.svc.UpdateRole(ctx, in.RoleID, identity.RolePatch{Name: in.Body.Role.Name, Description: in.Body.Role.Description})
	if err != nil {
		return nil, err
	}
	auth.Note(ctx, auth.Object{Type: "roles", ID: got.ID, Name: got.Name})
	return oneRole(ctx, got), nil
}

func (f *face) deleteRole(ctx context.Context, in *roleIDInput) (*noContent, error) {
	if err := needSystem(caller(ctx)); err != nil {
		return nil, err
	}
	auth.Note(ctx, auth.Object{Type: "roles", ID: in.RoleID})
	return nil, f.svc.DeleteRole(ctx, in.RoleID)
}
