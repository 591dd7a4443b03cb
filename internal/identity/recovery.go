package identity

import (
	"context"
	"crypto/rand"
	"encoding/base64"

	"github.com/skyfold/skyfold/internal/errs"
)

// GeneratePassword returns a random password of 24 URL-safe characters
// (144 bits), for a first start or a reset where the operator chose none.
func GeneratePassword() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// LookupUser finds a user for an operator: ref is the user's id, or its name
// in domain (the domain's id or name; empty means Default).
func (s *Service) LookupUser(ctx context.Context, ref, domain string) (*User, error) {
	if ref == "" {
		return nil, errs.Field("user", "required")
	}
	if u, err := s.GetUser(ctx, ref); err == nil {
		return u, nil
	} else if !errs.Is(err, errs.NotFound) {
		return nil, err
	}
	if domain == "" {
		domain = DefaultDomainID
	}
	d, err := s.FindDomain(ctx, domain, "")
	if errs.Is(err, errs.NotFound) {
		d, err = s.FindDomain(ctx, "", domain)
	}
	if err != nil {
		return nil, err
	}
	return s.FindUser(ctx, "", ref, d.ID)
}

// ResetPassword replaces a user's password without knowing the old one, as
// an operator recovering a lost password does. Like any password change it
// revokes every token the user holds and clears a lockout.
func (s *Service) ResetPassword(ctx context.Context, userID, password string) error {
	if password == "" {
		return errs.Field("password", "must not be empty")
	}
	_, err := s.UpdateUser(ctx, userID, UserPatch{Password: &password})
	return err
}
