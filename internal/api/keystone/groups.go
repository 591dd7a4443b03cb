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

func groupsJSON(ctx context.Context, gs []identity.Group) []GroupJSON {
	out := make([]GroupJSON, len(gs))
	for i := range gs {
		out[i] = groupJSON(ctx, &gs[i])
	}
	return out
}

func (f *face) registerGroups(s *api.Server) {
	api.Register(s, auth.Policy(op("list-groups", http.MethodGet, "/v3/groups", "List groups", "groups"), "identity/groups/list"),
		func(ctx context.Context, in *groupListInput) (*groupsOutput, error) {
			c := caller(ctx)
			filter := identity.GroupFilter{Name: in.Name, DomainID: in.DomainID}
			switch c.Grant.Breadth {
			case identity.BreadthSystem:
			case identity.BreadthDomain:
				if filter.DomainID != "" && filter.DomainID != c.Grant.DomainID {
					filter.IDs = []string{}
				}
				filter.DomainID = c.Grant.DomainID
			default:
				// A project grant shows the caller's own groups.
				filter.UserID = c.UserID()
			}
			gs, err := f.svc.ListGroups(ctx, filter)
			if err != nil {
				return nil, err
			}
			out := &groupsOutput{}
			out.Body.Groups = groupsJSON(ctx, gs)
			out.Body.Links = listLinks(ctx, "groups")
			return out, nil
		})

	api.Register(s, auth.Policy(op("get-group", http.MethodGet, "/v3/groups/{group_id}", "Show a group", "groups"), "identity/groups/get"),
		func(ctx context.Context, in *groupIDInput) (*groupOutput, error) {
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
		})

	create := op("create-group", http.MethodPost, "/v3/groups", "Create a group", "groups")
	create.DefaultStatus = http.StatusCreated
	api.Register(s, auth.Policy(create, "identity/groups/create"), func(ctx context.Context, in *groupCreateInput) (*groupOutput, error) {
		c := caller(ctx)
		b := in.Body.Group
		g := identity.Group{DomainID: identity.DefaultDomainID}
		if c.Token.DomainID != "" {
			g.DomainID = c.Token.DomainID
		}
		if b.DomainID != nil && *b.DomainID != "" {
			g.DomainID = *b.DomainID
		}
		if err := needDomain(c, g.DomainID); err != nil {
			return nil, err
		}
		if b.Name != nil {
			g.Name = *b.Name
		}
		if b.Description != nil {
			g.Description = *b.Description
		}
		got, err := f.svc.CreateGroup(ctx, g)
		if err != nil {
			return nil, err
		}
		auth.Note(ctx, auth.Object{Type: "groups", ID: got.ID, Name: got.Name, DomainID: got.DomainID})
		return oneGroup(ctx, got), nil
	})

	api.Register(s, auth.Policy(op("update-group", http.MethodPatch, "/v3/groups/{group_id}", "Update a group", "groups"), "identity/groups/update"),
		func(ctx context.Context, in *groupUpdateInput) (*groupOutput, error) {
			c := caller(ctx)
			g, err := f.svc.GetGroup(ctx, in.GroupID)
			if err != nil {
				return nil, err
			}
			if err := f.needGroup(ctx, c, g); err != nil {
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
			auth.Note(ctx, auth.Object{Type: "groups", ID: got.ID, Name: got.Name, DomainID: got.DomainID})
			return oneGroup(ctx, got), nil
		})

	del := op("delete-group", http.MethodDelete, "/v3/groups/{group_id}", "Delete a group", "groups")
	del.DefaultStatus = http.StatusNoContent
	api.Register(s, auth.Policy(del, "identity/groups/delete"), func(ctx context.Context, in *groupIDInput) (*noContent, error) {
		c := caller(ctx)
		g, err := f.svc.GetGroup(ctx, in.GroupID)
		if err != nil {
			return nil, err
		}
		if err := f.needGroup(ctx, c, g); err != nil {
			return nil, err
		}
		auth.Note(ctx, auth.Object{Type: "groups", ID: g.ID, Name: g.Name, DomainID: g.DomainID})
		return nil, f.svc.DeleteGroup(ctx, g.ID)
	})

	api.Register(s, auth.Policy(op("group-users", http.MethodGet, "/v3/groups/{group_id}/users", "List a group's members", "groups"), "identity/groups/get"),
		func(ctx context.Context, in *groupIDInput) (*usersOutput, error) {
			c := caller(ctx)
			g, err := f.svc.GetGroup(ctx, in.GroupID)
			if err != nil {
				return nil, err
			}
			if err := needDomain(c, g.DomainID); err != nil {
				return nil, err
			}
			us, err := f.svc.ListUsers(ctx, identity.UserFilter{GroupID: g.ID})
			if err != nil {
				return nil, err
			}
			out := &usersOutput{}
			out.Body.Users = make([]UserJSON, len(us))
			for i := range us {
				out.Body.Users[i] = userJSON(ctx, &us[i])
			}
			out.Body.Links = listLinks(ctx, "groups/"+g.ID+"/users")
			return out, nil
		})

	api.Register(s, auth.Policy(op("user-groups", http.MethodGet, "/v3/users/{user_id}/groups", "List a user's groups", "groups"), "identity/groups/list"),
		func(ctx context.Context, in *userIDInput) (*groupsOutput, error) {
			c := caller(ctx)
			u, err := f.svc.GetUser(ctx, in.UserID)
			if err != nil {
				return nil, err
			}
			if u.ID != c.UserID() && !c.Grant.CoversDomain(u.DomainID) {
				return nil, forbidden()
			}
			gs, err := f.svc.ListGroups(ctx, identity.GroupFilter{UserID: u.ID})
			if err != nil {
				return nil, err
			}
			out := &groupsOutput{}
			out.Body.Groups = groupsJSON(ctx, gs)
			out.Body.Links = listLinks(ctx, "users/"+u.ID+"/groups")
			return out, nil
		})

	// membership: the group's domain and the user's must both be within the
	// caller's grant.
	member := func(ctx context.Context, in *groupMemberInput, write bool) (*identity.Group, *identity.User, error) {
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
			// Joining a group that holds a system role would hand it out.
			if err := f.needGroup(ctx, c, g); err != nil {
				return nil, nil, err
			}
		}
		return g, u, nil
	}
	add := op("add-group-user", http.MethodPut, "/v3/groups/{group_id}/users/{user_id}", "Add a user to a group", "groups")
	add.DefaultStatus = http.StatusNoContent
	api.Register(s, auth.Policy(add, "identity/groups/update"), func(ctx context.Context, in *groupMemberInput) (*noContent, error) {
		g, u, err := member(ctx, in, true)
		if err != nil {
			return nil, err
		}
		auth.Note(ctx, auth.Object{Type: "groups", ID: g.ID, Name: g.Name + "+" + u.Name, DomainID: g.DomainID})
		return nil, f.svc.AddMember(ctx, g.ID, u.ID)
	})
	check := op("check-group-user", http.MethodHead, "/v3/groups/{group_id}/users/{user_id}", "Check a user is in a group", "groups")
	check.DefaultStatus = http.StatusNoContent
	api.Register(s, auth.Policy(check, "identity/groups/get"), func(ctx context.Context, in *groupMemberInput) (*noContent, error) {
		g, u, err := member(ctx, in, false)
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
	})
	rm := op("remove-group-user", http.MethodDelete, "/v3/groups/{group_id}/users/{user_id}", "Remove a user from a group", "groups")
	rm.DefaultStatus = http.StatusNoContent
	api.Register(s, auth.Policy(rm, "identity/groups/update"), func(ctx context.Context, in *groupMemberInput) (*noContent, error) {
		g, u, err := member(ctx, in, true)
		if err != nil {
			return nil, err
		}
		auth.Note(ctx, auth.Object{Type: "groups", ID: g.ID, Name: g.Name + "-" + u.Name, DomainID: g.DomainID})
		return nil, f.svc.RemoveMember(ctx, g.ID, u.ID)
	})
}
