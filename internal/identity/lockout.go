package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/skyfold/skyfold/internal/errs"
)

// Lockout is counted per (user, source address): wrong passwords sent from
// one address lock the user out from that address only, so a stranger who
// knows an admin's name cannot lock the admin out everywhere. Each lock of
// the same pair lasts twice as long as the one before (LockoutDuration,
// then twice that, … up to maxLockout), until a successful login from that
// address or an unlock.

// maxLockout caps the backoff.
const maxLockout = 24 * time.Hour

type loginLockout struct {
	bun.BaseModel `bun:"table:login_lockouts,alias:ll"`

	UserID      string `bun:"user_id,pk"`
	Source      string `bun:"source,pk"`
	Failures    int    `bun:"failures"`
	Lockouts    int    `bun:"lockouts"`
	LockedUntil int64  `bun:"locked_until"` // unix ms
	UpdatedAt   int64  `bun:"updated_at"`   // unix ms
}

type sourceKey struct{}

// WithSource records the address a request came from, for lockout and the
// audit log of authentication.
func WithSource(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, sourceKey{}, addr)
}

// sourceOf is the address recorded by WithSource ("" when none was).
func sourceOf(ctx context.Context) string {
	s, _ := ctx.Value(sourceKey{}).(string)
	return s
}

// exempt reports whether u is never locked out.
func (s *Service) exempt(u *User) bool {
	return s.cfg.LockoutExemptAdmin && u.DomainID == DefaultDomainID && u.Name == AdminUserName
}

// lockedOut reports whether u may not log in from the request's address.
func (s *Service) lockedOut(ctx context.Context, u *User, now time.Time) (bool, error) {
	if s.exempt(u) {
		return false, nil
	}
	if u.Locked(now) {
		return true, nil
	}
	var l loginLockout
	err := s.db.NewSelect().Model(&l).Where("user_id = ?", u.ID).Where("source = ?", sourceOf(ctx)).Limit(1).Scan(ctx)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return false, err
	}
	return l.LockedUntil > now.UnixMilli(), nil
}

// recordFailure counts a wrong password from the request's address and
// locks the pair out once the count reaches LockoutFailures.
func (s *Service) recordFailure(ctx context.Context, u *User) error {
	if s.cfg.LockoutFailures <= 0 || s.exempt(u) {
		return nil
	}
	src := sourceOf(ctx)
	now := s.now()
	var l loginLockout
	err := s.db.NewInsert().Model(&loginLockout{UserID: u.ID, Source: src, Failures: 1, UpdatedAt: now.UnixMilli()}).
		On("CONFLICT (user_id, source) DO UPDATE").
		Set("failures = ll.failures + 1").Set("updated_at = EXCLUDED.updated_at").
		Returning("failures, lockouts").Scan(ctx, &l.Failures, &l.Lockouts)
	if err != nil {
		return err
	}
	if l.Failures < s.cfg.LockoutFailures {
		return nil
	}
	d := s.cfg.LockoutDuration
	for i := 0; i < l.Lockouts && d < maxLockout; i++ {
		d *= 2
	}
	d = min(d, maxLockout)
	until := now.Add(d)
	if _, err := s.db.NewUpdate().Model((*loginLockout)(nil)).
		Set("failures = 0").Set("lockouts = lockouts + 1").Set("locked_until = ?", until.UnixMilli()).
		Where("user_id = ?", u.ID).Where("source = ?", src).Exec(ctx); err != nil {
		return err
	}
	s.cfg.Logger.Warn("identity: user locked out after failed logins", "user_id", u.ID, "source", src,
		"failures", l.Failures, "until", until.UTC().Format(time.RFC3339))
	return s.auditLock(ctx, u, "lockout", src, fmt.Sprintf("locked for %s", d))
}

// loginSucceeded forgets the failures of the pair.
func (s *Service) loginSucceeded(ctx context.Context, u *User) error {
	_, err := s.db.NewDelete().Model((*loginLockout)(nil)).Where("user_id = ?", u.ID).Where("source = ?", sourceOf(ctx)).Exec(ctx)
	return err
}

// clearLockouts forgets every failure and lock of the user. It reports
// whether an address was locked out, for the audit log.
func (s *Service) clearLockouts(ctx context.Context, userID string) (bool, error) {
	n, err := s.db.NewSelect().Model((*loginLockout)(nil)).Where("user_id = ?", userID).
		Where("locked_until > ?", s.now().UnixMilli()).Count(ctx)
	if err != nil {
		return false, err
	}
	if _, err := s.db.NewDelete().Model((*loginLockout)(nil)).Where("user_id = ?", userID).Exec(ctx); err != nil {
		return false, err
	}
	return n > 0, nil
}

// Unlock clears a user's lockouts from every address, and records it in
// the audit log.
func (s *Service) Unlock(ctx context.Context, userID string) error {
	res, err := s.db.NewUpdate().Model((*User)(nil)).Set("failed_logins = 0").Set("locked_until = 0").Where("id = ?", userID).Exec(ctx)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.E(errs.NotFound, "Could not find user: %s.", userID)
	}
	if _, err := s.clearLockouts(ctx, userID); err != nil {
		return err
	}
	u, err := s.GetUser(ctx, userID)
	if err != nil {
		return err
	}
	return s.auditLock(ctx, u, "unlock", sourceOf(ctx), "")
}

// auditLock writes a lock or unlock to the audit log.
func (s *Service) auditLock(ctx context.Context, u *User, action, src, note string) error {
	path := "identity/lockout"
	if note != "" {
		path += " (" + note + ")"
	}
	return s.RecordAudit(ctx, AuditEvent{UserID: u.ID, UserName: u.Name, DomainID: u.DomainID, Service: "identity",
		ObjectType: "user", ObjectID: u.ID, ObjectName: u.Name, Action: action, Result: AuditSuccess,
		Path: path, ClientIP: src})
}
