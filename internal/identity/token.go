package identity

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/ids"
)

// Scope kinds of a token.
const (
	ScopeNone    = ""
	ScopeProject = "project"
	ScopeDomain  = "domain"
	ScopeSystem  = "system"
)

// Authentication methods.
const (
	MethodPassword = "password"
	MethodToken    = "token"
	MethodAppCred  = "application_credential"
)

// TokenIssuer is the iss claim of every Skyfold token.
const TokenIssuer = "skyfold"

// MaxTokenLength bounds the tokens Parse looks at.
const MaxTokenLength = 8192

// Token is a validated token: who, for which scope, with which roles, until
// when. Everything here travels inside the signed token, so validating one
// reads no database row.
type Token struct {
	ID           string // jti; also the audit id
	AuditChainID string // jti of the token this one was rescoped from
	UserID       string
	UserName     string // as it was when the token was issued (for audit records)
	UserDomainID string
	Methods      []string
	IssuedAt     time.Time
	ExpiresAt    time.Time
	Scope        string // ScopeNone, ScopeProject, ScopeDomain or ScopeSystem
	ProjectID    string // project scope
	DomainID     string // domain scope, or the project's domain
	AdminProject bool   // scoped to the bootstrap admin project: its roles act on the system
	Roles        []RoleRef
	AppCredID    string
	Restricted   bool // from an application credential that may not create others
}

// Breadth is the breadth of the token's scope.
func (t *Token) Breadth() Breadth {
	switch t.Scope {
	case ScopeSystem:
		return BreadthSystem
	case ScopeDomain:
		return BreadthDomain
	case ScopeProject:
		if t.AdminProject {
			return BreadthSystem
		}
		return BreadthProject
	}
	return BreadthNone
}

// grantAt is the token's grant at breadth b (b no wider than the token's).
func (t *Token) grantAt(b Breadth) (Grant, bool) {
	switch b {
	case BreadthSystem:
		return Grant{Breadth: BreadthSystem}, true
	case BreadthDomain:
		d := t.DomainID
		if t.Scope == ScopeSystem || t.AdminProject {
			d = t.UserDomainID
		}
		return Grant{Breadth: BreadthDomain, DomainID: d}, d != ""
	case BreadthProject:
		if t.Scope != ScopeProject {
			return Grant{}, false
		}
		return Grant{Breadth: BreadthProject, DomainID: t.DomainID, ProjectID: t.ProjectID}, true
	}
	return Grant{}, false
}

// HasRole reports whether the token carries a role by name.
func (t *Token) HasRole(name string) bool {
	for _, r := range t.Roles {
		if r.Name == name {
			return true
		}
	}
	return false
}

// RoleNames lists the token's role names.
func (t *Token) RoleNames() []string {
	out := make([]string, len(t.Roles))
	for i, r := range t.Roles {
		out[i] = r.Name
	}
	return out
}

// claims is the JWT payload. Short names keep tokens small.
type claims struct {
	jwt.RegisteredClaims
	IssuedMicro  int64     `json:"iatu"`
	Methods      []string  `json:"mth"`
	UserName     string    `json:"unm,omitempty"`
	UserDomainID string    `json:"udid"`
	Scope        string    `json:"sc,omitempty"`
	ProjectID    string    `json:"pid,omitempty"`
	DomainID     string    `json:"did,omitempty"`
	AdminProject bool      `json:"adm,omitempty"`
	Roles        []RoleRef `json:"rol,omitempty"`
	AppCredID    string    `json:"acid,omitempty"`
	Restricted   bool      `json:"rst,omitempty"`
	AuditChain   string    `json:"ach,omitempty"`
}

// keyring holds the HMAC keys tokens are signed with: the newest signs, all
// verify.
type keyring struct {
	current  string
	keys     map[string][]byte
	byHeader map[string][]byte // exact encoded header → key
}

// signer signs and verifies tokens with an atomically swappable keyring.
// Tokens it has verified are remembered (keyed by the whole signed string,
// so only the very same bytes hit) so that a client reusing its token is not
// charged a signature check and a JSON decode on every request.
type signer struct {
	ring  atomic.Pointer[keyring]
	cache [cacheShards]cacheShard
}

