package identity

import (
	"context"
	"slices"
	"time"

	"github.com/skyfold/skyfold/internal/errs"
)

// PasswordAuth identifies a user by id, or by name in a domain given by id or
// name, and carries the password.
type PasswordAuth struct {
	UserID     string
	UserName   string
	DomainID   string
	DomainName string
	Password   string
}

// TokenAuth authenticates with an existing token (to rescope it).
type TokenAuth struct {
	Token string
}

// AppCredAuth authenticates with an application credential, by id or by
// name and its user.
type AppCredAuth struct {
	ID         string
	Name       string
	UserID     string
	UserName   string
	DomainID   string
	DomainName string
	Secret     string
}

// ScopeRequest asks for a token scope. Zero value: no scope asked (the
// user's default project is used when they hold a role on it).
type ScopeRequest struct {
	Kind              string // ScopeNone, ScopeProject, ScopeDomain, ScopeSystem
	ProjectID         string
	ProjectName       string
	ProjectDomainID   string
	ProjectDomainName string
	DomainID          string
	DomainName        string
	Unscoped          bool // "unscoped" asked explicitly: ignore the default project
}

// AuthRequest is one authentication: the methods and their inputs, and the
// scope wanted.
type AuthRequest struct {
	Methods  []string
	Password *PasswordAuth
	Token    *TokenAuth
	AppCred  *AppCredAuth
	Scope    ScopeRequest
}

// errAuth is the one error every failed authentication returns, whether the
// user does not exist, the password is wrong, the user is disabled or locked
// out: callers cannot tell which.
var errAuth = errs.E(errs.Unauthorized, "The request you have made requires authentication.")

// errScope is returned when the token cannot be scoped as asked.
var errScope = errs.E(errs.Unauthorized, "The request you have made requires authentication.")

// LoginFailure tells the audit log which user a failed login named, when
// one was found; it is never shown to the caller.
type LoginFailure struct {
	UserID string
}

