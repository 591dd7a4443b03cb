package cloudkitty

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/skyfold/skyfold/internal/api/auth"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/rating/processor"
)

// CollectorMapping is CloudKitty's ServiceToCollectorMapping.
type CollectorMapping struct {
	Service   string `json:"service" doc:"service name"`
	Collector string `json:"collector" doc:"collector name"`
}

// CollectorInfos is CloudKitty's CollectorInfos.
type CollectorInfos struct {
	Name    string `json:"name" doc:"collector name"`
	Enabled bool   `json:"enabled" doc:"whether the collector runs"`
}

// CollectorMappingList is a list of collector mappings.
type CollectorMappingList struct {
	Mappings []CollectorMapping `json:"mappings"`
}

// Inputs of the collector operations.
type (
	collectorQuery struct {
		Collector string `query:"collector" doc:"filter on a collector name"`
	}
	servicePath struct {
		Service string `path:"service"`
	}
	collectorMappingCreateInput struct {
		Collector string `query:"collector"`
		Service   string `query:"service"`
		RawBody   []byte
	}
	collectorMappingDeleteInput struct {
		Service string `query:"service"`
		RawBody []byte
	}
	collectorStateQuery struct {
		Name string `query:"name" doc:"collector name"`
	}
	collectorStateSetInput struct {
		Name    string `query:"name"`
		RawBody []byte
	}
)

// mappingParams reads collector and service from the query or a JSON body,
// as CloudKitty (WSME) accepts either.
type mappingParams struct {
	Service   string `json:"service"`
	Collector string `json:"collector"`
}

func readParams(raw []byte, into any) error {
	if len(raw) == 0 {
		return nil
	}
	if err := json.Unmarshal(raw, into); err != nil {
		return errs.Field("body", "invalid JSON: "+err.Error())
	}
	return nil
}

func mapping(m processor.CollectorMapping) CollectorMapping {
	return CollectorMapping{Service: m.Service, Collector: m.Collector}
}

// collectorRoutes are the collector mapping and state operations.
func (f *face) collectorRoutes() []route {
	const maps, states = "/v1/collector/mappings", "/v1/collector/states"
	return []route{
		{http.MethodGet, "/v1/collector", "rating/collector/get", emptyOK(h(f.collectorRoot)), "collector-root", "The collector controller itself: an empty answer, as CloudKitty gives"},
		{http.MethodGet, maps, "rating/collector_mappings/list", h(f.collectorMappings), "collector-mappings-list", "List the service to collector mappings"},
		{http.MethodGet, maps + "/{service}", "rating/collector_mappings/get", h(f.collectorMapping), "collector-mapping-get", "Get the collector mapping of a service"},
		{http.MethodPost, maps, "rating/collector_mappings/create", h(f.createCollectorMapping), "collector-mapping-create", "Map a service to a collector"},
		{http.MethodDelete, maps, "rating/collector_mappings/delete", h(f.deleteCollectorMappingQuery), "collector-mapping-delete", "Delete the collector mapping of a service (service in the query or body)"},
		{http.MethodDelete, maps + "/{service}", "rating/collector_mappings/delete", h(f.deleteCollectorMapping), "collector-mapping-delete-one", "Delete the collector mapping of a service"},
		{http.MethodGet, states, "rating/collector_states/get", h(f.collectorState), "collector-state-get", "Get whether a collector is enabled"},
		{http.MethodPut, states, "rating/collector_states/update", h(f.setCollectorState), "collector-state-set", "Enable or disable a collector: its metrics are not collected while it is disabled"},
	}
}

// collectorRoot answers GET /v1/collector as CloudKitty does: its routing
// stub returns nothing, so clients that probe it get 200 and no body.
func (f *face) collectorRoot(ctx context.Context, _ *struct{}) (*empty, error) {
	return &empty{}, nil
}

func (f *face) collectorMappings(ctx context.Context, in *collectorQuery) (*out[CollectorMappingList], error) {
	ms, err := f.svc.CollectorMappings(ctx, in.Collector)
	if err != nil {
		return nil, err
	}
	l := CollectorMappingList{Mappings: make([]CollectorMapping, 0, len(ms))}
	for _, m := range ms {
		l.Mappings = append(l.Mappings, mapping(m))
	}
	return reply(l), nil
}

func (f *face) collectorMapping(ctx context.Context, in *servicePath) (*out[CollectorMapping], error) {
	m, err := f.svc.CollectorMapping(ctx, in.Service)
	if err != nil {
		return nil, err
	}
	return reply(mapping(m)), nil
}

func (f *face) createCollectorMapping(ctx context.Context, in *collectorMappingCreateInput) (*out[CollectorMapping], error) {
	if err := requireSystem(ctx, "collector:manage_mapping"); err != nil {
		return nil, err
	}
	p := mappingParams{Service: in.Service, Collector: in.Collector}
	if err := readParams(in.RawBody, &p); err != nil {
		return nil, err
	}
	m, err := f.svc.CreateCollectorMapping(ctx, p.Service, p.Collector)
	if err != nil {
		return nil, fail(err)
	}
	auth.Note(ctx, auth.Object{Type: "collector_mapping", ID: m.Service, Name: m.Collector})
	return reply(mapping(m)), nil
}

func (f *face) deleteCollectorMappingQuery(ctx context.Context, in *collectorMappingDeleteInput) (*noContent, error) {
	p := mappingParams{Service: in.Service}
	if err := readParams(in.RawBody, &p); err != nil {
		return nil, err
	}
	return f.deleteCollectorMapping(ctx, &servicePath{Service: p.Service})
}

func (f *face) deleteCollectorMapping(ctx context.Context, in *servicePath) (*noContent, error) {
	if err := requireSystem(ctx, "collector:manage_mapping"); err != nil {
		return nil, err
	}
	if in.Service == "" {
		return nil, invalid("service", "Invalid input for field/attribute service. Value: 'None'. Mandatory field missing.")
	}
	if err := f.svc.DeleteCollectorMapping(ctx, in.Service); err != nil {
		return nil, err
	}
	auth.Note(ctx, auth.Object{Type: "collector_mapping", ID: in.Service})
	return nil, nil
}

func (f *face) collectorState(ctx context.Context, in *collectorStateQuery) (*out[CollectorInfos], error) {
	if in.Name == "" {
		return nil, invalid("name", "Invalid input for field/attribute name. Value: 'None'. Mandatory field missing.")
	}
	states, err := f.svc.CollectorStates(ctx)
	if err != nil {
		return nil, err
	}
	enabled, ok := states[in.Name]
	if !ok {
		enabled = true // a collector never disabled runs
	}
	return reply(CollectorInfos{Name: in.Name, Enabled: enabled}), nil
}

func (f *face) setCollectorState(ctx context.Context, in *collectorStateSetInput) (*out[CollectorInfos], error) {
	if err := requireSystem(ctx, "collector:update_state"); err != nil {
		return nil, err
	}
	p := struct {
		Name    string `json:"name"`
		Enabled *bool  `json:"enabled"`
	}{Name: in.Name}
	if err := readParams(in.RawBody, &p); err != nil {
		return nil, err
	}
	if p.Name == "" {
		return nil, invalid("name", "Invalid input for field/attribute name. Value: 'None'. Mandatory field missing.")
	}
	enabled := p.Enabled != nil && *p.Enabled
	if err := f.svc.SetCollectorState(ctx, p.Name, enabled); err != nil {
		return nil, fail(err)
	}
	auth.Note(ctx, auth.Object{Type: "collector_state", ID: p.Name})
	return f.collectorState(ctx, &collectorStateQuery{Name: p.Name})
}
