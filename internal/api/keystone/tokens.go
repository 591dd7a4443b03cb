package keystone

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"

	"github.com/skyfold/skyfold/internal/api"
	"github.com/skyfold/skyfold/internal/api/auth"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/identity"
)

// IDName is a reference by id and name.
type IDName struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// TokenUser is the user of a token.
type TokenUser struct {
	ID                string  `json:"id"`
	Name              string  `json:"name"`
	Domain            IDName  `json:"domain"`
	PasswordExpiresAt *string `json:"password_expires_at"`
}

// TokenProject is the project of a project-scoped token.
type TokenProject struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Domain IDName `json:"domain"`
}

// TokenAppCred names the application credential a token came from.
type TokenAppCred struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Restricted bool   `json:"restricted"`
}

// Endpoint is one catalog endpoint.
type Endpoint struct {
	ID        string `json:"id"`
	Interface string `json:"interface"`
	Region    string `json:"region"`
	RegionID  string `json:"region_id"`
	URL       string `json:"url"`
}

// CatalogEntry is one service of the catalog.
type CatalogEntry struct {
	ID        string     `json:"id"`
	Type      string     `json:"type"`
	Name      string     `json:"name"`
	Endpoints []Endpoint `json:"endpoints"`
}

// TokenBody is Keystone's token document.
type TokenBody struct {
	Methods        []string          `json:"methods"`
	User           TokenUser         `json:"user"`
	AuditIDs       []string          `json:"audit_ids"`
	ExpiresAt      string            `json:"expires_at"`
	IssuedAt       string            `json:"issued_at"`
	Project        *TokenProject     `json:"project,omitempty"`
	Domain         *IDName           `json:"domain,omitempty"`
	System         map[string]bool   `json:"system,omitempty"`
	Roles          []IDName          `json:"roles,omitempty"`
	Catalog        *[]CatalogEntry   `json:"catalog,omitempty"`
	IsDomain       *bool             `json:"is_domain,omitempty"`
	IsAdminProject *bool             `json:"is_admin_project,omitempty"`
	AppCred        *TokenAppCred     `json:"application_credential,omitempty"`
	Extras         map[string]string `json:"extras,omitempty"`
}

type tokenEnvelope struct {
	Token TokenBody `json:"token"`
}

type issueInput struct {
	NoCatalog string `query:"nocatalog" doc:"omit the service catalog"`
	RawBody   []byte `contentType:"application/json"`
}

type tokenOutput struct {
	SubjectToken string `header:"X-Subject-Token"`
	Body         tokenEnvelope
}

type subjectInput struct {
	SubjectToken string `header:"X-Subject-Token" required:"true" doc:"the token to validate, check or revoke"`
	NoCatalog    string `query:"nocatalog"`
}

type noContent struct{}

// services of the catalog: Skyfold's faces.
var catalogServices = []struct{ typ, name, path string }{
	{"identity", "keystone", "/v3"},
	{"rating", "cloudkitty", ""},
	{"skyfold-cloudpods", "cloudpods", "/api/v2"},
	{"skyfold-bridgx", "bridgx", "/api/v1"},
	{"skyfold-cloudlens", "cloudlens", "/api"},
}

func stableID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// catalog lists Skyfold's faces as Keystone services, at the URL the client
// reached.
func (f *face) catalog(ctx context.Context) []CatalogEntry {
	b := base(ctx)
	out := make([]CatalogEntry, 0, len(catalogServices))
	for _, s := range catalogServices {
		e := CatalogEntry{ID: stableID("service", s.typ), Type: s.typ, Name: s.name}
		for _, iface := range []string{"public", "internal", "admin"} {
			e.Endpoints = append(e.Endpoints, Endpoint{
				ID: stableID("endpoint", s.typ, iface), Interface: iface, Region: f.region, RegionID: f.region, URL: b + s.path,
			})
		}
		out = append(out, e)
	}
	return out
}

