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

// registerUsers lists the user operations.
func (f *face) registerUsers(s *api.Server) {
	api.Register(s, auth.Policy(op("list-users", http.MethodGet, "/v3/users", "List users", "users"), "identity/users/list"), f.listUsers)
	api.Register(s, auth.Policy(op("get-user", http.MethodGet, "/v3/users/{user_id}", "Show a user", "users"), "identity/users/get"), f.getUser)
	api.Register(s, auth.Policy(created(op("create-user", http.MethodPost, "/v3/users", "Create a user", "users")), "identity/users/create"), f.createUser)
	api.Register(s, auth.Policy(op("update-user", http.MethodPatch, "/v3/users/{user_id}", "Update a user", "users"), "identity/users/update"), f.updateUser)
	api.Register(s, auth.Policy(empty(op("delete-user", http.MethodDelete, "/v3/users/{user_id}", "Delete a user", "users")), "identity/users/delete"), f.deleteUser)
	api.Register(s, auth.Authenticated(described(empty(op("change-password", http.MethodPost, "/v3/users/{user_id}/password", "Change one's own password", "users")), "The original password must be given; every token of the user is revoked.")), f.changePassword)
}

func (f *face) listUsers(ctx context.Context, in *userListInput) (*usersOutput, error) {
	c := caller(ctx)
	en, err := parseBool("enabled", in.Enabled)
	if err != nil {
		return nil, err
	}
	filter := identity.UserFilter{Name: in.Name, DomainID: in.DomainID, Enabled: en}
	switch c.Grant.Breadth {
	case identity.BreadthSystem:
	case identity.BreadthDomain:
		inGrantDomain(c, &filter.DomainID, &filter.IDs)
	default:
		// A project grant shows the caller alone.
		filter.IDs = []string{c.UserID()}
	}
	return f.users(ctx, filter, "users")
}

// users answers a list of users at path.
func (f *face) users(ctx context.Context, filter identity.UserFilter, path string) (*usersOutput, error) {
	us, err := f.svc.ListUsers(ctx, filter)
	if err != nil {
		return nil, err
	}
	out := &usersOutput{}
	out.Body.Users = views(ctx, us, userJSON)
	out.Body.Links = listLinks(ctx, path)
	return out, nil
}

func (f *face) getUser(ctx context.Context, in *userIDInput) (*userOutput, error) {
	u, err := f.visibleUser(ctx, in.UserID)
	if err != nil {
		return nil, err
	}
	return oneUser(ctx, u), nil
}

// visibleUser is a user the caller may read: itself, or one in a domain
// its grant covers.
func (f *face) visibleUser(ctx context.Context, id string) (*identity.User, error) {
	c := caller(ctx)
	u, err := f.svc.GetUser(ctx, id)
	if err != nil {
		return nil, err
	}
	if u.ID != c.UserID() && !c.Grant.CoversDomain(u.DomainID) {
		return nil, forbidden()
	}
	return u, nil
}

// userToChange is a user the caller may change (see needUser).
func (f *face) userToChange(ctx context.Context, id string) (*identity.User, error) {
	u, err := f.svc.GetUser(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := f.needUser(ctx, caller(ctx), u); err != nil {
		return nil, err
	}
	return u, nil
}

func (f *face) createUser(ctx context.Context, in *userCreateInput) (*userOutput, error) {
	c := caller(ctx)
	b := in.Body.User
	uc := identity.UserCreate{Enabled: true, DomainID: targetDomain(c, b.DomainID)}
	if err := needDomain(c, uc.DomainID); err != nil {
		return nil, err
	}
	set(&uc.Name, b.Name)
	set(&uc.Password, b.Password)
	set(&uc.Enabled, b.Enabled)
	set(&uc.Email, b.Email)
	set(&uc.Description, b.Description)
	if set(&uc.DefaultProjectID, b.DefaultProjectID) {
		if err := f.needProjectRef(ctx, c, uc.DefaultProjectID); err != nil {
			return nil, err
		}
	}
	u, err := f.svc.CreateUser(ctx, uc)
	if err != nil {
		return nil, err
	}
	auth.Note(ctx, userObject(u))
	return oneUser(ctx, u), nil
}

func (f *face) updateUser(ctx context.Context, in *userUpdateInput) (*userOutput, error) {
	u, err := f.userToChange(ctx, in.UserID)
	if err != nil {
		return nil, err
	}
	b := in.Body.User
	if b.DomainID != nil && *b.DomainID != u.DomainID {
		return nil, errs.Field("user.domain_id", "a user cannot move to another domain")
	}
	if b.DefaultProjectID != nil {
		if err := f.needProjectRef(ctx, caller(ctx), *b.DefaultProjectID); err != nil {
			return nil, err
		}
	}
	got, err := f.svc.UpdateUser(ctx, u.ID, identity.UserPatch{Name: b.Name, Password: b.Password, Enabled: b.Enabled,
		DefaultProjectID: b.DefaultProjectID, Email: b.Email, Description: b.Description})
	if err != nil {
		return nil, err
	}
	auth.Note(ctx, userObject(got))
	return oneUser(ctx, got), nil
}

// needProjectRef checks a default project the caller names: empty (none),
// or a project within its grant.
func (f *face) needProjectRef(ctx context.Context, c *auth.Caller, id string) error {
	if id == "" {
		return nil
	}
	p, err := f.svc.GetProject(ctx, id)
	if err != nil || !c.Grant.Covers(p.DomainID, p.ID) {
		return errs.Field("user.default_project_id", "no such project")
	}
	return nil
}

func (f *face) deleteUser(ctx context.Context, in *userIDInput) (*noContent, error) {
	u, err := f.userToChange(ctx, in.UserID)
	if err != nil {
		return nil, err
	}
	auth.Note(ctx, userObject(u))
	return nil, f.svc.DeleteUser(ctx, u.ID)
}

func (f *face) changePassword(ctx context.Context, in *passwordInput) (*noContent, error) {
	c := caller(ctx)
	if in.UserID != c.UserID() {
		return nil, forbidden()
	}
	if _, ok := c.Can("identity/users/change_password"); !ok && c.Token.Scope != identity.ScopeNone {
		return nil, forbidden()
	}
	auth.Note(ctx, auth.Object{Type: "users", ID: c.UserID(), Name: c.Token.UserName, DomainID: c.Token.UserDomainID})
	return nil, f.svc.ChangePassword(ctx, c.UserID(), in.Body.User.OriginalPassword, in.Body.User.Password)
}

func userObject(u *identity.User) auth.Object {
	return auth.Object{Type: "users", ID: u.ID, Name: u.Name, DomainID: u.DomainID}
}
