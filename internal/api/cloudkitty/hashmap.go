package cloudkitty

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

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

// Lists as CloudKitty wraps them.
type (
	// HashmapServiceList is a list of hashmap services.
	HashmapServiceList struct {
		Services []HashmapService `json:"services"`
	}
	// HashmapFieldList is a list of hashmap fields.
	HashmapFieldList struct {
		Fields []HashmapField `json:"fields"`
	}
	// HashmapGroupList is a list of hashmap groups.
	HashmapGroupList struct {
		Groups []HashmapGroup `json:"groups"`
	}
	// HashmapMappingList is a list of hashmap mappings.
	HashmapMappingList struct {
		Mappings []HashmapMapping `json:"mappings"`
	}
	// HashmapThresholdList is a list of hashmap thresholds.
	HashmapThresholdList struct {
		Thresholds []HashmapThreshold `json:"thresholds"`
	}
)

// Inputs of the hashmap operations.
type (
	idPath struct {
		ID string `path:"id"`
	}
	rawBody struct {
		RawBody []byte
		at      requestURL
	}
	idBody struct {
		ID      string `path:"id"`
		RawBody []byte
		at      requestURL
	}
	fieldsQuery struct {
		ServiceID string `query:"service_id"`
	}
	groupDeleteInput struct {
		ID        string `path:"id"`
		Recursive bool   `query:"recursive"`
		RawBody   []byte
	}
	groupQuery struct {
		GroupID string `query:"group_id" required:"true"`
	}
	mappingGroupQuery struct {
		MappingID string `query:"mapping_id" required:"true"`
	}
	thresholdGroupQuery struct {
		ThresholdID string `query:"threshold_id" required:"true"`
	}
)

// hashmapRoutes are the hashmap module's configuration operations.
func (f *face) hashmapRoutes() []route {
	const hm, list, get, create, update, del = hashmapPath, "rating/hashmap/list", "rating/hashmap/get",
		"rating/hashmap/create", "rating/hashmap/update", "rating/hashmap/delete"
	const get_, post, put, delete_ = http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete
	m, t := f.mappings, f.thresholds
	return []route{
		{get_, hm + "/types", list, h(f.hashmapTypes), "hashmap-types", "List the mapping types"},

		{get_, hm + "/services", list, h(f.hashmapServices), "hashmap-services-list", "List the hashmap services"},
		{get_, hm + "/services/{id}", get, h(f.hashmapService), "hashmap-service-get", "Get a hashmap service"},
		{post, hm + "/services", create, created(h(f.createHashmapService)), "hashmap-service-create", "Create a hashmap service (a metric to rate)"},
		{delete_, hm + "/services/{id}", del, h(f.deleteHashmapService), "hashmap-service-delete", "Delete a hashmap service with its fields, mappings and thresholds"},
		{delete_, hm + "/services", del, h(f.deleteHashmapServiceBody), "hashmap-service-delete-body", "Delete by the service_id in the JSON body, as the CloudKitty client does"},

		{get_, hm + "/fields", list, h(f.hashmapFields), "hashmap-fields-list", "List the fields of a service"},
		{get_, hm + "/fields/{id}", get, h(f.hashmapField), "hashmap-field-get", "Get a field"},
		{post, hm + "/fields", create, created(h(f.createHashmapField)), "hashmap-field-create", "Create a field (a metadata key of a service)"},
		{delete_, hm + "/fields/{id}", del, h(f.deleteHashmapField), "hashmap-field-delete", "Delete a field with its mappings and thresholds"},
		{delete_, hm + "/fields", del, h(f.deleteHashmapFieldBody), "hashmap-field-delete-body", "Delete by the field_id in the JSON body, as the CloudKitty client does"},

		{get_, hm + "/groups", list, h(f.hashmapGroups), "hashmap-groups-list", "List the groups"},
		{get_, hm + "/groups/{id}", get, h(f.hashmapGroup), "hashmap-group-get", "Get a group"},
		{post, hm + "/groups", create, created(h(f.createHashmapGroup)), "hashmap-group-create", "Create a group (rules priced on their own, then added up)"},
		{delete_, hm + "/groups/{id}", del, optionalBody(h(f.deleteHashmapGroup)), "hashmap-group-delete", "Delete a group; with recursive its mappings and thresholds too, otherwise they join the default group"},
		{delete_, hm + "/groups", del, h(f.deleteHashmapGroupBody), "hashmap-group-delete-body", "Delete by the group_id in the JSON body, as the CloudKitty client does"},
		{get_, hm + "/groups/mappings", list, h(f.groupMappings), "hashmap-group-mappings", "List the mappings of a group (group_id in the query, as the client asks)"},
		{get_, hm + "/groups/{id}/mappings", list, h(f.groupMappingsPath), "hashmap-group-mappings-path", "List the mappings of a group"},
		{get_, hm + "/groups/thresholds", list, h(f.groupThresholds), "hashmap-group-thresholds", "List the thresholds of a group (group_id in the query)"},
		{get_, hm + "/groups/{id}/thresholds", list, h(f.groupThresholdsPath), "hashmap-group-thresholds-path", "List the thresholds of a group"},

		{get_, hm + "/mappings", list, h(m.list), "hashmap-mappings-list", "List mappings"},
		{get_, hm + "/mappings/{id}", get, h(m.get), "hashmap-mapping-get", "Get a mapping"},
		{get_, hm + "/mappings/group", get, h(f.mappingGroup), "hashmap-mapping-group", "Get the group of a mapping"},
		{post, hm + "/mappings", create, created(h(m.create)), "hashmap-mapping-create", "Create a mapping (flat or rate, for a service or a field value)"},
		{put, hm + "/mappings/{id}", update, h(m.update), "hashmap-mapping-update", "Change a mapping"},
		{delete_, hm + "/mappings/{id}", del, h(m.delete), "hashmap-mapping-delete", "Delete a mapping"},
		{delete_, hm + "/mappings", del, h(m.deleteBody), "hashmap-mapping-delete-body", "Delete by the mapping_id in the JSON body, as the CloudKitty client does"},

		{get_, hm + "/thresholds", list, h(t.list), "hashmap-thresholds-list", "List thresholds"},
		{get_, hm + "/thresholds/{id}", get, h(t.get), "hashmap-threshold-get", "Get a threshold"},
		{get_, hm + "/thresholds/group", get, h(f.thresholdGroup), "hashmap-threshold-group", "Get the group of a threshold"},
		{post, hm + "/thresholds", create, created(h(t.create)), "hashmap-threshold-create", "Create a threshold (from a level of the quantity or of a field value)"},
		{put, hm + "/thresholds/{id}", update, h(t.update), "hashmap-threshold-update", "Change a threshold"},
		{delete_, hm + "/thresholds/{id}", del, h(t.delete), "hashmap-threshold-delete", "Delete a threshold"},
		{delete_, hm + "/thresholds", del, h(t.deleteBody), "hashmap-threshold-delete-body", "Delete by the threshold_id in the JSON body, as the CloudKitty client does"},
	}
}

