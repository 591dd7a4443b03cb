package app

import (
	"context"
	"log/slog"

	"github.com/skyfold/skyfold/internal/config"
	"github.com/skyfold/skyfold/internal/identity"
	"github.com/skyfold/skyfold/internal/secret"
	"github.com/skyfold/skyfold/internal/store"
)

// The operator commands below work on the configured store directly, beside
// or instead of a running server: what they write, a server sees at once
// (users) or within identity's refresh interval (revocations).

// RotateKey re-encrypts every stored secret under newKey (empty: a generated
// one) and replaces the configured master key; see secret.Rotate.
func RotateKey(ctx context.Context, cfg config.Config, newKey string) (secret.RotationResult, error) {
	st, err := OpenStore(ctx, cfg)
	if err != nil {
		return secret.RotationResult{}, err
	}
	defer st.Close()
	return secret.Rotate(ctx, st.DB, secret.Rotation{EnvKeys: cfg.MasterKey, KeyFile: cfg.KeyFile(), NewKey: newKey})
}

// PasswordReset names the user whose password an operator resets.
type PasswordReset struct {
	User   string // id, or name in Domain
	Domain string // id or name; empty means Default
	// Password is the new password; empty generates one.
	Password string
}

// PasswordResetResult tells who was reset and, when it was generated, the
// new password (to be shown once, never logged).
type PasswordResetResult struct {
	UserID    string
	UserName  string
	Domain    string
	Password  string
	Generated bool
}

// ResetPassword sets a user's password and revokes every token the user
// holds, for an operator who lost the admin password.
func ResetPassword(ctx context.Context, cfg config.Config, log *slog.Logger, r PasswordReset) (PasswordResetResult, error) {
	var res PasswordResetResult
	err := withIdentity(ctx, cfg, log, func(id *identity.Service) error {
		u, err := id.LookupUser(ctx, r.User, r.Domain)
		if err != nil {
			return err
		}
		res.UserID, res.UserName, res.Domain = u.ID, u.Name, u.DomainID
		res.Password = r.Password
		if res.Password == "" {
			res.Password, res.Generated = identity.GeneratePassword(), true
		}
		return id.ResetPassword(ctx, u.ID, res.Password)
	})
	return res, err
}

// UnlockUser clears a user's lockout after failed logins and returns the
// user's id.
func UnlockUser(ctx context.Context, cfg config.Config, log *slog.Logger, user, domain string) (string, error) {
	var userID string
	err := withIdentity(ctx, cfg, log, func(id *identity.Service) error {
		u, err := id.LookupUser(ctx, user, domain)
		if err != nil {
			return err
		}
		userID = u.ID
		return id.Unlock(ctx, u.ID)
	})
	return userID, err
}

// withIdentity opens the store and an identity service configured as the
// server's is, so that revocations outlive the tokens they cover.
func withIdentity(ctx context.Context, cfg config.Config, log *slog.Logger, fn func(*identity.Service) error) error {
	box, err := LoadBox(cfg, log)
	if err != nil {
		return err
	}
	var st *store.Store
	if st, err = OpenStore(ctx, cfg); err != nil {
		return err
	}
	defer st.Close()
	idc, err := identityConfig(cfg, log)
	if err != nil {
		return err
	}
	return fn(identity.New(st.DB, box, idc))
}
