// Package auth authenticates and authorises every API request, for every
// face. A face declares each operation's policy in one line when it
// registers it:
//
//	api.Register(s, auth.Policy(huma.Operation{...}, "compute/tasks/list"), handler)
//
// and the middleware Install adds then, before the request body is even
// read: takes the token from X-Auth-Token or Authorization: Bearer,
// validates it (signature, expiry, revocation list), applies the rate limit
// of the face's route group per token (per client IP when there is no
// token), checks the policy and the list scope (scope=system|domain|project),
// and answers 401, 403 or 429 in the face's own envelope. Handlers reach the
// caller with auth.From(ctx): who it is, its roles, and the Grant saying
// which domain or project the operation may touch. Every mutating call is
// written to the audit log after the handler ran; handlers name the object
// they touched with auth.Note.
package auth

import (
	"context"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/skyfold/skyfold/internal/identity"
)

type mode uint8

const (
	modePolicy mode = iota + 1
	modePublic
	modeAuthenticated
)

// metaKey is the operation metadata key holding an operation's declaration.
const metaKey = "skyfold.auth"

// decl is what an operation declared.
type decl struct {
	mode   mode
	action [3]string
	raw    string
}

func declare(op huma.Operation, d *decl, note string) huma.Operation {
	if op.Metadata == nil {
		op.Metadata = map[string]any{}
	}
	op.Metadata[metaKey] = d
	if d.mode != modePublic {
		op.Security = []map[string][]string{{SchemeToken: {}}, {SchemeBearer: {}}}
	}
	if note != "" {
		if op.Description != "" {
			op.Description += "\n\n"
		}
		op.Description += note
	}
	return op
}

// Policy declares that op needs a token whose roles a policy allows action
// ("service/resource/action", e.g. "compute/tasks/list"). It panics on a
// malformed action: that is a programming error caught at start-up.
func Policy(op huma.Operation, action string) huma.Operation {
	a, err := identity.SplitAction(action)
	if err != nil {
		panic("auth.Policy: " + err.Error())
	}
	return declare(op, &decl{mode: modePolicy, action: a, raw: action}, "Policy: `"+action+"`.")
}

// Public declares that op needs no token (login, version discovery).
func Public(op huma.Operation) huma.Operation {
	return declare(op, &decl{mode: modePublic}, "")
}

// Authenticated declares that op needs a valid token and decides itself what
// the caller may do (self-service operations such as changing one's own
// password, where the rule depends on the object).
func Authenticated(op huma.Operation) huma.Operation {
	return declare(op, &decl{mode: modeAuthenticated}, "Needs a valid token; the operation checks ownership itself.")
}

func declOf(op *huma.Operation) *decl {
	if op == nil || op.Metadata == nil {
		return nil
	}
	d, _ := op.Metadata[metaKey].(*decl)
	return d
}

// Caller is the authenticated caller of a request.
type Caller struct {
	// Token is the validated token: user, scope, roles, expiry.
	Token *identity.Token
	// Grant is where the operation's policy lets the caller act, narrowed
	// by the request's scope= parameter. It is empty for operations declared
	// Authenticated.
	Grant identity.Grant
	// Action is the operation's declared policy action.
	Action string

	svc *identity.Service
}

// UserID is the caller's user id.
func (c *Caller) UserID() string { return c.Token.UserID }

// Can reports whether the caller's roles allow another action, and where.
func (c *Caller) Can(action string) (identity.Grant, bool) {
	return c.svc.Authorize(c.Token, action)
}

// Covers reports whether the operation's grant reaches an object owned by
// (domainID, projectID).
func (c *Caller) Covers(domainID, projectID string) bool { return c.Grant.Covers(domainID, projectID) }

// ProjectIDs lists the projects whose objects the grant shows: nil means
// every project (a system grant); an empty slice means none.
func (c *Caller) ProjectIDs(ctx context.Context) ([]string, error) {
	switch c.Grant.Breadth {
	case identity.BreadthSystem:
		return nil, nil
	case identity.BreadthDomain:
		return c.svc.ProjectIDsOfDomain(ctx, c.Grant.DomainID)
	case identity.BreadthProject:
		if c.Grant.ProjectID != "" {
			return []string{c.Grant.ProjectID}, nil
		}
	}
	return []string{}, nil
}

