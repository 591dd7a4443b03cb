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

// created marks an operation that answers 201.
func created(o huma.Operation) huma.Operation {
	o.DefaultStatus = http.StatusCreated
	return o
}

// empty marks an operation that answers 204 without a body.
func empty(o huma.Operation) huma.Operation {
	o.DefaultStatus = http.StatusNoContent
	return o
}

// unvalidated leaves the body to the handler, which answers Keystone's own
// messages for a malformed one.
func unvalidated(o huma.Operation) huma.Operation {
	o.SkipValidateBody = true
	return o
}

// described adds a description to an operation.
func described(o huma.Operation, text string) huma.Operation {
	o.Description = text
	return o
}

// views turns domain objects into their Keystone JSON; a list is never
// null.
func views[E, J any](ctx context.Context, items []E, view func(context.Context, *E) J) []J {
	out := make([]J, len(items))
	for i := range items {
		out[i] = view(ctx, &items[i])
	}
	return out
}

// set copies a field the request gave over a default, and says whether
// the request gave it.
func set[T any](dst, v *T) bool {
	if v == nil {
		return false
	}
	*dst = *v
	return true
}

// targetDomain is the domain a new user, group or project goes to: the one
// the request names, else the token's, else the default domain.
func targetDomain(c *auth.Caller, named *string) string {
	switch {
	case named != nil && *named != "":
		return *named
	case c.Token.DomainID != "":
		return c.Token.DomainID
	}
	return identity.DefaultDomainID
}

// inGrantDomain narrows a list filter to the caller's domain; asking for
// another domain matches nothing.
func inGrantDomain(c *auth.Caller, domainID *string, ids *[]string) {
	if *domainID != "" && *domainID != c.Grant.DomainID {
		*ids = []string{}
	}
	*domainID = c.Grant.DomainID
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
	return needUnprivileged(ctx, c, u.DomainID, "User", u.ID, f.svc.UserPrivileged)
}

// needGroup is needUser for groups: changing the members of a group that
// holds a system role needs the system.
func (f *face) needGroup(ctx context.Context, c *auth.Caller, g *identity.Group) error {
	return needUnprivileged(ctx, c, g.DomainID, "Group", g.ID, f.svc.GroupPrivileged)
}

func needUnprivileged(ctx context.Context, c *auth.Caller, domainID, what, id string,
	privileged func(context.Context, string) (bool, error)) error {
	if err := needDomain(c, domainID); err != nil {
		return err
	}
	if c.Grant.Breadth == identity.BreadthSystem {
		return nil
	}
	priv, err := privileged(ctx, id)
	if err != nil {
		return err
	}
	if priv {
		return errs.E(errs.Forbidden, "%s %s holds a system role: only a system administrator may change it.", what, id)
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
