package cloudkitty

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/skyfold/skyfold/internal/api"
	"github.com/skyfold/skyfold/internal/api/auth"
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

type (
	scriptsOutput struct {
		Body struct {
			Scripts []Script `json:"scripts"`
		}
	}
	scriptOutput struct{ Body Script }
)

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

func (f *face) registerPyscripts(s *api.Server) {
	st := f.svc
	reg := func(id, method, path, summary, action string) huma.Operation {
		o := op("pyscripts-"+id, method, pyscriptsPath+path, summary, "pyscripts")
		if method == http.MethodPost {
			o.DefaultStatus = http.StatusCreated
		}
		return auth.Policy(o, "rating/pyscripts/"+action)
	}
	api.Register(s, reg("scripts-list", http.MethodGet, "/scripts", "List the rating scripts", "list"),
		func(ctx context.Context, in *struct {
			NoData bool `query:"no_data" doc:"leave the script sources out"`
		}) (*scriptsOutput, error) {
			list, err := st.Scripts(ctx, in.NoData)
			if err != nil {
				return nil, err
			}
			out := &scriptsOutput{}
			out.Body.Scripts = []Script{}
			for _, x := range list {
				out.Body.Scripts = append(out.Body.Scripts, f.scriptOf(x, !in.NoData))
			}
			return out, nil
		})
	api.Register(s, reg("script-get", http.MethodGet, "/scripts/{id}", "Get a rating script", "get"),
		func(ctx context.Context, in *idPath) (*scriptOutput, error) {
			x, err := st.Script(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			return &scriptOutput{Body: f.scriptOf(x, true)}, nil
		})
	api.Register(s, reg("script-create", http.MethodPost, "/scripts",
		"Upload a rating script (Starlark, CloudKitty's data contract); a syntax error is refused with its line", "create"),
		func(ctx context.Context, in *struct {
			RawBody []byte
		}) (*scriptOutput, error) {
			if err := requireSystem(ctx); err != nil {
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
			sc, err := st.CreateScript(ctx, sc)
			if err != nil {
				return nil, err
			}
			auth.Note(ctx, auth.Object{Type: "pyscript", ID: sc.ID, Name: sc.Name})
			return &scriptOutput{Body: f.scriptOf(sc, true)}, nil
		})
	api.Register(s, reg("script-update", http.MethodPut, "/scripts/{id}", "Replace a rating script", "update"),
		func(ctx context.Context, in *struct {
			ID      string `path:"id"`
			RawBody []byte
		}) (*scriptOutput, error) {
			if err := requireSystem(ctx); err != nil {
				return nil, err
			}
			sc, err := st.Script(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			var b scriptBody
			if err := readParams(in.RawBody, &b); err != nil {
				return nil, err
			}
			if err := b.apply(&sc); err != nil {
				return nil, err
			}
			sc, err = st.UpdateScript(ctx, sc)
			if err != nil {
				return nil, err
			}
			auth.Note(ctx, auth.Object{Type: "pyscript", ID: sc.ID, Name: sc.Name})
			return &scriptOutput{Body: f.scriptOf(sc, true)}, nil
		})
	api.Register(s, reg("script-delete", http.MethodDelete, "/scripts/{id}", "Delete a rating script", "delete"),
		func(ctx context.Context, in *idPath) (*noContent, error) {
			if err := requireSystem(ctx); err != nil {
				return nil, err
			}
			auth.Note(ctx, auth.Object{Type: "pyscript", ID: in.ID})
			return nil, st.DeleteScript(ctx, in.ID)
		})
}