// render builds the token document, looking up the names the token does not
// carry.
func (f *face) render(ctx context.Context, t *identity.Token, withCatalog bool) (TokenBody, error) {
	body := TokenBody{
		Methods: t.Methods, AuditIDs: []string{t.ID}, ExpiresAt: ksTime(t.ExpiresAt), IssuedAt: ksTime(t.IssuedAt),
	}
	if t.AuditChainID != "" {
		body.AuditIDs = append(body.AuditIDs, t.AuditChainID)
	}
	u, err := f.svc.GetUser(ctx, t.UserID)
	if err != nil {
		return body, errs.E(errs.NotFound, "Could not find token.")
	}
	ud, err := f.svc.GetDomain(ctx, u.DomainID)
	if err != nil {
		return body, errs.E(errs.NotFound, "Could not find token.")
	}
	body.User = TokenUser{ID: u.ID, Name: u.Name, Domain: IDName{ID: ud.ID, Name: ud.Name}}
	switch t.Scope {
	case identity.ScopeProject:
		p, err := f.svc.GetProject(ctx, t.ProjectID)
		if err != nil {
			return body, errs.E(errs.NotFound, "Could not find token.")
		}
		pd, err := f.svc.GetDomain(ctx, p.DomainID)
		if err != nil {
			return body, errs.E(errs.NotFound, "Could not find token.")
		}
		body.Project = &TokenProject{ID: p.ID, Name: p.Name, Domain: IDName{ID: pd.ID, Name: pd.Name}}
		no, adm := false, p.Admin
		body.IsDomain, body.IsAdminProject = &no, &adm
	case identity.ScopeDomain:
		d, err := f.svc.GetDomain(ctx, t.DomainID)
		if err != nil {
			return body, errs.E(errs.NotFound, "Could not find token.")
		}
		body.Domain = &IDName{ID: d.ID, Name: d.Name}
	case identity.ScopeSystem:
		body.System = map[string]bool{"all": true}
	}
	if t.Scope != identity.ScopeNone {
		body.Roles = make([]IDName, len(t.Roles))
		for i, r := range t.Roles {
			body.Roles[i] = IDName{ID: r.ID, Name: r.Name}
		}
		if withCatalog {
			c := f.catalog(ctx)
			body.Catalog = &c
		}
	}
	if t.AppCredID != "" {
		body.AppCred = &TokenAppCred{ID: t.AppCredID, Restricted: t.Restricted}
		if ac, err := f.svc.GetAppCred(ctx, t.UserID, t.AppCredID); err == nil {
			body.AppCred.Name = ac.Name
		}
	}
	return body, nil
}

// subject validates the token a GET/HEAD/DELETE /v3/auth/tokens names and
// checks the caller may see it: its own tokens always, others' with the
// given action over the owner's domain.
func (f *face) subject(ctx context.Context, raw, action string) (*identity.Token, error) {
	c := caller(ctx)
	t, err := f.svc.Validate(raw)
	if err != nil {
		return nil, errs.E(errs.NotFound, "Could not find token.")
	}
	if t.UserID == c.UserID() {
		return t, nil
	}
	g, ok := c.Can(action)
	if !ok || !g.CoversDomain(t.UserDomainID) {
		return nil, errs.E(errs.Forbidden, "You are not authorized to perform the requested action: %s.", action)
	}
	return t, nil
}

type projectsOutput struct {
	Body struct {
		Projects []ProjectJSON `json:"projects"`
		Links    ListLinks     `json:"links"`
	}
}

type domainsOutput struct {
	Body struct {
		Domains []DomainJSON `json:"domains"`
		Links   ListLinks    `json:"links"`
	}
}

type catalogOutput struct {
	Body struct {
		Catalog []CatalogEntry `json:"catalog"`
		Links   ListLinks      `json:"links"`
	}
}

type systemOutput struct {
	Body struct {
		System []map[string]bool `json:"system"`
		Links  ListLinks         `json:"links"`
	}
}

func (f *face) registerAuth(s *api.Server) {
	// The body is parsed by ParseAuthBody, which names the offending field
	// the way Keystone clients expect.
	api.Register(s, auth.Public(described(unvalidated(created(op("issue-token", http.MethodPost, "/v3/auth/tokens", "Authenticate and issue a token", "tokens"))), "Methods password, token and application_credential; unscoped, project-, domain- or system-scoped. The token is returned in the X-Subject-Token header.")), f.issueToken)
	api.Register(s, auth.Authenticated(op("validate-token", http.MethodGet, "/v3/auth/tokens", "Validate a token", "tokens")), f.validateToken)
	api.Register(s, auth.Authenticated(op("check-token", http.MethodHead, "/v3/auth/tokens", "Check a token", "tokens")), f.checkToken)
	api.Register(s, auth.Authenticated(empty(op("revoke-token", http.MethodDelete, "/v3/auth/tokens", "Revoke a token", "tokens"))), f.revokeToken)
	api.Register(s, auth.Authenticated(op("auth-projects", http.MethodGet, "/v3/auth/projects", "Projects the token's user may scope to", "tokens")), f.authProjects)
	api.Register(s, auth.Authenticated(op("auth-domains", http.MethodGet, "/v3/auth/domains", "Domains the token's user may scope to", "tokens")), f.authDomains)
	api.Register(s, auth.Authenticated(op("auth-system", http.MethodGet, "/v3/auth/system", "Whether the token's user may scope to the system", "tokens")), f.authSystem)
	api.Register(s, auth.Authenticated(op("auth-catalog", http.MethodGet, "/v3/auth/catalog", "The service catalog", "tokens")), f.authCatalog)
}

