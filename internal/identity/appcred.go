package identity

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/skyfold/skyfold/internal/errs"
)

// AppCredCreate is a new application credential. Roles empty means every
// role the creating token carries.
type AppCredCreate struct {
	Name         string
	Description  string
	Secret       string // empty: one is generated
	Roles        []RoleRef
	Unrestricted bool
	ExpiresAt    *time.Time
}

// CreateAppCred creates an application credential for the token's user on
// the token's project. It returns the credential and its secret, which is
// shown this once and stored only as a hash.
func (s *Service) CreateAppCred(ctx context.Context, t *Token, in AppCredCreate) (*AppCredential, string, error) {
	if err := checkName("application_credential.name", in.Name); err != nil {
		return nil, "", err
	}
	if t.Scope != ScopeProject {
		return nil, "", errs.E(errs.Forbidden, "An application credential needs a project-scoped token.")
	}
	if t.Restricted {
		return nil, "", errs.E(errs.Forbidden, "A restricted application credential cannot create application credentials.")
	}
	if in.ExpiresAt != nil && !in.ExpiresAt.After(s.now()) {
		return nil, "", errs.Field("application_credential.expires_at", "must be in the future")
	}
	roles := t.Roles
	if len(in.Roles) > 0 {
		roles = nil
		for _, want := range in.Roles {
			found := false
			for _, r := range t.Roles {
				if (want.ID != "" && want.ID == r.ID) || (want.ID == "" && want.Name == r.Name) {
					roles = append(roles, r)
					found = true
					break
				}
			}
			if !found {
				name := want.Name
				if name == "" {
					name = want.ID
				}
				return nil, "", errs.Field("application_credential.roles", fmt.Sprintf("the token does not carry role %s", name))
			}
		}
	}
	secret := in.Secret
	if secret == "" {
		b := make([]byte, 48)
		_, _ = rand.Read(b)
		secret = base64.RawURLEncoding.EncodeToString(b)
	}
	if err := checkPassword("application_credential.secret", secret); err != nil {
		return nil, "", err
	}
	h, err := s.hash.Hash(ctx, secret)
	if err != nil {
		return nil, "", err
	}
	ac := &AppCredential{
		ID: NewID(), UserID: t.UserID, Name: in.Name, Description: in.Description, SecretHash: h,
		ProjectID: t.ProjectID, Roles: roles, Unrestricted: in.Unrestricted, ExpiresAt: in.ExpiresAt, CreatedAt: s.now(),
	}
	if _, err := s.db.NewInsert().Model(ac).Exec(ctx); err != nil {
		return nil, "", conflict(err, "application credential", ac.Name)
	}
	return ac, secret, nil
}

// GetAppCred returns a user's application credential.
func (s *Service) GetAppCred(ctx context.Context, userID, id string) (*AppCredential, error) {
	ac := new(AppCredential)
	if err := s.db.NewSelect().Model(ac).Where("id = ? AND user_id = ?", id, userID).Scan(ctx); err != nil {
		return nil, notFound(err, "application credential", id)
	}
	return ac, nil
}

// ListAppCreds lists a user's application credentials, optionally by name.
func (s *Service) ListAppCreds(ctx context.Context, userID, name string) ([]AppCredential, error) {
	out := []AppCredential{}
	q := s.db.NewSelect().Model(&out).Where("user_id = ?", userID).Order("name")
	if name != "" {
		q = q.Where("name = ?", name)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list application credentials: %w", err)
	}
	return out, nil
}

// DeleteAppCred deletes an application credential and revokes its tokens.
func (s *Service) DeleteAppCred(ctx context.Context, userID, id string) error {
	res, err := s.db.NewDelete().Model((*AppCredential)(nil)).Where("id = ? AND user_id = ?", id, userID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("delete application credential: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.E(errs.NotFound, "Could not find application credential: %s.", id)
	}
	return s.revoke(ctx, revocation{AppCredID: id})
}

// checkAppCred verifies an application credential login.
func (s *Service) checkAppCred(ctx context.Context, in *AppCredAuth) (*AppCredential, *User, error) {
	ac := new(AppCredential)
	var u *User
	var err error
	if in.ID != "" {
		err = s.db.NewSelect().Model(ac).Where("id = ?", in.ID).Scan(ctx)
		if err == nil {
			u, err = s.GetUser(ctx, ac.UserID)
		}
	} else {
		u, err = s.lookupUser(ctx, in.UserID, in.UserName, in.DomainID, in.DomainName)
		if err == nil {
			err = s.db.NewSelect().Model(ac).Where("user_id = ? AND name = ?", u.ID, in.Name).Scan(ctx)
		}
	}
	if err != nil {
		s.hash.burn(ctx)
		return nil, nil, errAuth
	}
	ok, _, err := s.hash.Verify(ctx, ac.SecretHash, in.Secret)
	if err != nil {
		return nil, nil, err
	}
	if !ok || (ac.ExpiresAt != nil && !ac.ExpiresAt.After(s.now())) {
		return nil, nil, errAuth
	}
	return ac, u, nil
}
