package identity

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/secret"
	"github.com/skyfold/skyfold/internal/store"
)

func init() {
	secret.RegisterColumn(secret.Column{Table: "identity_keys", Key: "id", Name: "secret"})
}

// Config tunes the identity service.
type Config struct {
	// TokenTTL is the lifetime of a new token (default 24 h).
	TokenTTL time.Duration
	// LockoutFailures is the number of consecutive failed password logins
	// that locks a user out; 0 disables lockout.
	LockoutFailures int
	// LockoutDuration is how long the first lockout of a (user, address)
	// pair lasts; each further one in a row lasts twice as long.
	LockoutDuration time.Duration
	// LockoutExemptAdmin exempts the bootstrap admin (admin in domain
	// Default) from lockout; rate limits still apply.
	LockoutExemptAdmin bool
	// TokenIssueLimit bounds the tokens one user may get (each password,
	// token or application-credential authentication); zero is off.
	TokenIssueLimit RateLimit
	// RefreshInterval bounds how long a revocation or a policy change made by
	// another process takes to be seen here (default 2 s).
	RefreshInterval time.Duration
	// KDF is the password hashing cost (default DefaultKDF).
	KDF KDFParams
	// NoTokenCache makes every validation check the signature and decode
	// the token again (benchmarks of the cold path).
	NoTokenCache bool
	// Now is the clock (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

func (c *Config) defaults() {
	if c.TokenTTL <= 0 {
		c.TokenTTL = 24 * time.Hour
	}
	if c.LockoutDuration <= 0 {
		c.LockoutDuration = 15 * time.Minute
	}
	if c.RefreshInterval <= 0 {
		c.RefreshInterval = 2 * time.Second
	}
	if c.KDF == (KDFParams{}) {
		c.KDF = DefaultKDF
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Service is the identity service. Its methods take a context first and
// return *errs.Error values faces render in their envelopes.
type Service struct {
	db     *bun.DB
	box    *secret.Box
	cfg    Config
	hash   *hasher
	signer *signer
	revs   *revocationCache

	policies atomic.Pointer[policySet]

	pollMu   sync.Mutex
	lastPoll time.Time

	domainProjects sync.Map // domain id → *projectList: cached project ids of a domain

	issued *Limiter // tokens issued per user (TokenIssueLimit), in this process
}

type projectList struct {
	ids []string
	at  time.Time
}

// New returns the service. Call Bootstrap (or Load) before serving, and Run
// to keep revocations and policies fresh.
func New(db *bun.DB, box *secret.Box, cfg Config) *Service {
	cfg.defaults()
	s := &Service{db: db, box: box, cfg: cfg, hash: newHasher(cfg.KDF), revs: newRevocationCache(), issued: NewLimiter(cfg.Now)}
	s.signer = newSigner()
	s.policies.Store(newPolicySet(nil))
	return s
}

// TokenTTL is the lifetime of new tokens.
func (s *Service) TokenTTL() time.Duration { return s.cfg.TokenTTL }

// RefreshInterval is the bound on how stale this process's revocation list
// and policies may be.
func (s *Service) RefreshInterval() time.Duration { return s.cfg.RefreshInterval }

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// Load reads the signing keys, policies and revocations. Bootstrap calls it.
func (s *Service) Load(ctx context.Context) error {
	if err := s.loadKeys(ctx); err != nil {
		return err
	}
	if err := s.loadPolicies(ctx); err != nil {
		return err
	}
	return s.refreshRevocations(ctx, true)
}

// Run refreshes revocations, policies and keys every RefreshInterval until
// ctx is done. The caller owns the goroutine that runs it.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.RefreshInterval)
	defer t.Stop()
	lastPrune := s.now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.refreshRevocations(ctx, false); err != nil && ctx.Err() == nil {
			s.cfg.Logger.Warn("identity: refresh revocations", "err", err)
		}
		if err := s.loadPolicies(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Logger.Warn("identity: refresh policies", "err", err)
		}
		if s.now().Sub(lastPrune) > 10*time.Minute {
			lastPrune = s.now()
			if err := s.pruneRevocations(ctx); err != nil && ctx.Err() == nil {
				s.cfg.Logger.Warn("identity: prune revocations", "err", err)
			}
			if err := s.loadKeys(ctx); err != nil && ctx.Err() == nil {
				s.cfg.Logger.Warn("identity: reload signing keys", "err", err)
			}
		}
	}
}

// Refresh reloads revocations and policies at once (tests, and after a change
// made by another process when waiting is not wanted).
func (s *Service) Refresh(ctx context.Context) error {
	if err := s.refreshRevocations(ctx, false); err != nil {
		return err
	}
	return s.loadPolicies(ctx)
}

// loadKeys reads the signing keys, creating the first one if there is none.
func (s *Service) loadKeys(ctx context.Context) error {
	var rows []signingKey
	if err := s.db.NewSelect().Model(&rows).Order("created_at DESC", "id").Scan(ctx); err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	if len(rows) == 0 {
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return err
		}
		enc, err := s.box.Encrypt(base64.StdEncoding.EncodeToString(raw))
		if err != nil {
			return fmt.Errorf("encrypt signing key: %w", err)
		}
		// Several processes may start at once: the first key wins (a fixed
		// id makes the others' inserts no-ops) and they all read it back.
		k := &signingKey{ID: "k1", Secret: enc, CreatedAt: s.now()}
		if _, err := s.db.NewInsert().Model(k).On("CONFLICT (id) DO NOTHING").Exec(ctx); err != nil {
			return fmt.Errorf("create signing key: %w", err)
		}
		if err := s.db.NewSelect().Model(&rows).Order("created_at DESC", "id").Scan(ctx); err != nil {
			return fmt.Errorf("load signing keys: %w", err)
		}
		if len(rows) == 0 {
			return errors.New("no signing key after creating one")
		}
	}
	keys := map[string][]byte{}
	for _, r := range rows {
		pt, err := s.box.Decrypt(r.Secret)
		if err != nil {
			return fmt.Errorf("signing key %s: %w", r.ID, err)
		}
		raw, err := base64.StdEncoding.DecodeString(pt)
		if err != nil || len(raw) < 32 {
			return fmt.Errorf("signing key %s is malformed", r.ID)
		}
		keys[r.ID] = raw
	}
	s.signer.setKeys(rows[0].ID, keys)
	return nil
}

