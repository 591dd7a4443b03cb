package processor

import (
	"context"
	"slices"

	"github.com/skyfold/skyfold/internal/cost"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/rating/hashmap"
	"github.com/skyfold/skyfold/internal/rating/script"
	ratingstore "github.com/skyfold/skyfold/internal/rating/store"
)

// The Service is rating's one front door: faces read and change rules,
// scripts, collector settings, scopes and reports through the methods below,
// so what the store keeps and how a change reaches the loaded pipeline stay
// behind it. Writes go through the store, whose change hook reloads the
// pipeline (see New).

// Types the front door takes and returns, named here so that callers need
// not import the store.
type (
	// RuleFilter selects hashmap mappings or thresholds.
	RuleFilter = ratingstore.RuleFilter
	// ScopeFilter selects scopes.
	ScopeFilter = ratingstore.ScopeFilter
	// CollectorMapping routes a service to a collector.
	CollectorMapping = ratingstore.CollectorMapping
	// Failure is a metric that failed in a scope's current period.
	Failure = ratingstore.Failure
)

// RequiredReason is the field reason of a missing mandatory field in the
// errors of the rules, scripts and collector settings.
const RequiredReason = ratingstore.RequiredReason

// HashmapServices lists the hashmap services.
func (s *Service) HashmapServices(ctx context.Context) ([]hashmap.Service, error) {
	return s.store.Services(ctx)
}

// HashmapService returns one hashmap service.
func (s *Service) HashmapService(ctx context.Context, id string) (hashmap.Service, error) {
	return s.store.Service(ctx, id)
}

// CreateHashmapService adds a service (a metric to rate).
func (s *Service) CreateHashmapService(ctx context.Context, name string) (hashmap.Service, error) {
	return s.store.CreateService(ctx, name)
}

// DeleteHashmapService removes a service with its fields and rules.
func (s *Service) DeleteHashmapService(ctx context.Context, id string) error {
	return s.store.DeleteService(ctx, id)
}

// HashmapFields lists the fields of a service ("": of every service).
func (s *Service) HashmapFields(ctx context.Context, serviceID string) ([]hashmap.Field, error) {
	return s.store.Fields(ctx, serviceID)
}

// HashmapField returns one field.
func (s *Service) HashmapField(ctx context.Context, id string) (hashmap.Field, error) {
	return s.store.Field(ctx, id)
}

// CreateHashmapField adds a field (a metadata key) to a service.
func (s *Service) CreateHashmapField(ctx context.Context, serviceID, name string) (hashmap.Field, error) {
	return s.store.CreateField(ctx, serviceID, name)
}

// DeleteHashmapField removes a field with its rules.
func (s *Service) DeleteHashmapField(ctx context.Context, id string) error {
	return s.store.DeleteField(ctx, id)
}

// HashmapGroups lists the groups.
func (s *Service) HashmapGroups(ctx context.Context) ([]hashmap.Group, error) {
	return s.store.Groups(ctx)
}

// HashmapGroup returns one group.
func (s *Service) HashmapGroup(ctx context.Context, id string) (hashmap.Group, error) {
	return s.store.Group(ctx, id)
}

// CreateHashmapGroup adds a group.
func (s *Service) CreateHashmapGroup(ctx context.Context, name string) (hashmap.Group, error) {
	return s.store.CreateGroup(ctx, name)
}

// DeleteHashmapGroup removes a group; with recursive its rules too,
// otherwise they join the default group.
func (s *Service) DeleteHashmapGroup(ctx context.Context, id string, recursive bool) error {
	return s.store.DeleteGroup(ctx, id, recursive)
}

// Visibility is whose rating configuration a reader may see. CloudKitty
// keeps its whole module configuration to admins; Skyfold lets tenants read
// the rules that price them, so a tenant's own mappings and thresholds sit
// beside the global ones, while another tenant's prices and the scripts'
// source (which may name any tenant) stay with admins.
type Visibility struct {
	// All is an admin's view: every rule, every script with its source.
	All bool
	// Tenants are the tenants whose own rules are shown beside the global
	// ones (rules of no tenant) when All is false.
	Tenants []string
}

// AllRules is the view of an admin, or of the service itself.
var AllRules = Visibility{All: true}

// shows reports whether a rule of tenant ("": global) is visible.
func (v Visibility) shows(tenant string) bool {
	return v.All || tenant == "" || slices.Contains(v.Tenants, tenant)
}

// visibleRules keeps the rules v shows.
func visibleRules[R any](v Visibility, rs []R, tenant func(*R) string) []R {
	if v.All {
		return rs
	}
	out := rs[:0:0]
	for i := range rs {
		if v.shows(tenant(&rs[i])) {
			out = append(out, rs[i])
		}
	}
	return out
}

// Mappings lists the mappings f selects that v shows.
func (s *Service) Mappings(ctx context.Context, v Visibility, f RuleFilter) ([]hashmap.Mapping, error) {
	ms, err := s.store.Mappings(ctx, f)
	if err != nil {
		return nil, err
	}
	return visibleRules(v, ms, func(m *hashmap.Mapping) string { return m.TenantID }), nil
}

// Mapping returns one mapping; one that v hides is not found, so that its
// existence is not told either.
func (s *Service) Mapping(ctx context.Context, v Visibility, id string) (hashmap.Mapping, error) {
	m, err := s.store.Mapping(ctx, id)
	if err == nil && !v.shows(m.TenantID) {
		return hashmap.Mapping{}, errs.E(errs.NotFound, "No such mapping: %s", id)
	}
	return m, err
}

