package cloudkitty

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/skyfold/skyfold/internal/api"
	"github.com/skyfold/skyfold/internal/api/auth"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/money"
	"github.com/skyfold/skyfold/internal/rating/hashmap"
	"github.com/skyfold/skyfold/internal/rating/processor"
)

const hashmapPath = "/v1/rating/module_config/hashmap"

// HashmapService is a hashmap service.
type HashmapService struct {
	ServiceID string `json:"service_id"`
	Name      string `json:"name"`
}

// HashmapField is a hashmap field.
type HashmapField struct {
	FieldID   string `json:"field_id"`
	ServiceID string `json:"service_id"`
	Name      string `json:"name"`
}

// HashmapGroup is a hashmap group.
type HashmapGroup struct {
	GroupID string `json:"group_id"`
	Name    string `json:"name"`
}

// HashmapMapping is a hashmap mapping as CloudKitty shows it: absent
// parents, group, tenant and dates are null; cost is a decimal string.
type HashmapMapping struct {
	MappingID string  `json:"mapping_id"`
	Value     *string `json:"value"`
	Type      string  `json:"type"`
	Cost      string  `json:"cost"`
	ServiceID *string `json:"service_id"`
	FieldID   *string `json:"field_id"`
	GroupID   *string `json:"group_id"`
	TenantID  *string `json:"tenant_id"`
	Start     *string `json:"start"`
	End       *string `json:"end"`
}

// HashmapThreshold is a hashmap threshold as CloudKitty shows it.
type HashmapThreshold struct {
	ThresholdID string  `json:"threshold_id"`
	Level       string  `json:"level"`
	Type        string  `json:"type"`
	Cost        string  `json:"cost"`
	ServiceID   *string `json:"service_id"`
	FieldID     *string `json:"field_id"`
	GroupID     *string `json:"group_id"`
	TenantID    *string `json:"tenant_id"`
	Start       *string `json:"start"`
	End         *string `json:"end"`
}

func mappingOf(m hashmap.Mapping) HashmapMapping {
	return HashmapMapping{MappingID: m.ID, Value: strPtr(m.Value), Type: string(m.Type), Cost: m.Cost.String(),
		ServiceID: strPtr(m.ServiceID), FieldID: strPtr(m.FieldID), GroupID: strPtr(m.GroupID), TenantID: strPtr(m.TenantID),
		Start: ckTimePtr(m.Start), End: ckTimePtr(m.End)}
}

func thresholdOf(t hashmap.Threshold) HashmapThreshold {
	return HashmapThreshold{ThresholdID: t.ID, Level: t.Level.String(), Type: string(t.Type), Cost: t.Cost.String(),
		ServiceID: strPtr(t.ServiceID), FieldID: strPtr(t.FieldID), GroupID: strPtr(t.GroupID), TenantID: strPtr(t.TenantID),
		Start: ckTimePtr(t.Start), End: ckTimePtr(t.End)}
}

// ruleBody is a mapping or threshold request body: which keys it holds
// (null counts as holding the key, clearing it) and their values.
type ruleBody map[string]json.RawMessage

func parseRuleBody(raw []byte) (ruleBody, error) {
	b := ruleBody{}
	if len(raw) == 0 {
		return b, nil
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, errs.Field("body", "invalid JSON object: "+err.Error())
	}
	return b, nil
}

// str reads an optional string key into *dst when present (null: "").
func (b ruleBody) str(key string, dst *string) error {
	raw, ok := b[key]
	if !ok {
		return nil
	}
	if string(raw) == "null" {
		*dst = ""
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return invalid(key, "Invalid input for field/attribute "+key+": expected a string")
	}
	return nil
}

