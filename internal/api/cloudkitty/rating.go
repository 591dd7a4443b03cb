package cloudkitty

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/skyfold/skyfold/internal/api/auth"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/money"
	"github.com/skyfold/skyfold/internal/rating"
)

// Module is CloudKitty's CloudkittyModule, with Skyfold's run state.
type Module struct {
	ModuleID    string             `json:"module_id" doc:"module name"`
	Description string             `json:"description" doc:"what the module does"`
	Enabled     bool               `json:"enabled" doc:"whether the module runs"`
	HotConfig   bool               `json:"hot-config" doc:"whether configuration changes apply without restart"`
	Priority    int                `json:"priority" doc:"modules run by descending priority"`
	State       rating.ModuleState `json:"state" doc:"run history; last_error holds a failing script's line and message"`
}

// ModuleList is a list of rating modules.
type ModuleList struct {
	Modules []Module `json:"modules"`
}

// Inputs of the rating operations.
type (
	modulePath struct {
		ModuleID string `path:"module_id"`
	}
	moduleUpdatePath struct {
		ModuleID string `path:"module_id"`
		RawBody  []byte
	}
	moduleUpdateQuery struct {
		ModuleID string `query:"module_id"`
		RawBody  []byte
	}
)

func moduleOf(i rating.ModuleInfo) Module {
	return Module{ModuleID: i.ID, Description: i.Description, Enabled: i.Enabled, HotConfig: i.HotConfig, Priority: i.Priority, State: i.State}
}

// moduleUpdate is the body of PUT /v1/rating/modules: the module as GET
// shows it, with the fields to change.
type moduleUpdate struct {
	ModuleID string          `json:"module_id"`
	Enabled  *bool           `json:"enabled"`
	Priority json.RawMessage `json:"priority"`
}

func (u moduleUpdate) priority() (*int, error) {
	if len(u.Priority) == 0 || string(u.Priority) == "null" {
		return nil, nil
	}
	var n int
	if err := json.Unmarshal(u.Priority, &n); err != nil {
		var s string
		if json.Unmarshal(u.Priority, &s) != nil {
			return nil, invalid("priority", "Invalid input for field/attribute priority: expected an integer")
		}
		if n, err = strconv.Atoi(s); err != nil {
			return nil, invalid("priority", "Invalid input for field/attribute priority: expected an integer")
		}
	}
	return &n, nil
}

// QuoteResource is CloudKitty's CloudkittyResource.
type QuoteResource struct {
	Service string         `json:"service"`
	Desc    map[string]any `json:"desc,omitempty"`
	Volume  num            `json:"volume,omitempty"`
}

// ratingRoutes are the module and quote operations.
func (f *face) ratingRoutes() []route {
	const mods = "/v1/rating/modules"
	return []route{
		{http.MethodGet, mods, "rating/modules/list", h(f.modules), "modules-list", "List the rating modules"},
		{http.MethodGet, mods + "/{module_id}", "rating/modules/get", h(f.module), "module-get", "Get a rating module"},
		{http.MethodPut, mods + "/{module_id}", "rating/modules/update", h(f.updateModule), "module-update", "Enable or disable a module and set its priority"},
		{http.MethodPut, mods, "rating/modules/update", h(f.updateModuleQuery), "module-update-body", "Enable or disable a module and set its priority (module_id in the query or body, as the seed documents)"},
		{http.MethodGet, "/v1/rating/reload_modules", "rating/modules/reload", emptyOK(h(f.reloadModules)), "modules-reload", "Reload the rating configuration"},
		{http.MethodPost, "/v1/rating/quote", "rating/quote/get", h(f.quote), "quote", "Price resource descriptions now, with the enabled modules; the answer is a JSON number"},
	}
}

func (f *face) modules(ctx context.Context, _ *struct{}) (*out[ModuleList], error) {
	l := ModuleList{Modules: []Module{}}
	for _, m := range f.svc.Modules() {
		l.Modules = append(l.Modules, moduleOf(m))
	}
	return reply(l), nil
}

