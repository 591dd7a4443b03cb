package keystone

import (
	"context"
	"net/http"
	"time"

	"github.com/skyfold/skyfold/internal/api"
	"github.com/skyfold/skyfold/internal/api/auth"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/identity"
)

// AppCredJSON is Keystone's application credential. Secret is set only in
// the answer to its creation.
type AppCredJSON struct {
	ID           string            `json:"id"`
	Name         string            `json:"name"`
	Description  string            `json:"description"`
	Secret       string            `json:"secret,omitempty"`
	ExpiresAt    *string           `json:"expires_at"`
	ProjectID    string            `json:"project_id"`
	UserID       string            `json:"user_id"`
	Roles        []AppCredRoleJSON `json:"roles"`
	Unrestricted bool              `json:"unrestricted"`
	AccessRules  []AccessRuleJSON  `json:"access_rules" doc:"always empty: access rules are not supported"`
	Links        Links             `json:"links"`
}

// AppCredRoleJSON is a role an application credential carries; roles
// here are global, so domain_id is always null.
type AppCredRoleJSON struct {
	ID       string  `json:"id"`
	Name     string  `json:"name"`
	DomainID *string `json:"domain_id"`
}

// AccessRuleJSON is Keystone's access rule of an application credential.
type AccessRuleJSON struct {
	ID      string `json:"id"`
	Service string `json:"service"`
	Path    string `json:"path"`
	Method  string `json:"method"`
}

func appCredJSON(ctx context.Context, ac *identity.AppCredential, secret string) AppCredJSON {
	j := AppCredJSON{ID: ac.ID, Name: ac.Name, Description: ac.Description, Secret: secret, ProjectID: ac.ProjectID,
		UserID: ac.UserID, Unrestricted: ac.Unrestricted, AccessRules: []AccessRuleJSON{}, Roles: []AppCredRoleJSON{},
		Links: selfLink(ctx, "users/"+ac.UserID+"/application_credentials/"+ac.ID)}
	if ac.ExpiresAt != nil {
		s := ksTime(*ac.ExpiresAt)
		j.ExpiresAt = &s
	}
	for _, r := range ac.Roles {
		j.Roles = append(j.Roles, AppCredRoleJSON{ID: r.ID, Name: r.Name})
	}
	return j
}

type appCredCreateInput struct {
	UserID string `path:"user_id"`
	Body   struct {
		_       struct{} `additionalProperties:"true"`
		AppCred struct {
			_            struct{} `additionalProperties:"true"`
			Name         string   `json:"name"`
			Description  *string  `json:"description,omitempty"`
			Secret       *string  `json:"secret,omitempty"`
			ExpiresAt    *string  `json:"expires_at,omitempty" nullable:"true"`
			Unrestricted *bool    `json:"unrestricted,omitempty"`
			Roles        []struct {
				_    struct{} `additionalProperties:"true"`
				ID   string   `json:"id,omitempty"`
				Name string   `json:"name,omitempty"`
			} `json:"roles,omitempty"`
		} `json:"application_credential"`
	}
}

type appCredIDInput struct {
	UserID    string `path:"user_id"`
	AppCredID string `path:"application_credential_id"`
}

type appCredListInput struct {
	UserID string `path:"user_id"`
	Name   string `query:"name"`
}

type appCredOutput struct {
	Body struct {
		AppCred AppCredJSON `json:"application_credential"`
	}
}

type appCredsOutput struct {
	Body struct {
		AppCreds []AppCredJSON `json:"application_credentials"`
		Links    ListLinks     `json:"links"`
	}
}

// parseExpiry reads the ISO 8601 forms Keystone clients send.
func parseExpiry(s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			t = t.UTC()
			return &t, nil
		}
	}
	return nil, errs.Field("application_credential.expires_at", "not an ISO 8601 time")
}

// appCredOwner checks the caller may act on the credentials of userID: its
// own, or, with action, those of users of a domain its grant covers.
func (f *face) appCredOwner(ctx context.Context, userID, action string) error {
	c := caller(ctx)
	if userID == c.UserID() {
		return nil
	}
	u, err := f.svc.GetUser(ctx, userID)
	if err != nil {
		return err
	}
	g, ok := c.Can(action)
	if !ok || !g.CoversDomain(u.DomainID) {
		return forbidden()
	}
	if g.Breadth != identity.BreadthSystem && action != "identity/users/get" {
		if priv, err := f.svc.UserPrivileged(ctx, u.ID); err != nil || priv {
			return forbidden()
		}
	}
	return nil
}

