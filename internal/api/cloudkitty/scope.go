package cloudkitty

import (
	"context"
	"net/http"
	"strings"

	"github.com/skyfold/skyfold/internal/api/auth"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/rating/processor"
)

// ScopeState is a scope of CloudKitty's GET /v2/scope, with Skyfold's
// failing metrics and last error.
type ScopeState struct {
	ScopeID                string              `json:"scope_id"`
	ScopeKey               string              `json:"scope_key"`
	Fetcher                string              `json:"fetcher"`
	Collector              string              `json:"collector"`
	Active                 bool                `json:"active"`
	LastProcessedTimestamp *string             `json:"last_processed_timestamp" doc:"beginning of the last rated period"`
	State                  *string             `json:"state" doc:"same as last_processed_timestamp (CloudKitty's older name)"`
	Failures               []processor.Failure `json:"failures" doc:"metrics whose collection failed, rated again from retry_from"`
	LastError              string              `json:"last_error,omitempty"`
}

// ScopeStateList is a page of scopes and how many there are in all.
type ScopeStateList struct {
	Results []ScopeState `json:"results"`
	Total   int          `json:"total"`
}

type scopesQuery struct {
	Offset    int    `query:"offset" minimum:"0"`
	Limit     int    `query:"limit" minimum:"0" maximum:"10000"`
	Collector string `query:"collector"`
	Fetcher   string `query:"fetcher"`
	ScopeID   string `query:"scope_id"`
	ScopeKey  string `query:"scope_key"`
}

func scopeOf(s processor.ScopeState) ScopeState {
	out := ScopeState{ScopeID: s.ScopeID, ScopeKey: s.ScopeKey, Fetcher: s.Fetcher, Collector: s.Collector, Active: s.Active,
		Failures: s.Failures, LastError: s.LastError}
	if s.LastProcessed != nil {
		out.LastProcessedTimestamp = ckTimePtr(*s.LastProcessed)
		out.State = out.LastProcessedTimestamp
	}
	return out
}

// csv splits a comma-separated filter.
func csv(s string) []string {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// scopeRoutes are the v2 scope operations.
func (f *face) scopeRoutes() []route {
	return []route{
		{http.MethodGet, "/v2/scope", "rating/scopes/list", h(f.scopes), "scopes-list", "List the scopes and their processing state"},
		{http.MethodPut, "/v2/scope", "rating/scopes/update", accepted(h(f.resetScopes)), "scopes-reset", "Reset scopes: rate them again from the period holding the given timestamp"},
		{http.MethodPatch, "/v2/scope", "rating/scopes/update", h(f.patchScope), "scope-patch", "Activate or deactivate a scope"},
	}
}

func (f *face) scopes(ctx context.Context, in *scopesQuery) (*out[ScopeStateList], error) {
	flt := processor.ScopeFilter{IDs: csv(in.ScopeID), Collectors: csv(in.Collector), Fetchers: csv(in.Fetcher),
		ScopeKeys: csv(in.ScopeKey), Offset: in.Offset, Limit: in.Limit}
	if flt.Limit == 0 {
		flt.Limit = 100
	}
	visible, err := visibleTenants(ctx)
	if err != nil {
		return nil, err
	}
	if visible != nil {
		if len(flt.IDs) == 0 {
			flt.IDs = visible
		} else {
			var keep []string
			for _, id := range flt.IDs {
				for _, v := range visible {
					if v == id {
						keep = append(keep, id)
					}
				}
			}
			flt.IDs = keep
		}
		if len(flt.IDs) == 0 {
			flt.IDs = []string{"\x00none"}
		}
	}
	states, total, err := f.svc.ScopeStates(ctx, flt)
	if err != nil {
		return nil, err
	}
	l := ScopeStateList{Results: []ScopeState{}}
	for _, st := range states {
		l.Results = append(l.Results, scopeOf(st))
	}
	l.Total = total
	if len(states) == 0 {
		return nil, errs.E(errs.NotFound, "No resource found for provided filters.")
	}
	return reply(l), nil
}

func (f *face) resetScopes(ctx context.Context, in *rawBody) (*noContent, error) {
	if err := requireSystem(ctx, "scope:reset_state"); err != nil {
		return nil, err
	}
	var b struct {
		State     string `json:"state"`
		LastTS    string `json:"last_processed_timestamp"`
		ScopeID   string `json:"scope_id"`
		AllScopes bool   `json:"all_scopes"`
		ScopeKey  string `json:"scope_key"`
		Collector string `json:"collector"`
		Fetcher   string `json:"fetcher"`
	}
	if err := readParams(in.RawBody, &b); err != nil {
		return nil, err
	}
	ts := b.LastTS
	if ts == "" {
		ts = b.State
	}
	if ts == "" {
		return nil, errs.Field("last_processed_timestamp", "is required")
	}
	at, err := ParseTime(ts)
	if err != nil {
		return nil, errs.Field("last_processed_timestamp", errs.PublicMessage(err))
	}
	if b.AllScopes == (b.ScopeID != "") {
		return nil, errs.Field("scope_id", "give either scope_id or all_scopes")
	}
	flt := processor.ScopeFilter{IDs: csv(b.ScopeID), Collectors: csv(b.Collector), Fetchers: csv(b.Fetcher), ScopeKeys: csv(b.ScopeKey)}
	scopes, _, err := f.svc.Scopes(ctx, flt)
	if err != nil {
		return nil, err
	}
	if len(scopes) == 0 {
		return nil, errs.E(errs.NotFound, "No resource found for provided filters.")
	}
	for _, sc := range scopes {
		if err := f.svc.ResetScope(ctx, sc.ScopeID, at); err != nil {
			return nil, err
		}
	}
	auth.Note(ctx, auth.Object{Type: "rating_scope", ID: b.ScopeID})
	return nil, nil
}

func (f *face) patchScope(ctx context.Context, in *rawBody) (*out[ScopeState], error) {
	if err := requireSystem(ctx, "scope:patch_state"); err != nil {
		return nil, err
	}
	var b struct {
		ScopeID   string `json:"scope_id"`
		Active    *bool  `json:"active"`
		ScopeKey  string `json:"scope_key"`
		Collector string `json:"collector"`
		Fetcher   string `json:"fetcher"`
	}
	if err := readParams(in.RawBody, &b); err != nil {
		return nil, err
	}
	if b.ScopeID == "" {
		return nil, errs.Field("scope_id", "is required")
	}
	if b.Collector != "" && !f.svc.HasCollector(b.Collector) {
		return nil, errs.Field("collector", "unknown collector "+b.Collector)
	}
	var st processor.ScopeState
	var err error
	if b.Active != nil {
		st, err = f.svc.SetScopeActive(ctx, b.ScopeID, *b.Active)
	} else {
		var list []processor.ScopeState
		list, _, err = f.svc.ScopeStates(ctx, processor.ScopeFilter{IDs: []string{b.ScopeID}})
		if err == nil && len(list) == 0 {
			err = errs.E(errs.NotFound, "No resource found for provided filters.")
		}
		if err == nil {
			st = list[0]
		}
	}
	if err != nil {
		return nil, err
	}
	auth.Note(ctx, auth.Object{Type: "rating_scope", ID: b.ScopeID, ProjectID: b.ScopeID})
	return reply(scopeOf(st)), nil
}
