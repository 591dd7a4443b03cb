package keystone

import (
	"context"
	"net/http"

	"github.com/skyfold/skyfold/internal/api"
	"github.com/skyfold/skyfold/internal/api/auth"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/identity"
)

// UserJSON is Keystone's user. It never carries the password or its hash.
type UserJSON struct {
	ID                string          `json:"id"`
	Name              string          `json:"name"`
	DomainID          string          `json:"domain_id"`
	Enabled           bool            `json:"enabled"`
	DefaultProjectID  string          `json:"default_project_id,omitempty"`
	Email             string          `json:"email,omitempty"`
	Description       string          `json:"description,omitempty"`
	PasswordExpiresAt *string         `json:"password_expires_at"`
	Options           ResourceOptions `json:"options"`
	Links             Links           `json:"links"`
}

func userJSON(ctx context.Context, u *identity.User) UserJSON {
	return UserJSON{ID: u.ID, Name: u.Name, DomainID: u.DomainID, Enabled: u.Enabled, DefaultProjectID: u.DefaultProjectID,
		Email: u.Email, Description: u.Description, Options: ResourceOptions{}, Links: selfLink(ctx, "users/"+u.ID)}
}

// UserFields are a user's writable fields.
type UserFields struct {
	_                struct{}       `additionalProperties:"true"`
	Name             *string        `json:"name,omitempty"`
	DomainID         *string        `json:"domain_id,omitempty"`
	Password         *string        `json:"password,omitempty"`
	Enabled          *bool          `json:"enabled,omitempty"`
	DefaultProjectID *string        `json:"default_project_id,omitempty"`
	Email            *string        `json:"email,omitempty"`
	Description      *string        `json:"description,omitempty"`
	Options          map[string]any `json:"options,omitempty"`
}

type userReq struct {
	_    struct{}   `additionalProperties:"true"`
	User UserFields `json:"user"`
}

type userCreateInput struct {
	Body userReq
}

type userUpdateInput struct {
	UserID string `path:"user_id"`
	Body   userReq
}

type userOutput struct {
	Body struct {
		User UserJSON `json:"user"`
	}
}

type usersOutput struct {
	Body struct {
		Users []UserJSON `json:"users"`
		Links ListLinks  `json:"links"`
	}
}

type userListInput struct {
	Name     string `query:"name"`
	DomainID string `query:"domain_id"`
	Enabled  string `query:"enabled"`
}

type passwordInput struct {
	UserID string `path:"user_id"`
	Body   struct {
		_    struct{} `additionalProperties:"true"`
		User struct {
			_                struct{} `additionalProperties:"true"`
			Password         string   `json:"password"`
			OriginalPassword string   `json:"original_password"`
		} `json:"user"`
	}
}

func oneUser(ctx context.Context, u *identity.User) *userOutput {
	out := &userOutput{}
	out.Body.User = userJSON(ctx, u)
	return out
}