func (s *Service) loadPolicies(ctx context.Context) error {
	var ps []Policy
	if err := s.db.NewSelect().Model(&ps).Order("name").Scan(ctx); err != nil {
		return fmt.Errorf("load policies: %w", err)
	}
	s.policies.Store(newPolicySet(ps))
	return nil
}

// Authorize returns the widest grant the token's roles give for action
// ("service/resource/action"), and false when no policy allows it.
func (s *Service) Authorize(t *Token, action string) (Grant, bool) {
	a, err := SplitAction(action)
	if err != nil || t == nil {
		return Grant{}, false
	}
	return s.policies.Load().authorize(t, a)
}

// AuthorizeSplit is Authorize for an action split once in advance.
func (s *Service) AuthorizeSplit(t *Token, action [3]string) (Grant, bool) {
	if t == nil {
		return Grant{}, false
	}
	return s.policies.Load().authorize(t, action)
}

// Validate checks a token: signature, expiry and the revocation list. It
// reads no database row and never touches a password hash.
//
// The token returned is shared with other callers: treat it as read-only.
func (s *Service) Validate(raw string) (*Token, error) {
	t, err := s.signer.verify(raw, s.now(), !s.cfg.NoTokenCache)
	if err != nil {
		return nil, err
	}
	if s.revs.revoked(t) {
		return nil, errBadToken
	}
	return t, nil
}

// ProjectIDsOfDomain lists the ids of a domain's projects, cached for the
// refresh interval (projects created here invalidate it at once).
func (s *Service) ProjectIDsOfDomain(ctx context.Context, domainID string) ([]string, error) {
	if v, ok := s.domainProjects.Load(domainID); ok {
		pl := v.(*projectList)
		if s.now().Sub(pl.at) < s.cfg.RefreshInterval {
			return pl.ids, nil
		}
	}
	var ids []string
	if err := s.db.NewSelect().Model((*Project)(nil)).Column("id").Where("domain_id = ?", domainID).Order("id").Scan(ctx, &ids); err != nil {
		return nil, fmt.Errorf("projects of domain %s: %w", domainID, err)
	}
	if ids == nil {
		ids = []string{}
	}
	s.domainProjects.Store(domainID, &projectList{ids: ids, at: s.now()})
	return ids, nil
}

func (s *Service) forgetDomainProjects(domainID string) { s.domainProjects.Delete(domainID) }

// notFound maps sql.ErrNoRows to a NotFound error of kind/id.
func notFound(err error, kind, id string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return errs.E(errs.NotFound, "Could not find %s: %s.", kind, id)
	}
	return err
}

// conflict maps a unique violation to Keystone's 409.
func conflict(err error, kind, name string) error {
	if store.IsUniqueViolation(err) {
		return errs.E(errs.Conflict, "Conflict occurred attempting to store %s - Duplicate entry found with name %s.", kind, name)
	}
	return err
}
