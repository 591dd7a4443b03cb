// Package cloudkitty is the CloudKitty rating face: every endpoint of the
// CloudKitty v1 API (collector mappings and states, info, rating modules,
// quotes, the hashmap and pyscripts module configuration, reports and rated
// dataframes) and the small part of v2 that manages scopes (/v2/scope:
// list states, reset, activate/deactivate), with CloudKitty's JSON shapes
// and status codes. It is thin: it decodes, authorises and calls the rating
// service (package processor) and the cost records (package cost).
//
// Timestamps are read in CloudKitty's ISO 8601 forms (with or without a
// zone, "T" or a space) and written without a zone, in UTC. Paths also
// answer with a trailing slash, as the CloudKitty client sends them.
package cloudkitty

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/skyfold/skyfold/internal/api"
	"github.com/skyfold/skyfold/internal/api/auth"
	"github.com/skyfold/skyfold/internal/api/envelope"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/identity"
	"github.com/skyfold/skyfold/internal/money"
	"github.com/skyfold/skyfold/internal/rating/hashmap"
	"github.com/skyfold/skyfold/internal/rating/processor"
)

// Options tune the face.
type Options struct {
	// MaxDataframeResources bounds the rated resources one dataframes
	// answer holds (default 200,000); a larger answer asks for a narrower
	// window.
	MaxDataframeResources int
}

type face struct {
	svc  *processor.Service
	opts Options
	now  func() time.Time

	mappings   *hashmapRules[hashmap.Mapping, HashmapMapping, HashmapMappingList]
	thresholds *hashmapRules[hashmap.Threshold, HashmapThreshold, HashmapThresholdList]
}

// Register adds the CloudKitty face to s.
func Register(s *api.Server, svc *processor.Service, opts Options) {
	if opts.MaxDataframeResources <= 0 {
		opts.MaxDataframeResources = 200_000
	}
	f := &face{svc: svc, opts: opts, now: func() time.Time { return svc.Config().Now().UTC() }}
	mount(s, "collector", f.collectorRoutes())
	mount(s, "info", f.infoRoutes())
	mount(s, "rating", f.ratingRoutes())
	f.newHashmapRules()
	mount(s, "hashmap", f.hashmapRoutes())
	mount(s, "pyscripts", f.pyscriptsRoutes())
	mount(s, "report", f.reportRoutes())
	mount(s, "storage", f.storageRoutes())
	mount(s, "scope", f.scopeRoutes())
	s.Mux.Handle("/v1/", trailingSlash(s.Mux))
	s.Mux.Handle("/v2/scope/", trailingSlash(s.Mux))
}

// Controllers of CloudKitty's v1 API that have no method taking an id
// (pecan's get_one): below them, a path naming no known child is routed to
// no method, which pecan answers with 405 whatever the verb. Paths below
// the other controllers (those taking an id) answer 404 when unknown.
var idlessControllers = []string{
	"/v1", "/v1/rating", "/v1/rating/module_config", "/v1/rating/module_config/hashmap",
	"/v1/rating/module_config/pyscripts", "/v1/report", "/v1/storage", "/v1/storage/dataframes", "/v1/info",
}

// unconfigurable is the configuration path of the module without any
// settings; CloudKitty answers every request there with 409.
const unconfigurable = "/v1/rating/module_config/noop"

// routedToNoMethod reports whether pecan would find no method for path: the
// path is an idless controller itself or names an unknown child of one
// (the deepest controller it lies under is idless).
func routedToNoMethod(path string) bool {
	deepest := ""
	for _, c := range idlessControllers {
		if path == c {
			return true
		}
		if strings.HasPrefix(path, c+"/") && len(c) > len(deepest) {
			deepest = c
		}
	}
	if deepest == "" {
		return false
	}
	// A child of the idless controller that is itself a controller with an
	// id (".../hashmap/services/x/y") is not routed here.
	rest := strings.TrimPrefix(path, deepest+"/")
	return !strings.Contains(rest, "/") || !idControllers[deepest+"/"+rest[:strings.Index(rest, "/")]]
}

// idControllers are the v1 controllers whose get_one takes an id.
var idControllers = map[string]bool{
	"/v1/rating/modules": true, "/v1/collector": true, "/v1/collector/mappings": true, "/v1/collector/states": true,
	"/v1/rating/module_config/hashmap/services": true, "/v1/rating/module_config/hashmap/fields": true,
	"/v1/rating/module_config/hashmap/groups": true, "/v1/rating/module_config/hashmap/mappings": true,
	"/v1/rating/module_config/hashmap/thresholds": true, "/v1/rating/module_config/pyscripts/scripts": true,
	"/v1/info/metrics": true, "/v1/info/services": true, "/v1/info/metric": true, "/v1/info/service": true,
}