// Authenticate checks the request's credentials and issues a token. It
// returns the token and its signed form.
func (s *Service) Authenticate(ctx context.Context, req AuthRequest) (*Token, string, error) {
	if len(req.Methods) == 0 {
		return nil, "", errs.Field("auth.identity.methods", "at least one method is required")
	}
	var (
		user     *User
		methods  []string
		base     *Token // the token a rescope starts from
		appCred  *AppCredential
		identify = func(u *User) error {
			if user != nil && user.ID != u.ID {
				return errAuth
			}
			user = u
			return nil
		}
	)
	for _, m := range req.Methods {
		if slices.Contains(methods, m) {
			continue
		}
		methods = append(methods, m)
		switch m {
		case MethodPassword:
			if req.Password == nil {
				return nil, "", errs.Field("auth.identity.password", "required by method password")
			}
			u, err := s.checkPassword(ctx, req.Password)
			if err != nil {
				return nil, "", err
			}
			if err := identify(u); err != nil {
				return nil, "", err
			}
		case MethodToken:
			if req.Token == nil {
				return nil, "", errs.Field("auth.identity.token", "required by method token")
			}
			t, err := s.Validate(req.Token.Token)
			if err != nil {
				return nil, "", errAuth
			}
			if t.AppCredID != "" {
				return nil, "", errs.E(errs.Forbidden, "A token issued for an application credential cannot be rescoped.")
			}
			u, err := s.GetUser(ctx, t.UserID)
			if err != nil {
				return nil, "", errAuth
			}
			if err := identify(u); err != nil {
				return nil, "", err
			}
			base = t
			for _, bm := range t.Methods {
				if !slices.Contains(methods, bm) {
					methods = append(methods, bm)
				}
			}
		case MethodAppCred:
			if req.AppCred == nil {
				return nil, "", errs.Field("auth.identity.application_credential", "required by method application_credential")
			}
			ac, u, err := s.checkAppCred(ctx, req.AppCred)
			if err != nil {
				return nil, "", err
			}
			if err := identify(u); err != nil {
				return nil, "", err
			}
			appCred = ac
		default:
			return nil, "", errs.E(errs.Unauthorized, "Attempted to authenticate with an unsupported method.")
		}
	}
	if user == nil || !user.Enabled {
		return nil, "", errAuth
	}
	ud, err := s.GetDomain(ctx, user.DomainID)
	if err != nil || !ud.Enabled {
		return nil, "", errAuth
	}
	// Per user, not per token or address: logging in again must not be a
	// way around the request rate limit, which counts per user.
	if ok, wait := s.issued.Allow("tokens", user.ID, s.cfg.TokenIssueLimit); !ok {
		e := errs.E(errs.Throttled, "Too many tokens requested for this user: the limit is %s; retry in %ds.",
			s.cfg.TokenIssueLimit, int((wait+time.Second-1)/time.Second))
		e.RetryAfter = wait
		return nil, "", e
	}
	// The token carries its issue time to the microsecond (revocation events
	// compare against it) and its expiry to the second (JWT's exp).
	now := s.now().Truncate(time.Microsecond)
	t := &Token{
		ID: newTokenID(), UserID: user.ID, UserName: user.Name, UserDomainID: user.DomainID, Methods: methods,
		IssuedAt: now, ExpiresAt: now.Add(s.cfg.TokenTTL).Truncate(time.Second),
	}
	if base != nil {
		// A rescoped token lives no longer than the one it came from.
		t.ExpiresAt = base.ExpiresAt
		t.AuditChainID = base.AuditChainID
		if t.AuditChainID == "" {
			t.AuditChainID = base.ID
		}
	}
	if err := s.scope(ctx, t, user, req.Scope, appCred); err != nil {
		return nil, "", err
	}
	if appCred != nil {
		t.AppCredID, t.Restricted = appCred.ID, !appCred.Unrestricted
		if appCred.ExpiresAt != nil && appCred.ExpiresAt.Before(t.ExpiresAt) {
			t.ExpiresAt = *appCred.ExpiresAt
		}
	}
	if appCred != nil && appCred.ExpiresAt != nil {
		t.ExpiresAt = t.ExpiresAt.Truncate(time.Second)
	}
	signed, err := s.signer.sign(t)
	if err != nil {
		return nil, "", err
	}
	return t, signed, nil
}

// scope resolves the requested scope and fills in the token's roles.
func (s *Service) scope(ctx context.Context, t *Token, user *User, sr ScopeRequest, ac *AppCredential) error {
	if ac != nil {
		// An application credential is bound to its project.
		if sr.Kind != ScopeNone && sr.Kind != ScopeProject {
			return errScope
		}
		if sr.Kind == ScopeProject && sr.ProjectID != "" && sr.ProjectID != ac.ProjectID {
			return errScope
		}
		sr = ScopeRequest{Kind: ScopeProject, ProjectID: ac.ProjectID}
	}
	kind := sr.Kind
	if kind == ScopeNone && !sr.Unscoped && user.DefaultProjectID != "" {
		// Keystone scopes to the default project when the user holds a role
		// on it, and issues an unscoped token otherwise.
		if p, err := s.GetProject(ctx, user.DefaultProjectID); err == nil && p.Enabled {
			if d, err := s.GetDomain(ctx, p.DomainID); err == nil && d.Enabled {
				roles, err := s.EffectiveRoles(ctx, user.ID, TargetProject, p.ID, p.DomainID)
				if err != nil {
					return err
				}
				if len(roles) > 0 {
					t.Scope, t.ProjectID, t.DomainID, t.AdminProject, t.Roles = ScopeProject, p.ID, p.DomainID, p.Admin, roles
				}
			}
		}
		return nil
	}
	switch kind {
	case ScopeNone:
		return nil
	case ScopeProject:
		domainID := sr.ProjectDomainID
		if sr.ProjectID == "" && domainID == "" {
			d, err := s.FindDomain(ctx, "", sr.ProjectDomainName)
			if err != nil {
				return errScope
			}
			domainID = d.ID
		}
		p, err := s.FindProject(ctx, sr.ProjectID, sr.ProjectName, domainID)
		if err != nil || !p.Enabled {
			return errScope
		}
		d, err := s.GetDomain(ctx, p.DomainID)
		if err != nil || !d.Enabled {
			return errScope
		}
		roles, err := s.EffectiveRoles(ctx, user.ID, TargetProject, p.ID, p.DomainID)
		if err != nil {
			return err
		}
		if ac != nil {
			roles = intersectRoles(roles, ac.Roles)
		}
		if len(roles) == 0 {
			return errScope
		}
		t.Scope, t.ProjectID, t.DomainID, t.AdminProject, t.Roles = ScopeProject, p.ID, p.DomainID, p.Admin, roles
	case ScopeDomain:
		d, err := s.FindDomain(ctx, sr.DomainID, sr.DomainName)
		if err != nil || !d.Enabled {
			return errScope
		}
		roles, err := s.EffectiveRoles(ctx, user.ID, TargetDomain, d.ID, "")
		if err != nil {
			return err
		}
		if len(roles) == 0 {
			return errScope
		}
		t.Scope, t.DomainID, t.Roles = ScopeDomain, d.ID, roles
	case ScopeSystem:
		roles, err := s.EffectiveRoles(ctx, user.ID, TargetSystem, SystemTarget, "")
		if err != nil {
			return err
		}
		if len(roles) == 0 {
			return errScope
		}
		t.Scope, t.Roles = ScopeSystem, roles
	default:
		return errs.Field("auth.scope", "unknown scope")
	}
	return nil
}