// CreateMapping validates and adds a mapping.
func (s *Service) CreateMapping(ctx context.Context, m hashmap.Mapping) (hashmap.Mapping, error) {
	return s.store.CreateMapping(ctx, m)
}

// UpdateMapping validates and stores a changed mapping.
func (s *Service) UpdateMapping(ctx context.Context, m hashmap.Mapping) (hashmap.Mapping, error) {
	return s.store.UpdateMapping(ctx, m)
}

// DeleteMapping removes a mapping.
func (s *Service) DeleteMapping(ctx context.Context, id string) error {
	return s.store.DeleteMapping(ctx, id)
}

// Thresholds lists the thresholds f selects that v shows.
func (s *Service) Thresholds(ctx context.Context, v Visibility, f RuleFilter) ([]hashmap.Threshold, error) {
	ts, err := s.store.Thresholds(ctx, f)
	if err != nil {
		return nil, err
	}
	return visibleRules(v, ts, func(t *hashmap.Threshold) string { return t.TenantID }), nil
}

// Threshold returns one threshold; one that v hides is not found.
func (s *Service) Threshold(ctx context.Context, v Visibility, id string) (hashmap.Threshold, error) {
	t, err := s.store.Threshold(ctx, id)
	if err == nil && !v.shows(t.TenantID) {
		return hashmap.Threshold{}, errs.E(errs.NotFound, "No such threshold: %s", id)
	}
	return t, err
}

// CreateThreshold validates and adds a threshold.
func (s *Service) CreateThreshold(ctx context.Context, t hashmap.Threshold) (hashmap.Threshold, error) {
	return s.store.CreateThreshold(ctx, t)
}

// UpdateThreshold validates and stores a changed threshold.
func (s *Service) UpdateThreshold(ctx context.Context, t hashmap.Threshold) (hashmap.Threshold, error) {
	return s.store.UpdateThreshold(ctx, t)
}

// DeleteThreshold removes a threshold.
func (s *Service) DeleteThreshold(ctx context.Context, id string) error {
	return s.store.DeleteThreshold(ctx, id)
}

// Scripts lists the rating scripts (with noData, without their code). A
// script belongs to no tenant: it rates every tenant's usage and is the
// operators' configuration, so only a view that is All sees any.
func (s *Service) Scripts(ctx context.Context, v Visibility, noData bool) ([]script.Script, error) {
	if !v.All {
		return []script.Script{}, nil
	}
	return s.store.Scripts(ctx, noData)
}

// Script returns one rating script; to a view that is not All every script
// is unknown, so that its existence is not told either.
func (s *Service) Script(ctx context.Context, v Visibility, id string) (script.Script, error) {
	if !v.All {
		return script.Script{}, errs.NotFoundf("script", id)
	}
	return s.store.Script(ctx, id)
}

// CreateScript compiles and adds a rating script.
func (s *Service) CreateScript(ctx context.Context, sc script.Script) (script.Script, error) {
	return s.store.CreateScript(ctx, sc)
}

// UpdateScript compiles and stores a changed rating script.
func (s *Service) UpdateScript(ctx context.Context, sc script.Script) (script.Script, error) {
	return s.store.UpdateScript(ctx, sc)
}

// DeleteScript removes a rating script.
func (s *Service) DeleteScript(ctx context.Context, id string) error {
	return s.store.DeleteScript(ctx, id)
}

// CollectorMappings lists the service-to-collector routes ("": of every
// collector).
func (s *Service) CollectorMappings(ctx context.Context, collector string) ([]CollectorMapping, error) {
	return s.store.CollectorMappings(ctx, collector)
}

// CollectorMapping returns the route of one service.
func (s *Service) CollectorMapping(ctx context.Context, service string) (CollectorMapping, error) {
	return s.store.CollectorMapping(ctx, service)
}

// CreateCollectorMapping routes a service to a collector.
func (s *Service) CreateCollectorMapping(ctx context.Context, service, collector string) (CollectorMapping, error) {
	return s.store.CreateCollectorMapping(ctx, service, collector)
}

// DeleteCollectorMapping removes a service's route.
func (s *Service) DeleteCollectorMapping(ctx context.Context, service string) error {
	return s.store.DeleteCollectorMapping(ctx, service)
}

// CollectorStates reports which collectors have been switched on or off.
func (s *Service) CollectorStates(ctx context.Context) (map[string]bool, error) {
	return s.store.CollectorStates(ctx)
}

// SetCollectorState switches a collector on or off.
func (s *Service) SetCollectorState(ctx context.Context, name string, enabled bool) error {
	return s.store.SetCollectorState(ctx, name, enabled)
}

// Scopes returns the scopes f selects, by id, and how many there are
// before paging.
func (s *Service) Scopes(ctx context.Context, f ScopeFilter) ([]ratingstore.Scope, int, error) {
	return s.store.Scopes(ctx, f)
}

// CostSums adds up the cost records f selects inside [f.Begin, f.End),
// grouped by the cost dimensions in by.
func (s *Service) CostSums(ctx context.Context, f cost.Filter, by ...string) ([]cost.Total, error) {
	return s.costs.Sums(ctx, f, by...)
}

// CostSubAccounts lists the projects having cost among the records f selects.
func (s *Service) CostSubAccounts(ctx context.Context, f cost.Filter) ([]string, error) {
	return s.costs.SubAccounts(ctx, f)
}

// CostRecords returns the cost records f selects.
func (s *Service) CostRecords(ctx context.Context, f cost.Filter) ([]cost.Record, error) {
	return s.costs.Query(ctx, nil, f)
}