// trailingSlash serves /v1/... paths the CloudKitty client sends with a
// trailing slash ("/v1/rating/modules/") by routing them without it, and
// /v1/billing/... as /v1/rating/... (CloudKitty's older name for it); other
// unmatched paths get the status pecan gives them: 409 under the noop
// module's configuration, 405 where no method is routed or the path takes
// other methods, 404 otherwise.
func trailingSlash(mux *http.ServeMux) http.Handler {
	self := func(pattern string) bool { return pattern == "/v1/" || pattern == "/v2/scope/" }
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := strings.TrimRight(r.URL.Path, "/")
		if rest, ok := strings.CutPrefix(p, "/v1/billing"); ok && (rest == "" || rest[0] == '/') {
			p = "/v1/rating" + rest
		}
		if p != r.URL.Path && p != "" {
			r2 := r.Clone(r.Context())
			r2.URL.Path = p
			r2.URL.RawPath = ""
			if _, pattern := mux.Handler(r2); !self(pattern) && pattern != "" {
				mux.ServeHTTP(w, r2)
				return
			}
			r = r2
		}
		if p == unconfigurable || strings.HasPrefix(p, unconfigurable+"/") {
			envelope.Write(w, r, errs.E(errs.Conflict, "Module is not configurable"))
			return
		}
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := mux.Handler(probe); !self(pattern) && pattern != "" {
				allow = append(allow, m)
			}
		}
		if len(allow) > 0 || routedToNoMethod(r.URL.Path) {
			if len(allow) > 0 {
				w.Header().Set("Allow", strings.Join(allow, ", "))
			}
			envelope.Write(w, r, errs.E(errs.MethodNotAllowed, "The method %s is not allowed for this resource.", r.Method))
			return
		}
		envelope.Write(w, r, errs.E(errs.NotFound, "The resource could not be found."))
	})
}

// op builds an operation of the face.
func op(id, method, path, summary, tag string) huma.Operation {
	return huma.Operation{OperationID: "cloudkitty-" + id, Method: method, Path: path, Summary: summary,
		Tags: []string{"CloudKitty " + tag}}
}

// requireSystem refuses configuration writes to callers without a
// system-wide grant: rating rules apply to every tenant. The refusal names
// CloudKitty's policy action for the operation, as CloudKitty's does.
func requireSystem(ctx context.Context, action string) error {
	c := auth.From(ctx)
	if c == nil || c.Grant.Breadth != identity.BreadthSystem {
		return errs.E(errs.Forbidden, "Policy doesn't allow %s to be performed.", action)
	}
	return nil
}

// ckTime formats a time as CloudKitty does: ISO 8601, UTC, no zone.
func ckTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 != 0 {
		return t.Format("2006-01-02T15:04:05.000000")
	}
	return t.Format("2006-01-02T15:04:05")
}

func ckTimePtr(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := ckTime(t)
	return &s
}

// strPtr is nil for "" (CloudKitty's null).
func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// timeLayouts are the ISO 8601 forms ParseTime accepts.
var timeLayouts = []string{
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999Z07",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02",
}

// ParseTime reads a timestamp of the CloudKitty API: ISO 8601 with "T" or a
// space between date and time ("2024-01-01T00:00:00", Python's
// "2024-01-01 00:00:00"), optional fractional seconds, an optional zone ("Z",
// "+08:00", "+0800"; none means UTC; a "+" a URL turned into a space is
// read back), or a date alone. Years outside 1970-9999 are refused.
func ParseTime(s string) (time.Time, error) {
	raw := s
	s = strings.TrimSpace(s)
	if len(s) > 64 {
		return time.Time{}, errs.E(errs.Invalid, "invalid timestamp %.64q...", raw)
	}
	if len(s) > 10 && s[10] == ' ' {
		s = s[:10] + "T" + strings.TrimLeft(s[11:], " ")
	}
	// "...T00:00:00 08:00": a "+" decoded from a query string as a space.
	if i := strings.LastIndexByte(s, ' '); i > 10 {
		s = s[:i] + "+" + s[i+1:]
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			t = t.UTC()
			if t.Year() < 1970 || t.Year() > 9999 {
				break
			}
			return t, nil
		}
	}
	return time.Time{}, errs.E(errs.Invalid, "Invalid timestamp %q: expected ISO 8601 such as 2024-01-01T00:00:00", raw)
}

