package keystone

import (
	"context"
	"net/http"

	"github.com/skyfold/skyfold/internal/api"
	"github.com/skyfold/skyfold/internal/api/auth"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/identity"
)

// GroupJSON is Keystone's group.
type GroupJSON struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	DomainID    string `json:"domain_id"`
	Description string `json:"description"`
	Links       Links  `json:"links"`
}

func groupJSON(ctx context.Context, g *identity.Group) GroupJSON {
	return GroupJSON{ID: g.ID, Name: g.Name, DomainID: g.DomainID, Description: g.Description, Links: selfLink(ctx, "groups/"+g.ID)}
}

// GroupFields are a group's writable fields.
type GroupFields struct {
	_           struct{} `additionalProperties:"true"`
	Name        *string  `json:"name,omitempty"`
	DomainID    *string  `json:"domain_id,omitempty"`
	Description *string  `json:"description,omitempty"`
}

type groupReq struct {
	_     struct{}    `additionalProperties:"true"`
	Group GroupFields `json:"group"`
}

type groupCreateInput struct {
	Body groupReq
}

type groupIDInput struct {
	GroupID string `path:"group_id"`
}

type groupUpdateInput struct {
	GroupID string `path:"group_id"`
	Body    groupReq
}

type groupMemberInput struct {
	GroupID string `path:"group_id"`
	UserID  string `path:"user_id"`
}

type groupOutput struct {
	Body struct {
		Group GroupJSON `json:"group"`
	}
}

type groupsOutput struct {
	Body struct {
		Groups []GroupJSON `json:"groups"`
		Links  ListLinks   `json:"links"`
	}
}

type groupListInput struct {
	Name     string `query:"name"`
	DomainID string `query:"domain_id"`
}

func oneGroup(ctx context.Context, g *identity.Group) *groupOutput {
	out := &groupOutput{}
	out.Body.Group = groupJSON(ctx, g)
	return out
}

// registerGroups lists the group and membership operations.
func (f *face) registerGroups(s *api.Server) {
	api.Register(s, auth.Policy(op("list-groups", http.MethodGet, "/v3/groups", "List groups", "groups"), "identity/groups/list"), f.listGroups)
	api.Register(s, auth.Policy(op("get-group", http.MethodGet, "/v3/groups/{group_id}", "Show a group", "groups"), "identity/groups/get"), f.getGroup)
	api.Register(s, auth.Policy(created(op("create-group", http.MethodPost, "/v3/groups", "Create a group", "groups")), "identity/groups/create"), f.createGroup)
	api.Register(s, auth.Policy(op("update-group", http.MethodPatch, "/v3/groups/{group_id}", "Update a group", "groups"), "identity/groups/update"), f.updateGroup)
	api.Register(s, auth.Policy(empty(op("delete-group", http.MethodDelete, "/v3/groups/{group_id}", "Delete a group", "groups")), "identity/groups/delete"), f.deleteGroup)
	api.Register(s, auth.Policy(op("group-users", http.MethodGet, "/v3/groups/{group_id}/users", "List a group's members", "groups"), "identity/groups/get"), f.groupUsers)
	api.Register(s, auth.Policy(op("user-groups", http.MethodGet, "/v3/users/{user_id}/groups", "List a user's groups", "groups"), "identity/groups/list"), f.userGroups)
	api.Register(s, auth.Policy(empty(op("add-group-user", http.MethodPut, "/v3/groups/{group_id}/users/{user_id}", "Add a user to a group", "groups")), "identity/groups/update"), f.addGroupUser)
	api.Register(s, auth.Policy(empty(op("check-group-user", http.MethodHead, "/v3/groups/{group_id}/users/{user_id}", "Check a user is in a group", "groups")), "identity/groups/get"), f.checkGroupUser)
	api.Register(s, auth.Policy(empty(op("remove-group-user", http.MethodDelete, "/v3/groups/{group_id}/users/{user_id}", "Remove a user from a group", "groups")), "identity/groups/update"), f.removeGroupUser)
}

func (f *face) listGroups(ctx context.Context, in *groupListInput) (*groupsOutput, error) {
	c := caller(ctx)
	filter := identity.GroupFilter{Name: in.Name, DomainID: in.DomainID}
	switch c.Grant.Breadth {
	case identity.BreadthSystem:
	case identity.BreadthDomain:
		inGrantDomain(c, &filter.DomainID, &filter.IDs)
	default:
		// A project grant shows the caller's own groups.
		filter.UserID = c.UserID()
	}
	return f.groups(ctx, filter, "groups")
}

// groups answers a list of groups at path.
func (f *face) groups(ctx context.Context, filter identity.GroupFilter, path string) (*groupsOutput, error) {
	gs, err := f.svc.ListGroups(ctx, filter)
	if err != nil {
		return nil, err
	}
	out := &groupsOutput{}
	out.Body.Groups = views(ctx, gs, groupJSON)
	out.Body.Links = listLinks(ctx, path)
	return out, nil
}