// dec reads a decimal key into *dst when present; required keys must be
// present and not null.
func (b ruleBody) dec(key string, dst *money.Decimal, required bool) error {
	raw, ok := b[key]
	var n num
	if ok {
		if err := n.UnmarshalJSON(raw); err != nil {
			return invalid(key, "Invalid input for field/attribute "+key+". Value: '"+string(raw)+"'. Value should be a decimal")
		}
	}
	if !n.set {
		if required {
			return invalid(key, "Invalid input for field/attribute "+key+". Value: 'None'. Mandatory field missing.")
		}
		if ok {
			*dst = money.Zero
		}
		return nil
	}
	*dst = n.d
	return nil
}

// when reads a validity bound key when present.
func (b ruleBody) when(key string, dst *time.Time) error {
	var s string
	if err := b.str(key, &s); err != nil {
		return err
	}
	if _, ok := b[key]; !ok {
		return nil
	}
	if s == "" {
		*dst = time.Time{}
		return nil
	}
	t, err := ParseTime(s)
	if err != nil {
		return errs.Field(key, errs.PublicMessage(err))
	}
	*dst = t
	return nil
}

// common reads the keys mappings and thresholds share.
func (b ruleBody) common(svc, field, group, tenant *string, typ *hashmap.Type, v *hashmap.Validity) error {
	t := string(*typ)
	for _, x := range []struct {
		key string
		dst *string
	}{{"service_id", svc}, {"field_id", field}, {"group_id", group}, {"tenant_id", tenant}, {"type", &t}} {
		if err := b.str(x.key, x.dst); err != nil {
			return err
		}
	}
	*typ = hashmap.Type(t)
	if err := b.when("start", &v.Start); err != nil {
		return err
	}
	return b.when("end", &v.End)
}

func (b ruleBody) mapping(m *hashmap.Mapping, create bool) error {
	if err := b.common(&m.ServiceID, &m.FieldID, &m.GroupID, &m.TenantID, &m.Type, &m.Validity); err != nil {
		return err
	}
	if err := b.str("value", &m.Value); err != nil {
		return err
	}
	return b.dec("cost", &m.Cost, create)
}

func (b ruleBody) threshold(t *hashmap.Threshold, create bool) error {
	if err := b.common(&t.ServiceID, &t.FieldID, &t.GroupID, &t.TenantID, &t.Type, &t.Validity); err != nil {
		return err
	}
	if err := b.dec("level", &t.Level, create); err != nil {
		return err
	}
	return b.dec("cost", &t.Cost, create)
}

// ruleQuery is the list filter of mappings and thresholds.
type ruleQuery struct {
	ServiceID    string `query:"service_id"`
	FieldID      string `query:"field_id"`
	GroupID      string `query:"group_id"`
	NoGroup      bool   `query:"no_group" doc:"only rules of no group"`
	TenantID     string `query:"tenant_id"`
	FilterTenant bool   `query:"filter_tenant" doc:"filter on tenant_id even when it is empty (rules of no tenant)"`
}

func (q ruleQuery) filter() processor.RuleFilter {
	return processor.RuleFilter{ServiceID: q.ServiceID, FieldID: q.FieldID, GroupID: q.GroupID, NoGroup: q.NoGroup,
		TenantID: q.TenantID, FilterTenant: q.FilterTenant}
}

type (
	servicesOutput struct {
		Body struct {
			Services []HashmapService `json:"services"`
		}
	}
	serviceOutput struct{ Body HashmapService }
	fieldsOutput  struct {
		Body struct {
			Fields []HashmapField `json:"fields"`
		}
	}
	fieldOutput  struct{ Body HashmapField }
	groupsOutput struct {
		Body struct {
			Groups []HashmapGroup `json:"groups"`
		}
	}
	groupOutput    struct{ Body HashmapGroup }
	mappingsOutput struct {
		Body struct {
			Mappings []HashmapMapping `json:"mappings"`
		}
	}
	mappingOutput    struct{ Body HashmapMapping }
	thresholdsOutput struct {
		Body struct {
			Thresholds []HashmapThreshold `json:"thresholds"`
		}
	}
	thresholdOutput struct{ Body HashmapThreshold }
	typesOutput     struct{ Body []string }
)