func (f *face) issueToken(ctx context.Context, in *issueInput) (*tokenOutput, error) {
	req, err := ParseAuthBody(in.RawBody)
	if err != nil {
		return nil, err
	}
	noteLogin(ctx, req)
	t, signed, err := f.svc.Authenticate(ctx, req)
	if err != nil {
		return nil, err
	}
	auth.NoteUser(ctx, t.UserID, t.UserName)
	auth.Note(ctx, auth.Object{Type: "tokens", ID: t.ID, DomainID: tokenDomain(t), ProjectID: t.ProjectID})
	body, err := f.render(ctx, t, in.NoCatalog == "")
	if err != nil {
		return nil, err
	}
	return &tokenOutput{SubjectToken: signed, Body: tokenEnvelope{Token: body}}, nil

}

func (f *face) validateToken(ctx context.Context, in *subjectInput) (*tokenOutput, error) {
	t, err := f.subject(ctx, in.SubjectToken, "identity/tokens/validate")
	if err != nil {
		return nil, err
	}
	body, err := f.render(ctx, t, in.NoCatalog == "")
	if err != nil {
		return nil, err
	}
	return &tokenOutput{SubjectToken: in.SubjectToken, Body: tokenEnvelope{Token: body}}, nil

}

func (f *face) checkToken(ctx context.Context, in *subjectInput) (*noContent, error) {
	_, err := f.subject(ctx, in.SubjectToken, "identity/tokens/validate")
	return nil, err

}

func (f *face) revokeToken(ctx context.Context, in *subjectInput) (*noContent, error) {
	t, err := f.subject(ctx, in.SubjectToken, "identity/tokens/revoke")
	if err != nil {
		return nil, err
	}
	auth.Note(ctx, auth.Object{Type: "tokens", ID: t.ID, DomainID: tokenDomain(t), ProjectID: t.ProjectID})
	return nil, f.svc.RevokeToken(ctx, t)

}

func (f *face) authProjects(ctx context.Context, _ *struct{}) (*projectsOutput, error) {
	ps, err := f.svc.ProjectsOfUser(ctx, caller(ctx).UserID())
	if err != nil {
		return nil, err
	}
	return projectList(ctx, ps, "auth/projects"), nil

}

func (f *face) authDomains(ctx context.Context, _ *struct{}) (*domainsOutput, error) {
	ds, err := f.svc.DomainsOfUser(ctx, caller(ctx).UserID())
	if err != nil {
		return nil, err
	}
	out := &domainsOutput{}
	out.Body.Domains = views(ctx, ds, domainJSON)
	out.Body.Links = listLinks(ctx, "auth/domains")
	return out, nil

}

func (f *face) authSystem(ctx context.Context, _ *struct{}) (*systemOutput, error) {
	ok, err := f.svc.HasSystemRole(ctx, caller(ctx).UserID())
	if err != nil {
		return nil, err
	}
	out := &systemOutput{}
	out.Body.System = []map[string]bool{}
	if ok {
		out.Body.System = append(out.Body.System, map[string]bool{"all": true})
	}
	out.Body.Links = listLinks(ctx, "auth/system")
	return out, nil

}

func (f *face) authCatalog(ctx context.Context, _ *struct{}) (*catalogOutput, error) {
	out := &catalogOutput{}
	out.Body.Catalog = f.catalog(ctx)
	out.Body.Links = listLinks(ctx, "auth/catalog")
	return out, nil

}

// tokenDomain is the domain a token acts in, for the audit log.
func tokenDomain(t *identity.Token) string {
	if t.DomainID != "" {
		return t.DomainID
	}
	if t.Scope == identity.ScopeSystem {
		return ""
	}
	return t.UserDomainID
}

// noteLogin names the user a login attempt is for, so that a failed login
// is recorded against the name that was tried.
func noteLogin(ctx context.Context, req identity.AuthRequest) {
	switch {
	case req.Password != nil:
		auth.NoteUser(ctx, req.Password.UserID, req.Password.UserName)
	case req.AppCred != nil:
		auth.NoteUser(ctx, req.AppCred.UserID, req.AppCred.UserName)
	}
	d := req.Scope.DomainID
	if d == "" {
		d = req.Scope.ProjectDomainID
	}
	if d == "" && req.Password != nil {
		d = req.Password.DomainID
	}
	auth.Note(ctx, auth.Object{Type: "tokens", DomainID: d, ProjectID: req.Scope.ProjectID})
}