func (f *face) hashmapTypes(ctx context.Context, _ *struct{}) (*out[[]string], error) {
	var types []string
	for _, t := range hashmap.Types() {
		types = append(types, string(t))
	}
	return reply(types), nil
}

// Services.

func serviceOf(x hashmap.Service) HashmapService {
	return HashmapService{ServiceID: x.ID, Name: x.Name}
}

func (f *face) hashmapServices(ctx context.Context, _ *struct{}) (*out[HashmapServiceList], error) {
	svcs, err := f.svc.HashmapServices(ctx)
	if err != nil {
		return nil, err
	}
	return reply(HashmapServiceList{Services: views(svcs, serviceOf)}), nil
}

func (f *face) hashmapService(ctx context.Context, in *idPath) (*out[HashmapService], error) {
	x, err := f.svc.HashmapService(ctx, in.ID)
	if err != nil {
		return nil, missing(err, "service", in.ID)
	}
	return reply(serviceOf(x)), nil
}

func (f *face) createHashmapService(ctx context.Context, in *rawBody) (*createdAt[HashmapService], error) {
	return createNamed(ctx, in, "hashmap_service", f.svc.CreateHashmapService,
		func(x hashmap.Service) (string, string) { return x.ID, x.Name }, serviceOf)
}

// createNamed creates a hashmap object that has only a name (a service or
// a group), as an admin, and answers it with its Location.
func createNamed[X, V any](ctx context.Context, in *rawBody, kind string, create func(context.Context, string) (X, error),
	idName func(X) (string, string), view func(X) V) (*createdAt[V], error) {
	if err := requireSystem(ctx, "rating:module_config"); err != nil {
		return nil, err
	}
	var p struct {
		Name string `json:"name"`
	}
	if err := readParams(in.RawBody, &p); err != nil {
		return nil, err
	}
	x, err := create(ctx, p.Name)
	if err != nil {
		return nil, fail(err)
	}
	id, name := idName(x)
	auth.Note(ctx, auth.Object{Type: kind, ID: id, Name: name})
	return newAt(in.at, id, view(x)), nil
}