// getGroup shows a group to a caller whose grant covers its domain, or to
// a member.
func (f *face) getGroup(ctx context.Context, in *groupIDInput) (*groupOutput, error) {
	c := caller(ctx)
	g, err := f.svc.GetGroup(ctx, in.GroupID)
	if err != nil {
		return nil, err
	}
	if !c.Grant.CoversDomain(g.DomainID) {
		member, err := f.svc.IsMember(ctx, g.ID, c.UserID())
		if err != nil {
			return nil, err
		}
		if !member {
			return nil, forbidden()
		}
	}
	return oneGroup(ctx, g), nil
}

// groupToChange is a group the caller may change (see needGroup).
func (f *face) groupToChange(ctx context.Context, id string) (*identity.Group, error) {
	g, err := f.svc.GetGroup(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := f.needGroup(ctx, caller(ctx), g); err != nil {
		return nil, err
	}
	return g, nil
}

func (f *face) createGroup(ctx context.Context, in *groupCreateInput) (*groupOutput, error) {
	c := caller(ctx)
	b := in.Body.Group
	g := identity.Group{DomainID: targetDomain(c, b.DomainID)}
	if err := needDomain(c, g.DomainID); err != nil {
		return nil, err
	}
	set(&g.Name, b.Name)
	set(&g.Description, b.Description)
	got, err := f.svc.CreateGroup(ctx, g)
	if err != nil {
		return nil, err
	}
	auth.Note(ctx, groupObject(got, got.Name))
	return oneGroup(ctx, got), nil
}

func (f *face) updateGroup(ctx context.Context, in *groupUpdateInput) (*groupOutput, error) {
	g, err := f.groupToChange(ctx, in.GroupID)
	if err != nil {
		return nil, err
	}
	b := in.Body.Group
	if b.DomainID != nil && *b.DomainID != g.DomainID {
		return nil, errs.Field("group.domain_id", "a group cannot move to another domain")
	}
	got, err := f.svc.UpdateGroup(ctx, g.ID, identity.GroupPatch{Name: b.Name, Description: b.Description})
	if err != nil {
		return nil, err
	}
	auth.Note(ctx, groupObject(got, got.Name))
	return oneGroup(ctx, got), nil
}

func (f *face) deleteGroup(ctx context.Context, in *groupIDInput) (*noContent, error) {
	g, err := f.groupToChange(ctx, in.GroupID)
	if err != nil {
		return nil, err
	}
	auth.Note(ctx, groupObject(g, g.Name))
	return nil, f.svc.DeleteGroup(ctx, g.ID)
}

func (f *face) groupUsers(ctx context.Context, in *groupIDInput) (*usersOutput, error) {
	g, err := f.svc.GetGroup(ctx, in.GroupID)
	if err != nil {
		return nil, err
	}
	if err := needDomain(caller(ctx), g.DomainID); err != nil {
		return nil, err
	}
	return f.users(ctx, identity.UserFilter{GroupID: g.ID}, "groups/"+g.ID+"/users")
}

func (f *face) userGroups(ctx context.Context, in *userIDInput) (*groupsOutput, error) {
	u, err := f.visibleUser(ctx, in.UserID)
	if err != nil {
		return nil, err
	}
	return f.groups(ctx, identity.GroupFilter{UserID: u.ID}, "users/"+u.ID+"/groups")
}

// membership reads a group and a user whose domains must both be within
// the caller's grant; changing the members needs what changing the group
// needs, since joining a group that holds a system role would hand it out.
func (f *face) membership(ctx context.Context, in *groupMemberInput, write bool) (*identity.Group, *identity.User, error) {
	c := caller(ctx)
	g, err := f.svc.GetGroup(ctx, in.GroupID)
	if err != nil {
		return nil, nil, err
	}
	u, err := f.svc.GetUser(ctx, in.UserID)
	if err != nil {
		return nil, nil, err
	}
	if !c.Grant.CoversDomain(g.DomainID) || !c.Grant.CoversDomain(u.DomainID) {
		return nil, nil, forbidden()
	}
	if write {
		if err := f.needGroup(ctx, c, g); err != nil {
			return nil, nil, err
		}
	}
	return g, u, nil
}

func (f *face) addGroupUser(ctx context.Context, in *groupMemberInput) (*noContent, error) {
	g, u, err := f.membership(ctx, in, true)
	if err != nil {
		return nil, err
	}
	auth.Note(ctx, groupObject(g, g.Name+"+"+u.Name))
	return nil, f.svc.AddMember(ctx, g.ID, u.ID)
}

func (f *face) checkGroupUser(ctx context.Context, in *groupMemberInput) (*noContent, error) {
	g, u, err := f.membership(ctx, in, false)
	if err != nil {
		return nil, err
	}
	ok, err := f.svc.IsMember(ctx, g.ID, u.ID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errs.E(errs.NotFound, "User %s is not a member of group %s.", u.ID, g.ID)
	}
	return nil, nil
}

func (f *face) removeGroupUser(ctx context.Context, in *groupMemberInput) (*noContent, error) {
	g, u, err := f.membership(ctx, in, true)
	if err != nil {
		return nil, err
	}
	auth.Note(ctx, groupObject(g, g.Name+"-"+u.Name))
	return nil, f.svc.RemoveMember(ctx, g.ID, u.ID)
}

// groupObject names a group in the audit log; a membership change names
// the group and the user.
func groupObject(g *identity.Group, name string) auth.Object {
	return auth.Object{Type: "groups", ID: g.ID, Name: name, DomainID: g.DomainID}
}
