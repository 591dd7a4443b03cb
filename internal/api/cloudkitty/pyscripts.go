package cloudkitty

import (
	"context"
	"net/http"
	"time"

	"github.com/skyfold/skyfold/internal/api/auth"
	"github.com/skyfold/skyfold/internal/rating/processor"
	"github.com/skyfold/skyfold/internal/rating/script"
)

const pyscriptsPath = "/v1/rating/module_config/pyscripts"

// Script is a pyscripts script as CloudKitty shows it, with Skyfold's
// run state (compile status, runs, last error with its line).
type Script struct {
	ScriptID string         `json:"script_id"`
	Name     string         `json:"name"`
	Data     *string        `json:"data,omitempty"`
	Checksum string         `json:"checksum"`
	Start    *string        `json:"start"`
	End      *string        `json:"end"`
	State    *script.Status `json:"state,omitempty" doc:"run state of the loaded script"`
}

// ScriptList is a list of pyscripts scripts.
type ScriptList struct {
	Scripts []Script `json:"scripts"`
}

type scriptsQuery struct {
	NoData bool `query:"no_data" doc:"leave the script sources out"`
}

func (f *face) scriptOf(s script.Script, withData bool) Script {
	out := Script{ScriptID: s.ID, Name: s.Name, Checksum: s.Checksum, Start: ckTimePtr(s.Start), End: ckTimePtr(s.End)}
	if withData {
		d := s.Data
		out.Data = &d
	}
	for _, st := range f.svc.ScriptStatus() {
		if st.ID == s.ID {
			st := st
			out.State = &st
		}
	}
	return out
}

// scriptBody is a script create or update body.
type scriptBody struct {
	Name  *string `json:"name"`
	Data  *string `json:"data"`
	Start *string `json:"start"`
	End   *string `json:"end"`
}

func (b scriptBody) apply(s *script.Script) error {
	if b.Name != nil {
		s.Name = *b.Name
	}
	if b.Data != nil {
		s.Data = *b.Data
	}
	for _, x := range []struct {
		key string
		v   *string
		dst *time.Time
	}{{"start", b.Start, &s.Start}, {"end", b.End, &s.End}} {
		if x.v == nil {
			continue
		}
		t, err := optTime(x.key, *x.v)
		if err != nil {
			return err
		}
		*x.dst = t
	}
	return nil
}

// pyscriptsRoutes are the script module's configuration operations.
func (f *face) pyscriptsRoutes() []route {
	const ps = pyscriptsPath + "/scripts"
	return []route{
		{http.MethodGet, ps, "rating/pyscripts/list", h(f.scripts), "pyscripts-scripts-list", "List the rating scripts"},
		{http.MethodGet, ps + "/{id}", "rating/pyscripts/get", h(f.script), "pyscripts-script-get", "Get a rating script"},
		{http.MethodPost, ps, "rating/pyscripts/create", created(h(f.createScript)), "pyscripts-script-create", "Upload a rating script (Starlark, CloudKitty's data contract); a syntax error is refused with its line"},
		{http.MethodPut, ps + "/{id}", "rating/pyscripts/update", created(h(f.updateScript)), "pyscripts-script-update", "Replace a rating script"},
		{http.MethodDelete, ps + "/{id}", "rating/pyscripts/delete", h(f.deleteScript), "pyscripts-script-delete", "Delete a rating script"},
	}
}

func (f *face) scripts(ctx context.Context, in *scriptsQuery) (*out[ScriptList], error) {
	vis, err := ratingVisibility(ctx)
	if err != nil {
		return nil, err
	}
	// Scripts rate every tenant and belong to none: the operators' own
	// configuration, as CloudKitty's policy keeps module_config.
	if err := requireSystem(ctx, "rating:module_config"); err != nil {
		return nil, err
	}
	list, err := f.svc.Scripts(ctx, vis, in.NoData)
	if err != nil {
		return nil, err
	}
	l := ScriptList{Scripts: []Script{}}
	for _, x := range list {
		l.Scripts = append(l.Scripts, f.scriptOf(x, vis.All && !in.NoData))
	}
	return reply(l), nil
}

func (f *face) script(ctx context.Context, in *idPath) (*out[Script], error) {
	vis, err := ratingVisibility(ctx)
	if err != nil {
		return nil, err
	}
	if err := requireSystem(ctx, "rating:module_config"); err != nil {
		return nil, err
	}
	x, err := f.svc.Script(ctx, vis, in.ID)
	if err != nil {
		return nil, missing(err, "script", in.ID)
	}
	return reply(f.scriptOf(x, vis.All)), nil
}

func (f *face) createScript(ctx context.Context, in *rawBody) (*createdAt[Script], error) {
	if err := requireSystem(ctx, "rating:module_config"); err != nil {
		return nil, err
	}
	var b scriptBody
	if err := readParams(in.RawBody, &b); err != nil {
		return nil, err
	}
	var sc script.Script
	if err := b.apply(&sc); err != nil {
		return nil, err
	}
	sc, err := f.svc.CreateScript(ctx, sc)
	if err != nil {
		return nil, fail(err)
	}
	auth.Note(ctx, auth.Object{Type: "pyscript", ID: sc.ID, Name: sc.Name})
	return newAt(in.at, sc.ID, f.scriptOf(sc, true)), nil
}

// updateScript answers 201 with the script's URL, as CloudKitty does (its
// Location repeats the id after the script's own URL; Skyfold's names the
// script).
func (f *face) updateScript(ctx context.Context, in *idBody) (*createdAt[Script], error) {
	if err := requireSystem(ctx, "rating:module_config"); err != nil {
		return nil, err
	}
	sc, err := f.svc.Script(ctx, processor.AllRules, in.ID)
	if err != nil {
		return nil, missing(err, "script", in.ID)
	}
	var b scriptBody
	if err := readParams(in.RawBody, &b); err != nil {
		return nil, err
	}
	if err := b.apply(&sc); err != nil {
		return nil, err
	}
	sc, err = f.svc.UpdateScript(ctx, sc)
	if err != nil {
		return nil, missing(fail(err), "script", in.ID)
	}
	auth.Note(ctx, auth.Object{Type: "pyscript", ID: sc.ID, Name: sc.Name})
	return &createdAt[Script]{Location: string(in.at), Body: f.scriptOf(sc, true)}, nil
}

func (f *face) deleteScript(ctx context.Context, in *idPath) (*noContent, error) {
	if err := requireSystem(ctx, "rating:module_config"); err != nil {
		return nil, err
	}
	auth.Note(ctx, auth.Object{Type: "pyscript", ID: in.ID})
	return nil, missing(f.svc.DeleteScript(ctx, in.ID), "script", in.ID)
}
