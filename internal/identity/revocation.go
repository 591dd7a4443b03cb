package identity

import (
	"context"
	"fmt"
	"sync"
	"time"
)

type revKind uint8

const (
	revToken revKind = iota + 1
	revUser
	revProject
	revDomain
	revAppCred
	revUserProject
)

type revKey struct {
	kind revKind
	a, b string
}

// revocationCache is the in-memory revocation list every validation checks:
// per key, the latest issued_before (unix µs) of the events for that key.
type revocationCache struct {
	mu sync.RWMutex
	m  map[revKey]int64
}

func newRevocationCache() *revocationCache {
	return &revocationCache{m: map[revKey]int64{}}
}

func keyOf(r *revocation) revKey {
	switch {
	case r.TokenID != "":
		return revKey{kind: revToken, a: r.TokenID}
	case r.AppCredID != "":
		return revKey{kind: revAppCred, a: r.AppCredID}
	case r.UserID != "" && r.ProjectID != "":
		return revKey{kind: revUserProject, a: r.UserID, b: r.ProjectID}
	case r.UserID != "":
		return revKey{kind: revUser, a: r.UserID}
	case r.ProjectID != "":
		return revKey{kind: revProject, a: r.ProjectID}
	case r.DomainID != "":
		return revKey{kind: revDomain, a: r.DomainID}
	}
	return revKey{}
}

func (c *revocationCache) add(rs ...revocation) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range rs {
		k := keyOf(&rs[i])
		if k.kind == 0 {
			continue
		}
		if rs[i].IssuedBefore > c.m[k] {
			c.m[k] = rs[i].IssuedBefore
		}
	}
}

// revoked reports whether an event matches t.
func (c *revocationCache) revoked(t *Token) bool {
	iat := t.IssuedAt.UnixMicro()
	c.mu.RLock()
	defer c.mu.RUnlock()
	if len(c.m) == 0 {
		return false
	}
	hit := func(k revKey) bool {
		v, ok := c.m[k]
		return ok && iat <= v
	}
	if hit(revKey{kind: revToken, a: t.ID}) || hit(revKey{kind: revUser, a: t.UserID}) {
		return true
	}
	if t.AuditChainID != "" && hit(revKey{kind: revToken, a: t.AuditChainID}) {
		return true
	}
	if t.ProjectID != "" && (hit(revKey{kind: revProject, a: t.ProjectID}) || hit(revKey{kind: revUserProject, a: t.UserID, b: t.ProjectID})) {
		return true
	}
	if t.DomainID != "" && hit(revKey{kind: revDomain, a: t.DomainID}) {
		return true
	}
	if t.UserDomainID != "" && t.UserDomainID != t.DomainID && hit(revKey{kind: revDomain, a: t.UserDomainID}) {
		return true
	}
	return t.AppCredID != "" && hit(revKey{kind: revAppCred, a: t.AppCredID})
}

// prune forgets events that can no longer match a valid token: every token
// issued before cutoff has expired.
func (c *revocationCache) prune(cutoff int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, v := range c.m {
		if v < cutoff {
			delete(c.m, k)
		}
	}
}

// revoke records an event in the database and in this process's cache. Other
// processes pick it up at their next refresh.
func (s *Service) revoke(ctx context.Context, r revocation) error {
	now := s.now()
	if r.IssuedBefore == 0 {
		r.IssuedBefore = now.UnixMicro()
	}
	if r.ExpiresAt.IsZero() {
		r.ExpiresAt = now.Add(s.cfg.TokenTTL + time.Minute)
	}
	r.CreatedAt = now
	if _, err := s.db.NewInsert().Model(&r).Exec(ctx); err != nil {
		return fmt.Errorf("record revocation: %w", err)
	}
	s.revs.add(r)
	return nil
}

// revokeUser revokes every token of a user issued until now.
func (s *Service) revokeUser(ctx context.Context, userID string) error {
	return s.revoke(ctx, revocation{UserID: userID})
}

// refreshRevocations loads events recorded since the last poll (with an
// overlap, so an event whose transaction committed late is not missed) and
// prunes expired ones.
func (s *Service) refreshRevocations(ctx context.Context, full bool) error {
	now := s.now()
	q := s.db.NewSelect().Model((*revocation)(nil)).Where("expires_at > ?", now)
	s.pollMu.Lock()
	since := s.lastPoll
	s.pollMu.Unlock()
	if !full && !since.IsZero() {
		q = q.Where("created_at >= ?", since.Add(-revocationOverlap))
	}
	var rows []revocation
	if err := q.Scan(ctx, &rows); err != nil {
		return fmt.Errorf("load revocations: %w", err)
	}
	s.revs.add(rows...)
	s.pollMu.Lock()
	s.lastPoll = now
	s.pollMu.Unlock()
	return nil
}

// revocationOverlap re-reads events this far before the last poll.
const revocationOverlap = 30 * time.Second

func (s *Service) pruneRevocations(ctx context.Context) error {
	s.revs.prune(s.now().Add(-s.cfg.TokenTTL - time.Minute).UnixMicro())
	_, err := s.db.NewDelete().Model((*revocation)(nil)).Where("expires_at <= ?", s.now()).Exec(ctx)
	return err
}