func (f *face) registerAppCreds(s *api.Server) {
	const tag = "application credentials"
	api.Register(s, auth.Authenticated(described(created(op("create-application-credential", http.MethodPost, "/v3/users/{user_id}/application_credentials", "Create an application credential", tag)), "For the caller itself, on the project of its token, with a subset of the token's roles. The secret is shown only in this answer.")), f.createApplicationCredential)
	api.Register(s, auth.Authenticated(op("list-application-credentials", http.MethodGet, "/v3/users/{user_id}/application_credentials", "List application credentials", tag)), f.listApplicationCredentials)
	api.Register(s, auth.Authenticated(op("get-application-credential", http.MethodGet, "/v3/users/{user_id}/application_credentials/{application_credential_id}", "Show an application credential", tag)), f.getApplicationCredential)
	api.Register(s, auth.Authenticated(empty(op("delete-application-credential", http.MethodDelete, "/v3/users/{user_id}/application_credentials/{application_credential_id}", "Delete an application credential", tag))), f.deleteApplicationCredential)
}

func (f *face) createApplicationCredential(ctx context.Context, in *appCredCreateInput) (*appCredOutput, error) {
	c := caller(ctx)
	if in.UserID != c.UserID() {
		return nil, forbidden()
	}
	b := in.Body.AppCred
	ac := identity.AppCredCreate{Name: b.Name}
	if b.Description != nil {
		ac.Description = *b.Description
	}
	if b.Secret != nil {
		ac.Secret = *b.Secret
	}
	if b.Unrestricted != nil {
		ac.Unrestricted = *b.Unrestricted
	}
	if b.ExpiresAt != nil {
		t, err := parseExpiry(*b.ExpiresAt)
		if err != nil {
			return nil, err
		}
		ac.ExpiresAt = t
	}
	for _, r := range b.Roles {
		ac.Roles = append(ac.Roles, identity.RoleRef{ID: r.ID, Name: r.Name})
	}
	got, secret, err := f.svc.CreateAppCred(ctx, c.Token, ac)
	if err != nil {
		return nil, err
	}
	auth.Note(ctx, auth.Object{Type: "application_credentials", ID: got.ID, Name: got.Name, DomainID: c.Token.DomainID, ProjectID: got.ProjectID})
	out := &appCredOutput{}
	out.Body.AppCred = appCredJSON(ctx, got, secret)
	return out, nil

}

func (f *face) listApplicationCredentials(ctx context.Context, in *appCredListInput) (*appCredsOutput, error) {
	if err := f.appCredOwner(ctx, in.UserID, "identity/users/get"); err != nil {
		return nil, err
	}
	acs, err := f.svc.ListAppCreds(ctx, in.UserID, in.Name)
	if err != nil {
		return nil, err
	}
	out := &appCredsOutput{}
	out.Body.AppCreds = views(ctx, acs, func(ctx context.Context, ac *identity.AppCredential) AppCredJSON { return appCredJSON(ctx, ac, "") })
	out.Body.Links = listLinks(ctx, "users/"+in.UserID+"/application_credentials")
	return out, nil

}

func (f *face) getApplicationCredential(ctx context.Context, in *appCredIDInput) (*appCredOutput, error) {
	if err := f.appCredOwner(ctx, in.UserID, "identity/users/get"); err != nil {
		return nil, err
	}
	ac, err := f.svc.GetAppCred(ctx, in.UserID, in.AppCredID)
	if err != nil {
		return nil, err
	}
	out := &appCredOutput{}
	out.Body.AppCred = appCredJSON(ctx, ac, "")
	return out, nil

}

func (f *face) deleteApplicationCredential(ctx context.Context, in *appCredIDInput) (*noContent, error) {
	if err := f.appCredOwner(ctx, in.UserID, "identity/users/update"); err != nil {
		return nil, err
	}
	auth.Note(ctx, auth.Object{Type: "application_credentials", ID: in.AppCredID})
	return nil, f.svc.DeleteAppCred(ctx, in.UserID, in.AppCredID)

}
