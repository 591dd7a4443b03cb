package auth

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/skyfold/skyfold/internal/api"
	"github.com/skyfold/skyfold/internal/api/envelope"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/identity"
)

// OpenAPI security scheme names.
const (
	SchemeToken  = "token"
	SchemeBearer = "bearer"
)

// Options configure the middleware.
type Options struct {
	Identity *identity.Service
	// Limiter counts requests; nil disables rate limiting.
	Limiter *identity.Limiter
	// RateLimit is the default limit of every route group.
	RateLimit identity.RateLimit
	// GroupLimits override RateLimit per route group; a group is a face
	// name: keystone, cloudpods, bridgx, cloudlens, cloudkitty, plain.
	GroupLimits map[string]identity.RateLimit
	// NoAudit turns the audit log off (benchmarks).
	NoAudit bool
	Logger  *slog.Logger
}

type middleware struct {
	opts    Options
	api     huma.API
	warned  sync.Map
	limits  [6]identity.RateLimit // by envelope.Face
	limited bool
}

// Install adds the authentication, rate-limit, policy and audit middleware to
// s. It must run before any face registers an operation: huma binds
// middleware to operations when they are registered, and Install panics
// otherwise so that no operation can escape it.
func Install(s *api.Server, opts Options) {
	if opts.Identity == nil {
		panic("auth.Install: no identity service")
	}
	if p := s.API.OpenAPI().Paths; len(p) > 0 {
		panic("auth.Install must run before faces register operations")
	}
	if opts.Logger == nil {
		opts.Logger = s.Logger()
	}
	m := &middleware{opts: opts, api: s.API, limited: opts.Limiter != nil}
	for f := envelope.Plain; f <= envelope.CloudKitty; f++ {
		m.limits[f] = opts.RateLimit
		if l, ok := opts.GroupLimits[f.String()]; ok {
			m.limits[f] = l
		}
	}
	comp := s.API.OpenAPI().Components
	if comp.SecuritySchemes == nil {
		comp.SecuritySchemes = map[string]*huma.SecurityScheme{}
	}
	comp.SecuritySchemes[SchemeToken] = &huma.SecurityScheme{Type: "apiKey", In: "header", Name: HeaderAuthToken,
		Description: "A token from POST /v3/auth/tokens (returned in X-Subject-Token)."}
	comp.SecuritySchemes[SchemeBearer] = &huma.SecurityScheme{Type: "http", Scheme: "bearer", BearerFormat: "JWT",
		Description: "The same token as Authorization: Bearer <token>."}
	s.API.UseMiddleware(m.handle)
}

func clientIP(remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return remote
	}
	return host
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	host := r.Host
	if host == "" || strings.ContainsAny(host, " /\\\"'<>") {
		host = "localhost"
	}
	return scheme + "://" + host
}

var (
	errNoToken   = errs.E(errs.Unauthorized, "The request you have made requires authentication.")
	errUndeclare = errs.E(errs.Forbidden, "You are not authorized to perform the requested action.")
)

func forbidden(action string) error {
	return errs.E(errs.Forbidden, "You are not authorized to perform the requested action: %s.", action)
}