func intersectRoles(have, allowed []RoleRef) []RoleRef {
	var out []RoleRef
	for _, r := range have {
		for _, a := range allowed {
			if a.ID == r.ID {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// lookupUser finds the user a password or application credential names.
func (s *Service) lookupUser(ctx context.Context, id, name, domainID, domainName string) (*User, error) {
	if id != "" {
		return s.GetUser(ctx, id)
	}
	if domainID == "" {
		d, err := s.FindDomain(ctx, "", domainName)
		if err != nil {
			return nil, err
		}
		domainID = d.ID
	}
	return s.FindUser(ctx, "", name, domainID)
}

// checkPassword verifies a password login, applying lockout. Whatever goes
// wrong — no such user, wrong password, locked out, disabled — the error is
// the same, and the time taken is one KDF verification.
func (s *Service) checkPassword(ctx context.Context, pa *PasswordAuth) (*User, error) {
	u, err := s.lookupUser(ctx, pa.UserID, pa.UserName, pa.DomainID, pa.DomainName)
	if err != nil {
		if !errs.Is(err, errs.NotFound) {
			return nil, err
		}
		s.hash.burn(ctx)
		return nil, errAuth
	}
	now := s.now()
	locked, err := s.lockedOut(ctx, u, now)
	if err != nil {
		return nil, err
	}
	if locked {
		s.hash.burn(ctx)
		return nil, errAuth
	}
	ok, rehash, err := s.hash.Verify(ctx, u.PasswordHash, pa.Password)
	if err != nil {
		return nil, err
	}
	if !ok {
		if err := s.recordFailure(ctx, u); err != nil {
			return nil, err
		}
		return nil, errAuth
	}
	if !u.Enabled {
		return nil, errAuth
	}
	q := s.db.NewUpdate().Model((*User)(nil)).Where("id = ?", u.ID).Set("last_login_at = ?", now)
	if u.FailedLogins > 0 || u.LockedUntil > 0 {
		q = q.Set("failed_logins = 0").Set("locked_until = 0")
	}
	if rehash {
		if h, err := s.hash.Hash(ctx, pa.Password); err == nil {
			q = q.Set("password_hash = ?", h)
		}
	}
	if _, err := q.Exec(ctx); err != nil {
		return nil, err
	}
	if err := s.loginSucceeded(ctx, u); err != nil {
		return nil, err
	}
	return u, nil
}

// RevokeToken revokes one token (and the tokens rescoped from it).
func (s *Service) RevokeToken(ctx context.Context, t *Token) error {
	return s.revoke(ctx, revocation{TokenID: t.ID, ExpiresAt: t.ExpiresAt.Add(time.Minute)})
}