const (
	cacheShards   = 16
	cachePerShard = 512
)

type cacheShard struct {
	mu sync.RWMutex
	m  map[string]*Token
}

func (s *signer) shard(raw string) *cacheShard {
	// FNV-1a over the signature's last bytes: cheap and well spread.
	h := uint32(2166136261)
	for i := max(0, len(raw)-16); i < len(raw); i++ {
		h = (h ^ uint32(raw[i])) * 16777619
	}
	return &s.cache[h%cacheShards]
}

func (s *signer) cached(raw string) *Token {
	sh := s.shard(raw)
	sh.mu.RLock()
	t := sh.m[raw]
	sh.mu.RUnlock()
	return t
}

func (s *signer) remember(raw string, t *Token) {
	sh := s.shard(raw)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.m == nil {
		sh.m = make(map[string]*Token, cachePerShard)
	}
	if len(sh.m) >= cachePerShard {
		for k := range sh.m { // map order is random: evict one at random
			delete(sh.m, k)
			break
		}
	}
	sh.m[raw] = t
}

func (s *signer) forgetAll() {
	for i := range s.cache {
		s.cache[i].mu.Lock()
		s.cache[i].m = nil
		s.cache[i].mu.Unlock()
	}
}

// verify returns the token raw encodes, from the cache when it was seen
// before and has not expired, else by parsing it. The returned token is
// shared: callers must not modify it.
func (s *signer) verify(raw string, now time.Time, useCache bool) (*Token, error) {
	if useCache {
		if t := s.cached(raw); t != nil {
			if !now.Before(t.ExpiresAt) {
				return nil, errBadToken
			}
			return t, nil
		}
	}
	t, err := s.parse(raw, now)
	if err != nil {
		return nil, err
	}
	if useCache {
		s.remember(raw, t)
	}
	return t, nil
}

func newSigner() *signer {
	s := &signer{}
	s.setKeys("", map[string][]byte{})
	return s
}

func (s *signer) setKeys(current string, keys map[string][]byte) {
	old := s.ring.Load()
	byHeader := make(map[string][]byte, len(keys))
	for id, k := range keys {
		byHeader[headerFor(id)] = k
	}
	s.ring.Store(&keyring{current: current, keys: keys, byHeader: byHeader})
	if old != nil {
		for id := range old.keys {
			if _, still := keys[id]; !still {
				s.forgetAll() // a key was retired: its tokens must fail
				break
			}
		}
	}
}

func newTokenID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// NewID returns a Keystone-style id: 32 lower-case hex digits.
func NewID() string { return ids.Hex() }

// sign encodes and signs t.
func (s *signer) sign(t *Token) (string, error) {
	ring := s.ring.Load()
	key, ok := ring.keys[ring.current]
	if !ok {
		return "", errors.New("no token signing key")
	}
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    TokenIssuer,
			Subject:   t.UserID,
			ID:        t.ID,
			IssuedAt:  jwt.NewNumericDate(t.IssuedAt),
			ExpiresAt: jwt.NewNumericDate(t.ExpiresAt),
		},
		IssuedMicro: t.IssuedAt.UnixMicro(), Methods: t.Methods, UserName: t.UserName, UserDomainID: t.UserDomainID,
		Scope: t.Scope, ProjectID: t.ProjectID, DomainID: t.DomainID, AdminProject: t.AdminProject,
		Roles: t.Roles, AppCredID: t.AppCredID, Restricted: t.Restricted, AuditChain: t.AuditChainID,
	}
	jt := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
	jt.Header["kid"] = ring.current
	return jt.SignedString(key)
}

var errBadToken = errs.E(errs.Unauthorized, "The request you have made requires authentication.")

// ErrBadToken is the error of any token that does not validate: malformed,
// badly signed, expired or revoked. The cause is never told to the caller.
func ErrBadToken() error { return errBadToken }