func (m *middleware) fail(ctx huma.Context, face envelope.Face, base string, err error) {
	e := errs.As(err)
	if e.Code == errs.Throttled && e.RetryAfter > 0 {
		ctx.SetHeader("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	if e.Code == errs.Unauthorized && face == envelope.Keystone {
		ctx.SetHeader("WWW-Authenticate", `Keystone uri="`+base+`/v3"`)
	}
	_ = huma.WriteErr(m.api, ctx, envelope.Status(e.Code), e.Message, e)
}

func isMutating(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

func (m *middleware) handle(ctx huma.Context, next func(huma.Context)) {
	svc := m.opts.Identity
	op := ctx.Operation()
	d := declOf(op)
	r, w := humago.Unwrap(ctx)
	face := envelope.ForPath(r.URL.Path)
	req := &Request{BaseURL: baseURL(r), ClientIP: clientIP(r.RemoteAddr), RequestID: w.Header().Get(api.RequestIDHeader)}

	raw, present, wellFormed := TokenFromHeaders(ctx.Header(HeaderAuthToken), ctx.Header(HeaderAuthorize))
	var tok *identity.Token
	if present && wellFormed {
		if t, err := svc.Validate(raw); err == nil {
			tok = t
		}
	}
	public := d != nil && d.mode == modePublic

	if m.limited {
		// Per user, so that more tokens buy no more requests; per address
		// for callers without a token.
		key := "ip:" + req.ClientIP
		if tok != nil {
			key = "user:" + tok.UserID
		}
		if ok, wait := m.opts.Limiter.Allow(face.String(), key, m.limits[face]); !ok {
			e := errs.E(errs.Throttled, "Too many requests: the limit is %s; retry in %ds.", m.limits[face], int((wait+time.Second-1)/time.Second))
			e.RetryAfter = wait
			m.fail(ctx, face, req.BaseURL, e)
			return
		}
	}

	if public || isMutating(r.Method) {
		// Logins (public operations) count failures per source address,
		// and unlocks name it in the audit log; reads need neither.
		ctx = huma.WithContext(ctx, identity.WithSource(ctx.Context(), req.ClientIP))
	}
	ctx = huma.WithValue(ctx, requestKey, req)
	var caller *Caller
	var denied error
	switch {
	case public:
		if tok != nil {
			caller = &Caller{Token: tok, svc: svc}
		}
	case tok == nil:
		m.fail(ctx, face, req.BaseURL, errNoToken)
		return
	case d == nil:
		// An operation that declared nothing is open to system admins only,
		// so that a forgotten declaration fails closed.
		if _, loaded := m.warned.LoadOrStore(op.OperationID, true); !loaded {
			m.opts.Logger.Warn("operation declares no auth policy; only system admins may call it", "operation", op.OperationID)
		}
		if tok.Breadth() != identity.BreadthSystem || !tok.HasRole(identity.RoleAdmin) {
			denied = errUndeclare
		}
		caller = &Caller{Token: tok, Grant: identity.Grant{Breadth: identity.BreadthSystem}, svc: svc}
	case d.mode == modeAuthenticated:
		caller = &Caller{Token: tok, svc: svc}
	default:
		g, ok := svc.AuthorizeSplit(tok, d.action)
		if !ok {
			denied = forbidden(d.raw)
			break
		}
		if s := ctx.Query("scope"); s != "" {
			if b, valid := identity.ParseBreadth(s); valid {
				wide := g.Breadth
				if g, ok = g.Narrow(b, tok); !ok {
					if b > wide {
						denied = errs.E(errs.Forbidden, "scope=%s is wider than your grant for %s (%s).", s, d.raw, wide)
					} else {
						denied = errs.E(errs.Forbidden, "scope=%s needs a token scoped to a %s.", s, s)
					}
					break
				}
			}
		}
		caller = &Caller{Token: tok, Grant: g, Action: d.raw, svc: svc}
	}

	var rec *auditRecord
	if isMutating(r.Method) && !m.opts.NoAudit {
		rec = &auditRecord{}
		ctx = huma.WithValue(ctx, auditKey, rec)
	}
	if denied != nil {
		m.fail(ctx, face, req.BaseURL, denied)
		if rec != nil {
			m.audit(ctx, r, req, d, tok, rec, http.StatusForbidden)
		}
		return
	}
	if caller != nil {
		ctx = huma.WithValue(ctx, callerKey, caller)
	}
	next(ctx)
	if rec != nil {
		st := ctx.Status()
		if st == 0 {
			st = http.StatusOK
		}
		m.audit(ctx, r, req, d, tok, rec, st)
	}
}

// audit records a mutating call. It runs after the response was written, on
// a context that outlives a client that hung up.
func (m *middleware) audit(ctx huma.Context, r *http.Request, req *Request, d *decl, tok *identity.Token, rec *auditRecord, status int) {
	e := identity.AuditEvent{
		RequestID: req.RequestID, ClientIP: req.ClientIP, Method: r.Method, Path: r.URL.Path, Status: status,
		Result: identity.AuditSuccess,
	}
	if status >= 400 {
		e.Result = identity.AuditFailure
	}
	if d != nil && d.mode == modePolicy {
		e.Service, e.ObjectType, e.Action = d.action[0], d.action[1], d.action[2]
	} else {
		e.Service, e.Action = envelope.ForPath(r.URL.Path).String(), strings.ToLower(r.Method)
		if op := ctx.Operation(); op != nil {
			e.Action = op.OperationID
		}
	}
	if tok != nil {
		e.UserID, e.UserName = tok.UserID, tok.UserName
		e.DomainID, e.ProjectID = tok.DomainID, tok.ProjectID
		if e.DomainID == "" && tok.Scope != identity.ScopeSystem {
			e.DomainID = tok.UserDomainID
		}
	}
	if rec.userID != "" || rec.userName != "" {
		e.UserID, e.UserName = rec.userID, rec.userName
	}
	if rec.set {
		o := rec.obj
		if o.Type != "" {
			e.ObjectType = o.Type
		}
		e.ObjectID, e.ObjectName = o.ID, o.Name
		if o.DomainID != "" || o.ProjectID != "" {
			e.DomainID, e.ProjectID = o.DomainID, o.ProjectID
		}
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx.Context()), 5*time.Second)
	defer cancel()
	if err := m.opts.Identity.RecordAudit(actx, e); err != nil {
		m.opts.Logger.Error("audit log write failed", "err", err, "request_id", req.RequestID)
	}
}

// String describes the options for the start-up log.
func (o Options) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "rate_limit=%s", o.RateLimit)
	groups := make([]string, 0, len(o.GroupLimits))
	for g := range o.GroupLimits {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	for _, g := range groups {
		fmt.Fprintf(&b, " %s=%s", g, o.GroupLimits[g])
	}
	return b.String()
}