func (f *face) deleteHashmapService(ctx context.Context, in *idPath) (*noContent, error) {
	return deleteHashmapObject(ctx, "hashmap_service", in.ID, f.svc.DeleteHashmapService)
}

func (f *face) deleteHashmapServiceBody(ctx context.Context, in *rawBody) (*noContent, error) {
	return deleteByBody(ctx, in.RawBody, "service_id", func(ctx context.Context, id string, _ bool) error {
		return f.svc.DeleteHashmapService(ctx, id)
	})
}

// Fields.

func fieldOf(x hashmap.Field) HashmapField {
	return HashmapField{FieldID: x.ID, ServiceID: x.ServiceID, Name: x.Name}
}

func (f *face) hashmapFields(ctx context.Context, in *fieldsQuery) (*out[HashmapFieldList], error) {
	fs, err := f.svc.HashmapFields(ctx, in.ServiceID)
	if err != nil {
		return nil, err
	}
	return reply(HashmapFieldList{Fields: views(fs, fieldOf)}), nil
}

func (f *face) hashmapField(ctx context.Context, in *idPath) (*out[HashmapField], error) {
	x, err := f.svc.HashmapField(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return reply(fieldOf(x)), nil
}

func (f *face) createHashmapField(ctx context.Context, in *rawBody) (*createdAt[HashmapField], error) {
	if err := requireSystem(ctx, "rating:module_config"); err != nil {
		return nil, err
	}
	var p struct {
		Name      string `json:"name"`
		ServiceID string `json:"service_id"`
	}
	if err := readParams(in.RawBody, &p); err != nil {
		return nil, err
	}
	x, err := f.svc.CreateHashmapField(ctx, p.ServiceID, p.Name)
	if err != nil {
		return nil, fail(err)
	}
	auth.Note(ctx, auth.Object{Type: "hashmap_field", ID: x.ID, Name: x.Name})
	return newAt(in.at, x.ID, fieldOf(x)), nil
}

func (f *face) deleteHashmapField(ctx context.Context, in *idPath) (*noContent, error) {
	return deleteHashmapObject(ctx, "hashmap_field", in.ID, f.svc.DeleteHashmapField)
}

func (f *face) deleteHashmapFieldBody(ctx context.Context, in *rawBody) (*noContent, error) {
	return deleteByBody(ctx, in.RawBody, "field_id", func(ctx context.Context, id string, _ bool) error {
		return f.svc.DeleteHashmapField(ctx, id)
	})
}

// Groups.

func groupOf(x hashmap.Group) HashmapGroup { return HashmapGroup{GroupID: x.ID, Name: x.Name} }

func (f *face) hashmapGroups(ctx context.Context, _ *struct{}) (*out[HashmapGroupList], error) {
	gs, err := f.svc.HashmapGroups(ctx)
	if err != nil {
		return nil, err
	}
	return reply(HashmapGroupList{Groups: views(gs, groupOf)}), nil
}

func (f *face) hashmapGroup(ctx context.Context, in *idPath) (*out[HashmapGroup], error) {
	x, err := f.svc.HashmapGroup(ctx, in.ID)
	if err != nil {
		return nil, missing(err, "group", in.ID)
	}
	return reply(groupOf(x)), nil
}

func (f *face) createHashmapGroup(ctx context.Context, in *rawBody) (*createdAt[HashmapGroup], error) {
	return createNamed(ctx, in, "hashmap_group", f.svc.CreateHashmapGroup,
		func(x hashmap.Group) (string, string) { return x.ID, x.Name }, groupOf)
}

func (f *face) deleteHashmapGroup(ctx context.Context, in *groupDeleteInput) (*noContent, error) {
	p := struct {
		Recursive bool `json:"recursive"`
	}{Recursive: in.Recursive}
	if err := requireSystem(ctx, "rating:module_config"); err != nil {
		return nil, err
	}
	if err := readParams(in.RawBody, &p); err != nil {
		return nil, err
	}
	auth.Note(ctx, auth.Object{Type: "hashmap_group", ID: in.ID})
	return nil, missing(f.svc.DeleteHashmapGroup(ctx, in.ID, p.Recursive || in.Recursive), "group", in.ID)
}

func (f *face) deleteHashmapGroupBody(ctx context.Context, in *rawBody) (*noContent, error) {
	return deleteByBody(ctx, in.RawBody, "group_id", f.svc.DeleteHashmapGroup)
}

func (f *face) groupMappings(ctx context.Context, in *groupQuery) (*out[HashmapMappingList], error) {
	return f.groupMappingsPath(ctx, &idPath{ID: in.GroupID})
}

// groupMappingsPath lists a group's mappings; like CloudKitty, an unknown
// group has none rather than being refused.
func (f *face) groupMappingsPath(ctx context.Context, in *idPath) (*out[HashmapMappingList], error) {
	return f.mappings.listOf(ctx, processor.RuleFilter{GroupID: in.ID})
}

func (f *face) groupThresholds(ctx context.Context, in *groupQuery) (*out[HashmapThresholdList], error) {
	return f.groupThresholdsPath(ctx, &idPath{ID: in.GroupID})
}

func (f *face) groupThresholdsPath(ctx context.Context, in *idPath) (*out[HashmapThresholdList], error) {
	return f.thresholds.listOf(ctx, processor.RuleFilter{GroupID: in.ID})
}

func (f *face) mappingGroup(ctx context.Context, in *mappingGroupQuery) (*out[HashmapGroup], error) {
	return f.mappings.groupOf(ctx, in.MappingID)
}

func (f *face) thresholdGroup(ctx context.Context, in *thresholdGroupQuery) (*out[HashmapGroup], error) {
	return f.thresholds.groupOf(ctx, in.ThresholdID)
}

// deleteHashmapObject deletes one object for a system-wide caller.
func deleteHashmapObject(ctx context.Context, kind, id string, del func(ctx context.Context, id string) error) (*noContent, error) {
	if err := requireSystem(ctx, "rating:module_config"); err != nil {
		return nil, err
	}
	auth.Note(ctx, auth.Object{Type: kind, ID: id})
	return nil, missing(del(ctx, id), strings.TrimPrefix(kind, "hashmap_"), id)
}

// deleteByBody serves the CloudKitty client's deletes, which send the id
// (and, for groups, recursive) in a JSON body to the collection
// ("DELETE .../mappings/" {"mapping_id": ...}).
func deleteByBody(ctx context.Context, raw []byte, key string, del func(ctx context.Context, id string, recursive bool) error) (*noContent, error) {
	if err := requireSystem(ctx, "rating:module_config"); err != nil {
		return nil, err
	}
	var p map[string]any
	if err := readParams(raw, &p); err != nil {
		return nil, err
	}
	id, _ := p[key].(string)
	if id == "" {
		return nil, invalid(key, "Invalid input for field/attribute "+key+". Value: 'None'. Mandatory field missing.")
	}
	recursive, _ := p["recursive"].(bool)
	kind := strings.TrimSuffix(key, "_id")
	auth.Note(ctx, auth.Object{Type: "hashmap_" + kind, ID: id})
	return nil, missing(del(ctx, id, recursive), kind, id)
}

// Mappings and thresholds.

// hashmapRules serves the operations mappings and thresholds share: R is
// the domain rule, W its wire form, L the wire list.
type hashmapRules[R, W, L any] struct {
	svc  *processor.Service
	kind string // "mapping" or "threshold"
	// The rating service's operations on this kind of rule.
	listRules func(ctx context.Context, v processor.Visibility, f processor.RuleFilter) ([]R, error)
	getRule   func(ctx context.Context, v processor.Visibility, id string) (R, error)
	createR   func(ctx context.Context, r R) (R, error)
	updateR   func(ctx context.Context, r R) (R, error)
	deleteR   func(ctx context.Context, id string) error
	// read applies a request body to a rule; create requires the keys a
	// new rule must have.
	read func(b ruleBody, r *R, create bool) error
	// head returns the rule's id and group.
	head func(r *R) (id *string, group string)
	wire func(r R) W
	wrap func(ws []W) L
}

func (f *face) newHashmapRules() {
	f.mappings = &hashmapRules[hashmap.Mapping, HashmapMapping, HashmapMappingList]{svc: f.svc, kind: "mapping",
		listRules: f.svc.Mappings, getRule: f.svc.Mapping, createR: f.svc.CreateMapping, updateR: f.svc.UpdateMapping,
		deleteR: f.svc.DeleteMapping, read: ruleBody.mapping, wire: mappingOf,
		head: func(m *hashmap.Mapping) (*string, string) { return &m.ID, m.GroupID },
		wrap: func(ws []HashmapMapping) HashmapMappingList { return HashmapMappingList{Mappings: ws} }}
	f.thresholds = &hashmapRules[hashmap.Threshold, HashmapThreshold, HashmapThresholdList]{svc: f.svc, kind: "threshold",
		listRules: f.svc.Thresholds, getRule: f.svc.Threshold, createR: f.svc.CreateThreshold, updateR: f.svc.UpdateThreshold,
		deleteR: f.svc.DeleteThreshold, read: ruleBody.threshold, wire: thresholdOf,
		head: func(t *hashmap.Threshold) (*string, string) { return &t.ID, t.GroupID },
		wrap: func(ws []HashmapThreshold) HashmapThresholdList { return HashmapThresholdList{Thresholds: ws} }}
}

func (h *hashmapRules[R, W, L]) list(ctx context.Context, in *ruleQuery) (*out[L], error) {
	return h.listOf(ctx, in.filter())
}

func (h *hashmapRules[R, W, L]) listOf(ctx context.Context, flt processor.RuleFilter) (*out[L], error) {
	vis, err := ratingVisibility(ctx)
	if err != nil {
		return nil, err
	}
	rs, err := h.listRules(ctx, vis, flt)
	if err != nil {
		return nil, err
	}
	ws := make([]W, 0, len(rs))
	for _, r := range rs {
		ws = append(ws, h.wire(r))
	}
	return reply(h.wrap(ws)), nil
}

func (h *hashmapRules[R, W, L]) get(ctx context.Context, in *idPath) (*out[W], error) {
	r, err := h.visibleRule(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return reply(h.wire(r)), nil
}

// visibleRule returns a rule the caller may read.
func (h *hashmapRules[R, W, L]) visibleRule(ctx context.Context, id string) (R, error) {
	vis, err := ratingVisibility(ctx)
	if err != nil {
		var zero R
		return zero, err
	}
	return h.getRule(ctx, vis, id)
}

func (h *hashmapRules[R, W, L]) groupOf(ctx context.Context, id string) (*out[HashmapGroup], error) {
	r, err := h.visibleRule(ctx, id)
	if errs.CodeOf(err) == errs.NotFound {
		return nil, noGroup(h.kind, id)
	}
	if err != nil {
		return nil, err
	}
	_, groupID := h.head(&r)
	if groupID == "" {
		return nil, noGroup(h.kind, id)
	}
	g, err := h.svc.HashmapGroup(ctx, groupID)
	if err != nil {
		return nil, err
	}
	return reply(groupOf(g)), nil
}

func (h *hashmapRules[R, W, L]) create(ctx context.Context, in *rawBody) (*createdAt[W], error) {
	if err := requireSystem(ctx, "rating:module_config"); err != nil {
		return nil, err
	}
	b, err := parseRuleBody(in.RawBody)
	if err != nil {
		return nil, err
	}
	var r R
	if err := h.read(b, &r, true); err != nil {
		return nil, err
	}
	r, err = h.createR(ctx, r)
	if err != nil {
		return nil, fail(err)
	}
	id, _ := h.head(&r)
	auth.Note(ctx, auth.Object{Type: "hashmap_" + h.kind, ID: *id})
	return newAt(in.at, *id, h.wire(r)), nil
}

func (h *hashmapRules[R, W, L]) update(ctx context.Context, in *idBody) (*out[W], error) {
	if err := requireSystem(ctx, "rating:module_config"); err != nil {
		return nil, err
	}
	r, err := h.getRule(ctx, processor.AllRules, in.ID)
	if err != nil {
		return nil, err
	}
	b, err := parseRuleBody(in.RawBody)
	if err != nil {
		return nil, err
	}
	if err := h.read(b, &r, false); err != nil {
		return nil, err
	}
	id, _ := h.head(&r)
	*id = in.ID
	r, err = h.updateR(ctx, r)
	if err != nil {
		return nil, fail(err)
	}
	auth.Note(ctx, auth.Object{Type: "hashmap_" + h.kind, ID: in.ID})
	return reply(h.wire(r)), nil
}

func (h *hashmapRules[R, W, L]) delete(ctx context.Context, in *idPath) (*noContent, error) {
	return deleteHashmapObject(ctx, "hashmap_"+h.kind, in.ID, h.deleteR)
}

func (h *hashmapRules[R, W, L]) deleteBody(ctx context.Context, in *rawBody) (*noContent, error) {
	return deleteByBody(ctx, in.RawBody, h.kind+"_id", func(ctx context.Context, id string, _ bool) error {
		return h.deleteR(ctx, id)
	})
}
