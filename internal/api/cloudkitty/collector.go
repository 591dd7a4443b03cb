package cloudkitty

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/skyfold/skyfold/internal/api"
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

type collectorMappingsOutput struct {
	Body struct {
		Mappings []CollectorMapping `json:"mappings"`
	}
}

type collectorMappingOutput struct {
	Body CollectorMapping
}

type collectorStateOutput struct {
	Body CollectorInfos
}

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

func (f *face) registerCollector(s *api.Server) {
	st := f.svc
	list := func(ctx context.Context, in *struct {
		Collector string `query:"collector" doc:"filter on a collector name"`
	}) (*collectorMappingsOutput, error) {
		ms, err := st.CollectorMappings(ctx, in.Collector)
		if err != nil {
			return nil, err
		}
		out := &collectorMappingsOutput{}
		out.Body.Mappings = make([]CollectorMapping, 0, len(ms))
		for _, m := range ms {
			out.Body.Mappings = append(out.Body.Mappings, mapping(m))
		}
		return out, nil
	}
	api.Register(s, auth.Policy(op("collector-mappings-list", http.MethodGet, "/v1/collector/mappings",
		"List the service to collector mappings", "collector"), "rating/collector_mappings/list"), list)

	api.Register(s, auth.Policy(op("collector-mapping-get", http.MethodGet, "/v1/collector/mappings/{service}",
		"Get the collector mapping of a service", "collector"), "rating/collector_mappings/get"),
		func(ctx context.Context, in *struct {
			Service string `path:"service"`
		}) (*collectorMappingOutput, error) {
			m, err := st.CollectorMapping(ctx, in.Service)
			if err != nil {
				return nil, err
			}
			return &collectorMappingOutput{Body: mapping(m)}, nil
		})

	api.Register(s, auth.Policy(op("collector-mapping-create", http.MethodPost, "/v1/collector/mappings",
		"Map a service to a collector", "collector"), "rating/collector_mappings/create"),
		func(ctx context.Context, in *struct {
			Collector string `query:"collector"`
			Service   string `query:"service"`
			RawBody   []byte
		}) (*collectorMappingOutput, error) {
			if err := requireSystem(ctx); err != nil {
				return nil, err
			}
			p := mappingParams{Service: in.Service, Collector: in.Collector}
			if err := readParams(in.RawBody, &p); err != nil {
				return nil, err
			}
			m, err := st.CreateCollectorMapping(ctx, p.Service, p.Collector)
			if err != nil {
				return nil, err
			}
			auth.Note(ctx, auth.Object{Type: "collector_mapping", ID: m.Service, Name: m.Collector})
			return &collectorMappingOutput{Body: mapping(m)}, nil
		})

	del := func(ctx context.Context, service string) (*noContent, error) {
		if err := requireSystem(ctx); err != nil {
			return nil, err
		}
		if service == "" {
			return nil, invalid("service", "Invalid input for field/attribute service. Value: 'None'. Mandatory field missing.")
		}
		if err := st.DeleteCollectorMapping(ctx, service); err != nil {
			return nil, err
		}
		auth.Note(ctx, auth.Object{Type: "collector_mapping", ID: service})
		return nil, nil
	}
	api.Register(s, auth.Policy(op("collector-mapping-delete", http.MethodDelete, "/v1/collector/mappings",
		"Delete the collector mapping of a service (service in the query or body)", "collector"), "rating/collector_mappings/delete"),
		func(ctx context.Context, in *struct {
			Service string `query:"service"`
			RawBody []byte
		}) (*noContent, error) {
			p := mappingParams{Service: in.Service}
			if err := readParams(in.RawBody, &p); err != nil {
				return nil, err
			}
			return del(ctx, p.Service)
		})
	api.Register(s, auth.Policy(op("collector-mapping-delete-one", http.MethodDelete, "/v1/collector/mappings/{service}",
		"Delete the collector mapping of a service", "collector"), "rating/collector_mappings/delete"),
		func(ctx context.Context, in *struct {
			Service string `path:"service"`
		}) (*noContent, error) {
			return del(ctx, in.Service)
		})

	state := func(ctx context.Context, name string) (*collectorStateOutput, error) {
		if name == "" {
			return nil, invalid("name", "Invalid input for field/attribute name. Value: 'None'. Mandatory field missing.")
		}
		states, err := st.CollectorStates(ctx)
		if err != nil {
			return nil, err
		}
		enabled, ok := states[name]
		if !ok {
			enabled = true // a collector never disabled runs
		}
		return &collectorStateOutput{Body: CollectorInfos{Name: name, Enabled: enabled}}, nil
	}
	api.Register(s, auth.Policy(op("collector-state-get", http.MethodGet, "/v1/collector/states",
		"Get whether a collector is enabled", "collector"), "rating/collector_states/get"),
		func(ctx context.Context, in *struct {
			Name string `query:"name" doc:"collector name"`
		}) (*collectorStateOutput, error) {
			return state(ctx, in.Name)
		})
	api.Register(s, auth.Policy(op("collector-state-set", http.MethodPut, "/v1/collector/states",
		"Enable or disable a collector: its metrics are not collected while it is disabled", "collector"), "rating/collector_states/update"),
		func(ctx context.Context, in *struct {
			Name    string `query:"name"`
			RawBody []byte
		}) (*collectorStateOutput, error) {
			if err := requireSystem(ctx); err != nil {
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
			if err := st.SetCollectorState(ctx, p.Name, enabled); err != nil {
				return nil, err
			}
			auth.Note(ctx, auth.Object{Type: "collector_state", ID: p.Name})
			return state(ctx, p.Name)
		})
}