// wireClaims is the payload as parse decodes it: plain types, so decoding is
// one pass of encoding/json without the JWT library's reflection.
type wireClaims struct {
	Iss          string    `json:"iss"`
	Sub          string    `json:"sub"`
	Exp          int64     `json:"exp"`
	Iat          int64     `json:"iat"`
	Jti          string    `json:"jti"`
	IssuedMicro  int64     `json:"iatu"`
	Methods      []string  `json:"mth"`
	UserName     string    `json:"unm"`
	UserDomainID string    `json:"udid"`
	Scope        string    `json:"sc"`
	ProjectID    string    `json:"pid"`
	DomainID     string    `json:"did"`
	AdminProject bool      `json:"adm"`
	Roles        []RoleRef `json:"rol"`
	AppCredID    string    `json:"acid"`
	Restricted   bool      `json:"rst"`
	AuditChain   string    `json:"ach"`
}

// headerFor is the exact JOSE header sign writes for a key; parse accepts
// nothing else, so "alg":"none" and algorithm confusion cannot arise.
func headerFor(kid string) string {
	h, _ := json.Marshal(map[string]string{"alg": "HS256", "kid": kid, "typ": "JWT"})
	return base64.RawURLEncoding.EncodeToString(h)
}

// parse checks a token's header, signature, issuer and expiry and returns
// its contents. It does not consult the revocation list.
func (s *signer) parse(raw string, now time.Time) (*Token, error) {
	if raw == "" || len(raw) > MaxTokenLength {
		return nil, errBadToken
	}
	h, rest, ok := strings.Cut(raw, ".")
	if !ok {
		return nil, errBadToken
	}
	payload, sig, ok := strings.Cut(rest, ".")
	if !ok || strings.IndexByte(sig, '.') >= 0 {
		return nil, errBadToken
	}
	ring := s.ring.Load()
	key, ok := ring.byHeader[h]
	if !ok {
		return nil, errBadToken
	}
	want := make([]byte, 0, sha256.Size)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(raw[:len(h)+1+len(payload)]))
	want = mac.Sum(want)
	got := make([]byte, base64.RawURLEncoding.DecodedLen(len(sig)))
	n, err := base64.RawURLEncoding.Strict().Decode(got, []byte(sig))
	if err != nil || !hmac.Equal(got[:n], want) {
		return nil, errBadToken
	}
	body := make([]byte, base64.RawURLEncoding.DecodedLen(len(payload)))
	n, err = base64.RawURLEncoding.Strict().Decode(body, []byte(payload))
	if err != nil {
		return nil, errBadToken
	}
	var c wireClaims
	if err := json.Unmarshal(body[:n], &c); err != nil {
		return nil, errBadToken
	}
	if c.Iss != TokenIssuer || c.Sub == "" || c.Jti == "" || c.Exp == 0 || c.Iat == 0 {
		return nil, errBadToken
	}
	exp := time.Unix(c.Exp, 0).UTC()
	if !now.Before(exp) || time.Unix(c.Iat, 0).After(now.Add(clockSkew)) {
		return nil, errBadToken
	}
	switch c.Scope {
	case ScopeNone, ScopeSystem:
	case ScopeDomain:
		if c.DomainID == "" {
			return nil, errBadToken
		}
	case ScopeProject:
		if c.ProjectID == "" || c.DomainID == "" {
			return nil, errBadToken
		}
	default:
		return nil, errBadToken
	}
	return &Token{
		ID: c.Jti, AuditChainID: c.AuditChain, UserID: c.Sub, UserName: c.UserName, UserDomainID: c.UserDomainID,
		Methods: c.Methods, IssuedAt: time.UnixMicro(c.IssuedMicro).UTC(), ExpiresAt: exp,
		Scope: c.Scope, ProjectID: c.ProjectID, DomainID: c.DomainID, AdminProject: c.AdminProject,
		Roles: c.Roles, AppCredID: c.AppCredID, Restricted: c.Restricted,
	}, nil
}

// clockSkew is how far in the future a token's iat may be (servers' clocks
// differ a little).
const clockSkew = 5 * time.Second
