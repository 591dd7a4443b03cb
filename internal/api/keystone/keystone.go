// Package keystone is the Keystone v3 face, /v3: tokens, the service catalog,
// domains, projects, users, groups, roles, role grants and assignments,
// application credentials, Skyfold's policies and the audit log, with
// Keystone's JSON shapes and error bodies, so that the OpenStack clients
// (python-openstackclient, keystoneauth, gophercloud) and Cloudpods-style
// clients work against it. Every operation calls the identity service; none
// reads the database itself.
package keystone

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/skyfold/skyfold/internal/api"
	"github.com/skyfold/skyfold/internal/api/auth"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/identity"
)

// Options configure the face.
type Options struct {
	// Region names the region of every catalog endpoint (default RegionOne).
	Region string
}

// face holds what every handler needs.
type face struct {
	svc    *identity.Service
	region string
}

// Register adds the /v3 operations to s. auth.Install must have run.
func Register(s *api.Server, svc *identity.Service, opts Options) {
	if opts.Region == "" {
		opts.Region = "RegionOne"
	}
	f := &face{svc: svc, region: opts.Region}
	f.registerVersion(s)
	f.registerAuth(s)
	f.registerDomains(s)
	f.registerProjects(s)
	f.registerUsers(s)
	f.registerGroups(s)
	f.registerRoles(s)
	f.registerGrants(s)
	f.registerAssignments(s)
	f.registerAppCreds(s)
	f.registerPolicies(s)
	f.registerAudit(s)
}

// op builds an operation of this face.
func op(id, method, path, summary, tag string) huma.Operation {
	return huma.Operation{
		OperationID: "keystone-" + id, Method: method, Path: path, Summary: summary, Tags: []string{"identity: " + tag},
	}
}

// timeFormat is Keystone's timestamp format.
const timeFormat = "2006-01-02T15:04:05.000000Z"

func ksTime(t time.Time) string { return t.UTC().Format(timeFormat) }

// Links is a Keystone entity's links.
type Links struct {
	Self string `json:"self"`
}

// ListLinks is a Keystone collection's links.
type ListLinks struct {
	Self     string  `json:"self"`
	Previous *string `json:"previous"`
	Next     *string `json:"next"`
}

func base(ctx context.Context) string {
	if b, ok := ctx.Value(versionBaseKey{}).(string); ok {
		return b
	}
	return auth.RequestFrom(ctx).BaseURL
}

func selfLink(ctx context.Context, path string) Links { return Links{Self: base(ctx) + "/v3/" + path} }

func listLinks(ctx context.Context, path string) ListLinks {
	return ListLinks{Self: base(ctx) + "/v3/" + path}
}

// caller returns the request's caller; the middleware guarantees one for
// every operation that is not Public.
func caller(ctx context.Context) *auth.Caller {
	c := auth.From(ctx)
	if c == nil {
		panic("keystone: operation without a caller; is auth.Install missing?")
	}
	return c
}

func forbidden() error {
	return errs.E(errs.Forbidden, "You are not authorized to perform the requested action.")
}

// needSystem answers 403 unless the caller's grant is the whole system.
func needSystem(c *auth.Caller) error {
	if c.Grant.Breadth != identity.BreadthSystem {
		return forbidden()
	}
	return nil
}

// needDomain answers 403 unless the caller's grant reaches all of domainID.
func needDomain(c *auth.Caller, domainID string) error {
	if !c.Grant.CoversDomain(domainID) {
		return forbidden()
	}
	return nil
}

// needUser answers 403 unless the caller may change a user: a grant over the
// user's domain, and the system when the user holds a system role (or one
// on the admin project) — else a domain's admin could take over a system
// administrator of that domain.
func (f *face) needUser(ctx context.Context, c *auth.Caller, u *identity.User) error {
	if err := needDomain(c, u.DomainID); err != nil {
		return err
	}
	if c.Grant.Breadth == identity.BreadthSystem {
		return nil
	}
	priv, err := f.svc.UserPrivileged(ctx, u.ID)
	if err != nil {
		return err
	}
	if priv {
		return errs.E(errs.Forbidden, "User %s holds a system role: only a system administrator may change it.", u.ID)
	}
	return nil
}

// needGroup is needUser for groups: changing the members of a group that
// holds a system role needs the system.
func (f *face) needGroup(ctx context.Context, c *auth.Caller, g *identity.Group) error {
	if err := needDomain(c, g.DomainID); err != nil {
		return err
	}
	if c.Grant.Breadth == identity.BreadthSystem {
		return nil
	}
	priv, err := f.svc.GroupPrivileged(ctx, g.ID)
	if err != nil {
		return err
	}
	if priv {
		return errs.E(errs.Forbidden, "Group %s holds a system role: only a system administrator may change it.", g.ID)
	}
	return nil
}

// parseBool reads Keystone's boolean query values.
func parseBool(field, s string) (*bool, error) {
	switch strings.ToLower(s) {
	case "":
		return nil, nil
	case "true", "1", "yes", "on":
		t := true
		return &t, nil
	case "false", "0", "no", "off":
		f := false
		return &f, nil
	}
	return nil, errs.Field(field, "not a boolean")
}

// ---- version discovery ----

type versionLink struct {
	Rel  string `json:"rel"`
	Href string `json:"href"`
}

type mediaType struct {
	Base string `json:"base"`
	Type string `json:"type"`
}

// Version describes the identity API version.
type Version struct {
	ID         string        `json:"id"`
	Status     string        `json:"status"`
	Updated    string        `json:"updated"`
	Links      []versionLink `json:"links"`
	MediaTypes []mediaType   `json:"media-types"`
}

type versionOutput struct {
	Body struct {
		Version Version `json:"version"`
	}
}

func version(ctx context.Context) Version {
	return Version{
		ID: "v3.14", Status: "stable", Updated: "2020-04-07T00:00:00Z",
		Links:      []versionLink{{Rel: "self", Href: base(ctx) + "/v3/"}},
		MediaTypes: []mediaType{{Base: "application/json", Type: "application/vnd.openstack.identity-v3+json"}},
	}
}

func (f *face) registerVersion(s *api.Server) {
	h := func(ctx context.Context, _ *struct{}) (*versionOutput, error) {
		out := &versionOutput{}
		out.Body.Version = version(ctx)
		return out, nil
	}
	api.Register(s, auth.Public(op("version", http.MethodGet, "/v3", "Identity API version", "version")), h)
	// keystoneauth also asks for "/v3/"; a plain handler answers it (a huma
	// path cannot say "exactly /v3/").
	s.Mux.HandleFunc("GET /v3/{$}", func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), versionBaseKey{}, "http://"+r.Host)
		if r.TLS != nil {
			ctx = context.WithValue(r.Context(), versionBaseKey{}, "https://"+r.Host)
		}
		out, _ := h(ctx, nil)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out.Body)
	})
}

type versionBaseKey struct{}

// ResourceOptions are Keystone's resource options (immutable,
// multi-factor rules …): a name to a boolean or a list, open-ended by
// Keystone's own definition.
type ResourceOptions map[string]any

// Schema says so in the document instead of leaving the values blank.
func (ResourceOptions) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{Type: huma.TypeObject, AdditionalProperties: true, Description: "resource options by name"}
}