type idPath struct {
	ID string `path:"id"`
}

func (f *face) registerHashmap(s *api.Server) {
	st := f.svc
	reg := func(id, method, path, summary, action string) huma.Operation {
		o := op("hashmap-"+id, method, hashmapPath+path, summary, "hashmap")
		if method == http.MethodPost {
			o.DefaultStatus = http.StatusCreated
		}
		return auth.Policy(o, "rating/hashmap/"+action)
	}
	api.Register(s, reg("types", http.MethodGet, "/types", "List the mapping types", "list"),
		func(ctx context.Context, _ *struct{}) (*typesOutput, error) {
			out := &typesOutput{}
			for _, t := range hashmap.Types() {
				out.Body = append(out.Body, string(t))
			}
			return out, nil
		})

	// Services.
	api.Register(s, reg("services-list", http.MethodGet, "/services", "List the hashmap services", "list"),
		func(ctx context.Context, _ *struct{}) (*servicesOutput, error) {
			svcs, err := st.HashmapServices(ctx)
			if err != nil {
				return nil, err
			}
			out := &servicesOutput{}
			out.Body.Services = []HashmapService{}
			for _, x := range svcs {
				out.Body.Services = append(out.Body.Services, HashmapService{ServiceID: x.ID, Name: x.Name})
			}
			return out, nil
		})
	api.Register(s, reg("service-get", http.MethodGet, "/services/{id}", "Get a hashmap service", "get"),
		func(ctx context.Context, in *idPath) (*serviceOutput, error) {
			x, err := st.HashmapService(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			return &serviceOutput{Body: HashmapService{ServiceID: x.ID, Name: x.Name}}, nil
		})
	api.Register(s, reg("service-create", http.MethodPost, "/services", "Create a hashmap service (a metric to rate)", "create"),
		func(ctx context.Context, in *struct {
			RawBody []byte
		}) (*serviceOutput, error) {
			if err := requireSystem(ctx); err != nil {
				return nil, err
			}
			var p struct {
				Name string `json:"name"`
			}
			if err := readParams(in.RawBody, &p); err != nil {
				return nil, err
			}
			x, err := st.CreateHashmapService(ctx, p.Name)
			if err != nil {
				return nil, fail(err)
			}
			auth.Note(ctx, auth.Object{Type: "hashmap_service", ID: x.ID, Name: x.Name})
			return &serviceOutput{Body: HashmapService{ServiceID: x.ID, Name: x.Name}}, nil
		})
	api.Register(s, reg("service-delete", http.MethodDelete, "/services/{id}", "Delete a hashmap service with its fields, mappings and thresholds", "delete"),
		func(ctx context.Context, in *idPath) (*noContent, error) {
			if err := requireSystem(ctx); err != nil {
				return nil, err
			}
			auth.Note(ctx, auth.Object{Type: "hashmap_service", ID: in.ID})
			return nil, st.DeleteHashmapService(ctx, in.ID)
		})

	// Fields.
	api.Register(s, reg("fields-list", http.MethodGet, "/fields", "List the fields of a service", "list"),
		func(ctx context.Context, in *struct {
			ServiceID string `query:"service_id"`
		}) (*fieldsOutput, error) {
			fs, err := st.HashmapFields(ctx, in.ServiceID)
			if err != nil {
				return nil, err
			}
			out := &fieldsOutput{}
			out.Body.Fields = []HashmapField{}
			for _, x := range fs {
				out.Body.Fields = append(out.Body.Fields, HashmapField{FieldID: x.ID, ServiceID: x.ServiceID, Name: x.Name})
			}
			return out, nil
		})
	api.Register(s, reg("field-get", http.MethodGet, "/fields/{id}", "Get a field", "get"),
		func(ctx context.Context, in *idPath) (*fieldOutput, error) {
			x, err := st.HashmapField(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			return &fieldOutput{Body: HashmapField{FieldID: x.ID, ServiceID: x.ServiceID, Name: x.Name}}, nil
		})
	api.Register(s, reg("field-create", http.MethodPost, "/fields", "Create a field (a metadata key of a service)", "create"),
		func(ctx context.Context, in *struct {
			RawBody []byte
		}) (*fieldOutput, error) {
			if err := requireSystem(ctx); err != nil {
				return nil, err
			}
			var p struct {
				Name      string `json:"name"`
				ServiceID string `json:"service_id"`
			}
			if err := readParams(in.RawBody, &p); err != nil {
				return nil, err
			}
			x, err := st.CreateHashmapField(ctx, p.ServiceID, p.Name)
			if err != nil {
				return nil, fail(err)
			}
			auth.Note(ctx, auth.Object{Type: "hashmap_field", ID: x.ID, Name: x.Name})
			return &fieldOutput{Body: HashmapField{FieldID: x.ID, ServiceID: x.ServiceID, Name: x.Name}}, nil
		})
	api.Register(s, reg("field-delete", http.MethodDelete, "/fields/{id}", "Delete a field with its mappings and thresholds", "delete"),
		func(ctx context.Context, in *idPath) (*noContent, error) {
			if err := requireSystem(ctx); err != nil {
				return nil, err
			}
			auth.Note(ctx, auth.Object{Type: "hashmap_field", ID: in.ID})
			return nil, st.DeleteHashmapField(ctx, in.ID)
		})

	// Groups.
	api.Register(s, reg("groups-list", http.MethodGet, "/groups", "List the groups", "list"),
		func(ctx context.Context, _ *struct{}) (*groupsOutput, error) {
			gs, err := st.HashmapGroups(ctx)
			if err != nil {
				return nil, err
			}
			out := &groupsOutput{}
			out.Body.Groups = []HashmapGroup{}
			for _, x := range gs {
				out.Body.Groups = append(out.Body.Groups, HashmapGroup{GroupID: x.ID, Name: x.Name})
			}
			return out, nil
		})
	api.Register(s, reg("group-get", http.MethodGet, "/groups/{id}", "Get a group", "get"),
		func(ctx context.Context, in *idPath) (*groupOutput, error) {
			x, err := st.HashmapGroup(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			return &groupOutput{Body: HashmapGroup{GroupID: x.ID, Name: x.Name}}, nil
		})
	api.Register(s, reg("group-create", http.MethodPost, "/groups", "Create a group (rules priced on their own, then added up)", "create"),
		func(ctx context.Context, in *struct {
			RawBody []byte
		}) (*groupOutput, error) {
			if err := requireSystem(ctx); err != nil {
				return nil, err
			}
			var p struct {
				Name string `json:"name"`
			}
			if err := readParams(in.RawBody, &p); err != nil {
				return nil, err
			}
			x, err := st.CreateHashmapGroup(ctx, p.Name)
			if err != nil {
				return nil, fail(err)
			}
			auth.Note(ctx, auth.Object{Type: "hashmap_group", ID: x.ID, Name: x.Name})
			return &groupOutput{Body: HashmapGroup{GroupID: x.ID, Name: x.Name}}, nil
		})
	api.Register(s, reg("group-delete", http.MethodDelete, "/groups/{id}",
		"Delete a group; with recursive its mappings and thresholds too, otherwise they join the default group", "delete"),
		func(ctx context.Context, in *struct {
			ID        string `path:"id"`
			Recursive bool   `query:"recursive"`
			RawBody   []byte
		}) (*noContent, error) {
			if err := requireSystem(ctx); err != nil {
				return nil, err
			}
			p := struct {
				Recursive bool `json:"recursive"`
			}{Recursive: in.Recursive}
			if err := readParams(in.RawBody, &p); err != nil {
				return nil, err
			}
			auth.Note(ctx, auth.Object{Type: "hashmap_group", ID: in.ID})
			return nil, st.DeleteHashmapGroup(ctx, in.ID, p.Recursive || in.Recursive)
		})
	groupMappings := func(ctx context.Context, id string) (*mappingsOutput, error) {
		if _, err := st.HashmapGroup(ctx, id); err != nil {
			return nil, err
		}
		return f.listMappings(ctx, processor.RuleFilter{GroupID: id})
	}
	groupThresholds := func(ctx context.Context, id string) (*thresholdsOutput, error) {
		if _, err := st.HashmapGroup(ctx, id); err != nil {
			return nil, err
		}
		return f.listThresholds(ctx, processor.RuleFilter{GroupID: id})
	}
	api.Register(s, reg("group-mappings", http.MethodGet, "/groups/mappings", "List the mappings of a group (group_id in the query, as the client asks)", "list"),
		func(ctx context.Context, in *struct {
			GroupID string `query:"group_id" required:"true"`
		}) (*mappingsOutput, error) {
			return groupMappings(ctx, in.GroupID)
		})
	api.Register(s, reg("group-mappings-path", http.MethodGet, "/groups/{id}/mappings", "List the mappings of a group", "list"),
		func(ctx context.Context, in *idPath) (*mappingsOutput, error) { return groupMappings(ctx, in.ID) })
	api.Register(s, reg("group-thresholds", http.MethodGet, "/groups/thresholds", "List the thresholds of a group (group_id in the query)", "list"),
		func(ctx context.Context, in *struct {
			GroupID string `query:"group_id" required:"true"`
		}) (*thresholdsOutput, error) {
			return groupThresholds(ctx, in.GroupID)
		})
	api.Register(s, reg("group-thresholds-path", http.MethodGet, "/groups/{id}/thresholds", "List the thresholds of a group", "list"),
		func(ctx context.Context, in *idPath) (*thresholdsOutput, error) { return groupThresholds(ctx, in.ID) })

	// Mappings.
	api.Register(s, reg("mappings-list", http.MethodGet, "/mappings", "List mappings", "list"),
		func(ctx context.Context, in *ruleQuery) (*mappingsOutput, error) {
			return f.listMappings(ctx, in.filter())
		})
	api.Register(s, reg("mapping-get", http.MethodGet, "/mappings/{id}", "Get a mapping", "get"),
		func(ctx context.Context, in *idPath) (*mappingOutput, error) {
			m, err := st.Mapping(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			return &mappingOutput{Body: mappingOf(m)}, nil
		})
	api.Register(s, reg("mapping-group", http.MethodGet, "/mappings/group", "Get the group of a mapping", "get"),
		func(ctx context.Context, in *struct {
			MappingID string `query:"mapping_id" required:"true"`
		}) (*groupOutput, error) {
			m, err := st.Mapping(ctx, in.MappingID)
			if err != nil {
				return nil, err
			}
			return f.groupOf(ctx, m.GroupID, "mapping", m.ID)
		})
	api.Register(s, reg("mapping-create", http.MethodPost, "/mappings", "Create a mapping (flat or rate, for a service or a field value)", "create"),
		func(ctx context.Context, in *struct {
			RawBody []byte
		}) (*mappingOutput, error) {
			if err := requireSystem(ctx); err != nil {
				return nil, err
			}
			b, err := parseRuleBody(in.RawBody)
			if err != nil {
				return nil, err
			}
			var m hashmap.Mapping
			if err := b.mapping(&m, true); err != nil {
				return nil, err
			}
			m, err = st.CreateMapping(ctx, m)
			if err != nil {
				return nil, fail(err)
			}
			auth.Note(ctx, auth.Object{Type: "hashmap_mapping", ID: m.ID})
			return &mappingOutput{Body: mappingOf(m)}, nil
		})
	api.Register(s, reg("mapping-update", http.MethodPut, "/mappings/{id}", "Change a mapping", "update"),
		func(ctx context.Context, in *struct {
			ID      string `path:"id"`
			RawBody []byte
		}) (*mappingOutput, error) {
			if err := requireSystem(ctx); err != nil {
				return nil, err
			}
			m, err := st.Mapping(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			b, err := parseRuleBody(in.RawBody)
			if err != nil {
				return nil, err
			}
			if err := b.mapping(&m, false); err != nil {
				return nil, err
			}
			m.ID = in.ID
			m, err = st.UpdateMapping(ctx, m)
			if err != nil {
				return nil, fail(err)
			}
			auth.Note(ctx, auth.Object{Type: "hashmap_mapping", ID: m.ID})
			return &mappingOutput{Body: mappingOf(m)}, nil
		})
	api.Register(s, reg("mapping-delete", http.MethodDelete, "/mappings/{id}", "Delete a mapping", "delete"),
		func(ctx context.Context, in *idPath) (*noContent, error) {
			if err := requireSystem(ctx); err != nil {
				return nil, err
			}
			auth.Note(ctx, auth.Object{Type: "hashmap_mapping", ID: in.ID})
			return nil, st.DeleteMapping(ctx, in.ID)
		})

	// Thresholds.
	api.Register(s, reg("thresholds-list", http.MethodGet, "/thresholds", "List thresholds", "list"),
		func(ctx context.Context, in *ruleQuery) (*thresholdsOutput, error) {
			return f.listThresholds(ctx, in.filter())
		})
	api.Register(s, reg("threshold-get", http.MethodGet, "/thresholds/{id}", "Get a threshold", "get"),
		func(ctx context.Context, in *idPath) (*thresholdOutput, error) {
			t, err := st.Threshold(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			return &thresholdOutput{Body: thresholdOf(t)}, nil
		})
	api.Register(s, reg("threshold-group", http.MethodGet, "/thresholds/group", "Get the group of a threshold", "get"),
		func(ctx context.Context, in *struct {
			ThresholdID string `query:"threshold_id" required:"true"`
		}) (*groupOutput, error) {
			t, err := st.Threshold(ctx, in.ThresholdID)
			if err != nil {
				return nil, err
			}
			return f.groupOf(ctx, t.GroupID, "threshold", t.ID)
		})
	api.Register(s, reg("threshold-create", http.MethodPost, "/thresholds", "Create a threshold (from a level of the quantity or of a field value)", "create"),
		func(ctx context.Context, in *struct {
			RawBody []byte
		}) (*thresholdOutput, error) {
			if err := requireSystem(ctx); err != nil {
				return nil, err
			}
			b, err := parseRuleBody(in.RawBody)
			if err != nil {
				return nil, err
			}
			var t hashmap.Threshold
			if err := b.threshold(&t, true); err != nil {
				return nil, err
			}
			t, err = st.CreateThreshold(ctx, t)
			if err != nil {
				return nil, fail(err)
			}
			auth.Note(ctx, auth.Object{Type: "hashmap_threshold", ID: t.ID})
			return &thresholdOutput{Body: thresholdOf(t)}, nil
		})
	api.Register(s, reg("threshold-update", http.MethodPut, "/thresholds/{id}", "Change a threshold", "update"),
		func(ctx context.Context, in *struct {
			ID      string `path:"id"`
			RawBody []byte
		}) (*thresholdOutput, error) {
			if err := requireSystem(ctx); err != nil {
				return nil, err
			}
			t, err := st.Threshold(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			b, err := parseRuleBody(in.RawBody)
			if err != nil {
				return nil, err
			}
			if err := b.threshold(&t, false); err != nil {
				return nil, err
			}
			t.ID = in.ID
			t, err = st.UpdateThreshold(ctx, t)
			if err != nil {
				return nil, fail(err)
			}
			auth.Note(ctx, auth.Object{Type: "hashmap_threshold", ID: t.ID})
			return &thresholdOutput{Body: thresholdOf(t)}, nil
		})
	api.Register(s, reg("threshold-delete", http.MethodDelete, "/thresholds/{id}", "Delete a threshold", "delete"),
		func(ctx context.Context, in *idPath) (*noContent, error) {
			if err := requireSystem(ctx); err != nil {
				return nil, err
			}
			auth.Note(ctx, auth.Object{Type: "hashmap_threshold", ID: in.ID})
			return nil, st.DeleteThreshold(ctx, in.ID)
		})

	// The CloudKitty client deletes with the id in a JSON body sent to the
	// collection ("DELETE .../mappings/" {"mapping_id": ...}).
	for _, d := range []struct {
		path, key, kind string
		del             func(ctx context.Context, id string, recursive bool) error
	}{
		{"/services", "service_id", "hashmap_service", func(ctx context.Context, id string, _ bool) error { return st.DeleteHashmapService(ctx, id) }},
		{"/fields", "field_id", "hashmap_field", func(ctx context.Context, id string, _ bool) error { return st.DeleteHashmapField(ctx, id) }},
		{"/groups", "group_id", "hashmap_group", st.DeleteHashmapGroup},
		{"/mappings", "mapping_id", "hashmap_mapping", func(ctx context.Context, id string, _ bool) error { return st.DeleteMapping(ctx, id) }},
		{"/thresholds", "threshold_id", "hashmap_threshold", func(ctx context.Context, id string, _ bool) error { return st.DeleteThreshold(ctx, id) }},
	} {
		api.Register(s, reg(d.kind[len("hashmap_"):]+"-delete-body", http.MethodDelete, d.path,
			"Delete by the "+d.key+" in the JSON body, as the CloudKitty client does", "delete"),
			func(ctx context.Context, in *struct {
				RawBody []byte
			}) (*noContent, error) {
				if err := requireSystem(ctx); err != nil {
					return nil, err
				}
				var p map[string]any
				if err := readParams(in.RawBody, &p); err != nil {
					return nil, err
				}
				id, _ := p[d.key].(string)
				if id == "" {
					return nil, invalid(d.key, "Invalid input for field/attribute "+d.key+". Value: 'None'. Mandatory field missing.")
				}
				recursive, _ := p["recursive"].(bool)
				auth.Note(ctx, auth.Object{Type: d.kind, ID: id})
				return nil, d.del(ctx, id, recursive)
			})
	}
}

func (f *face) listMappings(ctx context.Context, flt processor.RuleFilter) (*mappingsOutput, error) {
	ms, err := f.svc.Mappings(ctx, flt)
	if err != nil {
		return nil, err
	}
	out := &mappingsOutput{}
	out.Body.Mappings = make([]HashmapMapping, 0, len(ms))
	for _, m := range ms {
		out.Body.Mappings = append(out.Body.Mappings, mappingOf(m))
	}
	return out, nil
}

func (f *face) listThresholds(ctx context.Context, flt processor.RuleFilter) (*thresholdsOutput, error) {
	ts, err := f.svc.Thresholds(ctx, flt)
	if err != nil {
		return nil, err
	}
	out := &thresholdsOutput{}
	out.Body.Thresholds = make([]HashmapThreshold, 0, len(ts))
	for _, t := range ts {
		out.Body.Thresholds = append(out.Body.Thresholds, thresholdOf(t))
	}
	return out, nil
}

func (f *face) groupOf(ctx context.Context, groupID, kind, id string) (*groupOutput, error) {
	if groupID == "" {
		return nil, errs.E(errs.NotFound, "Entity %s has no group: %s", kind, id)
	}
	g, err := f.svc.HashmapGroup(ctx, groupID)
	if err != nil {
		return nil, err
	}
	return &groupOutput{Body: HashmapGroup{GroupID: g.ID, Name: g.Name}}, nil
}