type ctxKey int

const (
	callerKey ctxKey = iota
	requestKey
	auditKey
)

// From returns the request's caller, or nil when the request carried no
// valid token (only possible in operations declared Public).
func From(ctx context.Context) *Caller {
	c, _ := ctx.Value(callerKey).(*Caller)
	return c
}

// WithCaller returns ctx carrying c; tests of handlers use it.
func WithCaller(ctx context.Context, c *Caller) context.Context {
	return context.WithValue(ctx, callerKey, c)
}

// NewCaller builds a caller for a validated token, for tests and for code
// that acts on behalf of a token outside an HTTP request.
func NewCaller(svc *identity.Service, t *identity.Token, g identity.Grant) *Caller {
	return &Caller{Token: t, Grant: g, svc: svc}
}

// Request is what handlers may need to know about the HTTP request.
type Request struct {
	// BaseURL is scheme://host as the client reached the server, for links
	// and the service catalog.
	BaseURL   string
	ClientIP  string
	RequestID string
}

// RequestFrom returns the request information the middleware stored.
func RequestFrom(ctx context.Context) Request {
	r, _ := ctx.Value(requestKey).(*Request)
	if r == nil {
		return Request{BaseURL: "http://localhost"}
	}
	return *r
}

// Object names what a mutating call touched, for the audit log.
type Object struct {
	Type      string
	ID        string
	Name      string
	DomainID  string // owner domain
	ProjectID string // owner project
}

type auditRecord struct {
	obj      Object
	set      bool
	userID   string
	userName string
}

// Note tells the audit log which object a mutating call touched and who owns
// it; without it the record names the caller's scope as the owner.
func Note(ctx context.Context, o Object) {
	if r, _ := ctx.Value(auditKey).(*auditRecord); r != nil {
		r.obj, r.set = o, true
	}
}

// NoteUser names the user of a call made without a token (a login), for the
// audit log.
func NoteUser(ctx context.Context, userID, userName string) {
	if r, _ := ctx.Value(auditKey).(*auditRecord); r != nil {
		r.userID, r.userName = userID, userName
	}
}

// Header names.
const (
	HeaderAuthToken    = "X-Auth-Token"
	HeaderSubjectToken = "X-Subject-Token"
	HeaderAuthorize    = "Authorization"
)

// ParseBearer reads "Bearer <token>" (the scheme in any case) and returns
// the token. It refuses anything else: other schemes, empty or oversized
// tokens, and characters outside RFC 6750's token68.
func ParseBearer(h string) (string, bool) {
	scheme, rest, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return "", false
	}
	tok := strings.TrimLeft(rest, " ")
	if !validToken(tok) {
		return "", false
	}
	return tok, true
}

func validToken(tok string) bool {
	if tok == "" || len(tok) > identity.MaxTokenLength {
		return false
	}
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-', c == '.', c == '_', c == '~', c == '+', c == '/', c == '=':
		default:
			return false
		}
	}
	return true
}

// TokenFromHeaders returns the token a request presents: X-Auth-Token
// first, then Authorization: Bearer. present tells whether the request
// tried to present one at all (a malformed attempt is present but not ok).
func TokenFromHeaders(xAuthToken, authorization string) (tok string, present, ok bool) {
	if xAuthToken != "" {
		t := strings.TrimSpace(xAuthToken)
		return t, true, validToken(t)
	}
	if authorization != "" {
		scheme, _, _ := strings.Cut(strings.TrimSpace(authorization), " ")
		if !strings.EqualFold(scheme, "bearer") {
			// Another scheme (Basic, a cloud signature) is not ours to judge.
			return "", false, false
		}
		t, ok := ParseBearer(authorization)
		return t, true, ok
	}
	return "", false, false
}