// optTime parses an optional timestamp query parameter.
func optTime(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := ParseTime(v)
	if err != nil {
		return t, errs.Field(name, errs.PublicMessage(err))
	}
	return t, nil
}

// window returns [begin, end) with CloudKitty's defaults: the current month.
func (f *face) window(begin, end string) (time.Time, time.Time, error) {
	b, err := optTime("begin", begin)
	if err != nil {
		return b, b, err
	}
	e, err := optTime("end", end)
	if err != nil {
		return b, e, err
	}
	now := f.now()
	if b.IsZero() {
		b = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	if e.IsZero() {
		ms := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
		e = ms.AddDate(0, 1, 0)
		if !b.Before(e) {
			e = time.Date(b.Year(), b.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 1, 0)
		}
	}
	if !b.Before(e) {
		return b, e, errs.Field("end", "end must be after begin")
	}
	return b, e, nil
}

// Groupings of a v1 summary.
const (
	groupTenant  = "tenant_id"
	groupResType = "res_type"
)

// ParseGroupBy reads a summary's groupby: a comma-separated list of
// tenant_id and res_type (spaces and repeats allowed, order kept).
func ParseGroupBy(s string) ([]string, error) {
	if len(s) > 256 {
		return nil, errs.Field("groupby", "too long")
	}
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if part != groupTenant && part != groupResType {
			return nil, errs.Field("groupby", fmt.Sprintf("Invalid groupby %q: only tenant_id and res_type are supported", part))
		}
		if !slices.Contains(out, part) {
			out = append(out, part)
		}
	}
	return out, nil
}

// num is a decimal a client sends as a JSON number or string ("0.98");
// it is read exactly, never through float64.
type num struct {
	d   money.Decimal
	set bool
}

// UnmarshalJSON reads a number, a numeric string or null.
func (n *num) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" {
		*n = num{}
		return nil
	}
	var d money.Decimal
	if err := d.UnmarshalJSON([]byte(s)); err != nil {
		return err
	}
	*n = num{d: d, set: true}
	return nil
}

// MarshalJSON writes the decimal as a string.
func (n num) MarshalJSON() ([]byte, error) { return json.Marshal(n.d.String()) }

// Schema accepts a number or a string.
func (num) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{Description: "decimal, as a JSON number or string", Nullable: true}
}

// rawNumber is a JSON number written with the decimal's exact digits.
func rawNumber(d money.Decimal) []byte { return []byte(d.String()) }

// visibleTenants is the set of projects the caller's grant shows (nil: all).
func visibleTenants(ctx context.Context) ([]string, error) {
	c := auth.From(ctx)
	if c == nil {
		return []string{}, nil
	}
	return c.ProjectIDs(ctx)
}

// ratingVisibility is the part of the rating configuration the caller may
// read: all of it with a system-wide grant, otherwise the global rules and
// those of the tenants the grant covers.
func ratingVisibility(ctx context.Context) (processor.Visibility, error) {
	visible, err := visibleTenants(ctx)
	if err != nil {
		return processor.Visibility{}, err
	}
	if visible == nil {
		return processor.AllRules, nil
	}
	return processor.Visibility{Tenants: visible}, nil
}

// tenantFilter picks the tenants a report or dataframe request covers,
// with CloudKitty's rules: all_tenants covers every tenant (the caller
// may see), tenant_id one tenant, and neither the caller's own project.
func tenantFilter(ctx context.Context, tenantID string, allTenants bool) ([]string, error) {
	visible, err := visibleTenants(ctx)
	if err != nil {
		return nil, err
	}
	switch {
	case allTenants:
		return visible, nil
	case tenantID != "":
		if visible != nil && !slices.Contains(visible, tenantID) {
			return nil, errs.E(errs.Forbidden, "Access to tenant %s is not allowed.", tenantID)
		}
		return []string{tenantID}, nil
	}
	if c := auth.From(ctx); c != nil && c.Token != nil && c.Token.ProjectID != "" {
		if visible != nil && !slices.Contains(visible, c.Token.ProjectID) {
			return []string{}, nil
		}
		return []string{c.Token.ProjectID}, nil
	}
	return visible, nil
}

// callerProject is the project a quote is priced for.
func callerProject(ctx context.Context) string {
	if c := auth.From(ctx); c != nil && c.Token != nil {
		return c.Token.ProjectID
	}
	return ""
}

type noContent struct{}

// invalid is a 400 whose message is exactly msg (CloudKitty's input
// validation texts name the field themselves).
func invalid(field, msg string) error {
	return &errs.Error{Code: errs.Invalid, Message: msg, Fields: []errs.FieldError{{Field: field, Reason: msg}}}
}