func (f *face) registerUsers(s *api.Server) {
	api.Register(s, auth.Policy(op("list-users", http.MethodGet, "/v3/users", "List users", "users"), "identity/users/list"),
		func(ctx context.Context, in *userListInput) (*usersOutput, error) {
			c := caller(ctx)
			en, err := parseBool("enabled", in.Enabled)
			if err != nil {
				return nil, err
			}
			filter := identity.UserFilter{Name: in.Name, DomainID: in.DomainID, Enabled: en}
			switch c.Grant.Breadth {
			case identity.BreadthSystem:
			case identity.BreadthDomain:
				if filter.DomainID != "" && filter.DomainID != c.Grant.DomainID {
					filter.IDs = []string{}
				}
				filter.DomainID = c.Grant.DomainID
			default:
				// A project grant shows the caller alone.
				filter.IDs = []string{c.UserID()}
			}
			us, err := f.svc.ListUsers(ctx, filter)
			if err != nil {
				return nil, err
			}
			out := &usersOutput{}
			out.Body.Users = make([]UserJSON, len(us))
			for i := range us {
				out.Body.Users[i] = userJSON(ctx, &us[i])
			}
			out.Body.Links = listLinks(ctx, "users")
			return out, nil
		})

	api.Register(s, auth.Policy(op("get-user", http.MethodGet, "/v3/users/{user_id}", "Show a user", "users"), "identity/users/get"),
		func(ctx context.Context, in *userIDInput) (*userOutput, error) {
			c := caller(ctx)
			u, err := f.svc.GetUser(ctx, in.UserID)
			if err != nil {
				return nil, err
			}
			if u.ID != c.UserID() && !c.Grant.CoversDomain(u.DomainID) {
				return nil, forbidden()
			}
			return oneUser(ctx, u), nil
		})

	create := op("create-user", http.MethodPost, "/v3/users", "Create a user", "users")
	create.DefaultStatus = http.StatusCreated
	api.Register(s, auth.Policy(create, "identity/users/create"), func(ctx context.Context, in *userCreateInput) (*userOutput, error) {
		c := caller(ctx)
		b := in.Body.User
		uc := identity.UserCreate{Enabled: true}
		switch {
		case b.DomainID != nil && *b.DomainID != "":
			uc.DomainID = *b.DomainID
		case c.Token.DomainID != "":
			uc.DomainID = c.Token.DomainID
		default:
			uc.DomainID = identity.DefaultDomainID
		}
		if err := needDomain(c, uc.DomainID); err != nil {
			return nil, err
		}
		if b.Name != nil {
			uc.Name = *b.Name
		}
		if b.Password != nil {
			uc.Password = *b.Password
		}
		if b.Enabled != nil {
			uc.Enabled = *b.Enabled
		}
		if b.DefaultProjectID != nil {
			uc.DefaultProjectID = *b.DefaultProjectID
			if uc.DefaultProjectID != "" {
				p, err := f.svc.GetProject(ctx, uc.DefaultProjectID)
				if err != nil || !c.Grant.Covers(p.DomainID, p.ID) {
					return nil, errs.Field("user.default_project_id", "no such project")
				}
			}
		}
		if b.Email != nil {
			uc.Email = *b.Email
		}
		if b.Description != nil {
			uc.Description = *b.Description
		}
		u, err := f.svc.CreateUser(ctx, uc)
		if err != nil {
			return nil, err
		}
		auth.Note(ctx, auth.Object{Type: "users", ID: u.ID, Name: u.Name, DomainID: u.DomainID})
		return oneUser(ctx, u), nil
	})

	api.Register(s, auth.Policy(op("update-user", http.MethodPatch, "/v3/users/{user_id}", "Update a user", "users"), "identity/users/update"),
		func(ctx context.Context, in *userUpdateInput) (*userOutput, error) {
			c := caller(ctx)
			u, err := f.svc.GetUser(ctx, in.UserID)
			if err != nil {
				return nil, err
			}
			if err := f.needUser(ctx, c, u); err != nil {
				return nil, err
			}
			b := in.Body.User
			if b.DomainID != nil && *b.DomainID != u.DomainID {
				return nil, errs.Field("user.domain_id", "a user cannot move to another domain")
			}
			if b.DefaultProjectID != nil && *b.DefaultProjectID != "" {
				p, err := f.svc.GetProject(ctx, *b.DefaultProjectID)
				if err != nil || !c.Grant.Covers(p.DomainID, p.ID) {
					return nil, errs.Field("user.default_project_id", "no such project")
				}
			}
			got, err := f.svc.UpdateUser(ctx, u.ID, identity.UserPatch{Name: b.Name, Password: b.Password, Enabled: b.Enabled,
				DefaultProjectID: b.DefaultProjectID, Email: b.Email, Description: b.Description})
			if err != nil {
				return nil, err
			}
			auth.Note(ctx, auth.Object{Type: "users", ID: got.ID, Name: got.Name, DomainID: got.DomainID})
			return oneUser(ctx, got), nil
		})

	del := op("delete-user", http.MethodDelete, "/v3/users/{user_id}", "Delete a user", "users")
	del.DefaultStatus = http.StatusNoContent
	api.Register(s, auth.Policy(del, "identity/users/delete"), func(ctx context.Context, in *userIDInput) (*noContent, error) {
		c := caller(ctx)
		u, err := f.svc.GetUser(ctx, in.UserID)
		if err != nil {
			return nil, err
		}
		if err := f.needUser(ctx, c, u); err != nil {
			return nil, err
		}
		auth.Note(ctx, auth.Object{Type: "users", ID: u.ID, Name: u.Name, DomainID: u.DomainID})
		return nil, f.svc.DeleteUser(ctx, u.ID)
	})

	pw := op("change-password", http.MethodPost, "/v3/users/{user_id}/password", "Change one's own password", "users")
	pw.DefaultStatus = http.StatusNoContent
	pw.Description = "The original password must be given; every token of the user is revoked."
	api.Register(s, auth.Authenticated(pw), func(ctx context.Context, in *passwordInput) (*noContent, error) {
		c := caller(ctx)
		if in.UserID != c.UserID() {
			return nil, forbidden()
		}
		if _, ok := c.Can("identity/users/change_password"); !ok && c.Token.Scope != identity.ScopeNone {
			return nil, forbidden()
		}
		auth.Note(ctx, auth.Object{Type: "users", ID: c.UserID(), Name: c.Token.UserName, DomainID: c.Token.UserDomainID})
		return nil, f.svc.ChangePassword(ctx, c.UserID(), in.Body.User.OriginalPassword, in.Body.User.Password)
	})
}