func (f *face) module(ctx context.Context, in *modulePath) (*out[Module], error) {
	m, err := f.svc.Module(in.ModuleID)
	if err != nil {
		return nil, missing(err, "module", in.ModuleID)
	}
	return reply(moduleOf(m)), nil
}

func (f *face) updateModule(ctx context.Context, in *moduleUpdatePath) (*out[Module], error) {
	return f.configureModule(ctx, in.ModuleID, in.RawBody)
}

func (f *face) updateModuleQuery(ctx context.Context, in *moduleUpdateQuery) (*out[Module], error) {
	return f.configureModule(ctx, in.ModuleID, in.RawBody)
}

// configureModule applies a module update; the id in the path or query
// wins over the body's.
func (f *face) configureModule(ctx context.Context, id string, raw []byte) (*out[Module], error) {
	if err := requireSystem(ctx, "rating:update_module"); err != nil {
		return nil, err
	}
	var u moduleUpdate
	if err := readParams(raw, &u); err != nil {
		return nil, err
	}
	if id == "" {
		id = u.ModuleID
	}
	if id == "" {
		return nil, invalid("module_id", "Invalid input for field/attribute module_id. Value: 'None'. Mandatory field missing.")
	}
	prio, err := u.priority()
	if err != nil {
		return nil, err
	}
	m, err := f.svc.ConfigureModule(ctx, id, u.Enabled, prio)
	if err != nil {
		if prio != nil {
			err = outOfRange(err, "priority", strconv.Itoa(*prio))
		}
		return nil, missing(err, "module", id)
	}
	auth.Note(ctx, auth.Object{Type: "rating_module", ID: id})
	return reply(moduleOf(m)), nil
}

// reloadModules reloads the configuration; a rule that fails to load is
// shown on its module's state, so the reload itself still succeeds.
func (f *face) reloadModules(ctx context.Context, _ *struct{}) (*empty, error) {
	if err := f.svc.Reload(ctx); err != nil && errs.CodeOf(err) == errs.Internal {
		f.svc.Config().Logger.Warn("rating modules reloaded with errors", "err", err)
	}
	return &empty{}, nil
}

// quote's input body stays an anonymous struct so that the OpenAPI document
// keeps naming its schema after the operation.
func (f *face) quote(ctx context.Context, in *struct {
	Body struct {
		Resources []QuoteResource `json:"resources" maxItems:"10000"`
	}
}) (*rawOutput, error) {
	res := make([]rating.Resource, 0, len(in.Body.Resources))
	for i, r := range in.Body.Resources {
		if r.Service == "" {
			return nil, invalid(fmt.Sprintf("resources[%d].service", i), "Invalid input for field/attribute service. Value: 'None'. Mandatory field missing.")
		}
		vol := money.One
		if r.Volume.set {
			vol = r.Volume.d
		}
		desc := make(map[string]string, len(r.Desc))
		for k, v := range r.Desc {
			desc[k] = descString(v)
		}
		res = append(res, rating.Resource{Service: r.Service, Volume: vol, Desc: desc})
	}
	total, err := f.svc.Quote(ctx, callerProject(ctx), res)
	if err != nil {
		return nil, volumeFault(err, res)
	}
	return &rawOutput{ContentType: "application/json", Body: rawNumber(total)}, nil
}

// volumeFault words the refusal of a resource's volume as WSME words a
// refused attribute, with the volume sent.
func volumeFault(err error, res []rating.Resource) error {
	var e *errs.Error
	if !errors.As(err, &e) || len(e.Fields) != 1 {
		return err
	}
	for i, r := range res {
		if e.Fields[0].Field == fmt.Sprintf("resources[%d].volume", i) {
			return outOfRange(err, "volume", r.Volume.String())
		}
	}
	return err
}

// descString renders a desc value as CloudKitty compares it: strings as
// they are, other JSON values in their JSON text.
func descString(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// rawOutput is a body written as is.
type rawOutput struct {
	ContentType string `header:"Content-Type"`
	Body        []byte
}
