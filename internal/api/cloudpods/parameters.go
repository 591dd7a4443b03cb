package cloudpods

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/skyfold/skyfold/internal/api"
	"github.com/skyfold/skyfold/internal/api/auth"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/identity"
)

// RegisterParameters adds the console's saved settings under /api/v1, as
// Cloudpods' API gateway serves them: each user reads and writes only its
// own, so the operations check ownership rather than a policy.
func (f *Face) RegisterParameters(s *api.Server) {
	const p, tags = "/api/v1/parameters", "parameters"
	api.Register(s, auth.Authenticated(op("list-parameters", http.MethodGet, p, "List the caller's saved console settings", tags)), f.listParameters)
	api.Register(s, auth.Authenticated(op("get-parameter", http.MethodGet, p+"/{name}", "Get one of the caller's saved console settings, by name or id", tags)), f.getParameter)
	api.Register(s, auth.Authenticated(op("create-parameter", http.MethodPost, p, "Save a console setting (replaces one of the same name)", tags)), f.createParameter)
	api.Register(s, auth.Authenticated(op("update-parameter", http.MethodPut, p+"/{name}", "Save a console setting under its name or id", tags)), f.updateParameter)
	api.Register(s, auth.Authenticated(op("delete-parameter", http.MethodDelete, p+"/{name}", "Forget a saved console setting", tags)), f.deleteParameter)
}

// parameterValue is whatever JSON the console saves.
type parameterValue json.RawMessage

func (v parameterValue) MarshalJSON() ([]byte, error) { return json.RawMessage(v).MarshalJSON() }

func (v *parameterValue) UnmarshalJSON(b []byte) error {
	*v = append((*v)[:0], b...)
	return nil
}

func (parameterValue) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{Description: "any JSON value", AnyOf: []*huma.Schema{
		{Type: huma.TypeObject, AdditionalProperties: true}, {Type: huma.TypeArray}, {Type: huma.TypeString},
		{Type: huma.TypeNumber}, {Type: huma.TypeBoolean}}}
}

// cloudpodsParameter is a saved setting as Cloudpods' yunionconf shows it:
// namespace "user" and the user's id.
type cloudpodsParameter struct {
	ID            string         `json:"id"`
	Name          string         `json:"name"`
	Namespace     string         `json:"namespace"`
	NamespaceID   string         `json:"namespace_id"`
	CreatedBy     string         `json:"created_by"`
	UpdatedBy     string         `json:"updated_by"`
	Value         parameterValue `json:"value"`
	CreatedAt     string         `json:"created_at"`
	UpdatedAt     string         `json:"updated_at"`
	UpdateVersion int            `json:"update_version"`
}

// parameterFields is the body of a save, flat or wrapped in "parameter"
// as the console's v1 calls send it.
type parameterFields struct {
	Name  string         `json:"name,omitempty"`
	Value parameterValue `json:"value,omitempty"`
}

type parameterBody struct {
	_ struct{} `json:"-" additionalProperties:"true"`
	parameterFields
	Parameter *parameterFields `json:"parameter,omitempty"`
}

func (b *parameterBody) fields() parameterFields {
	if b.Parameter != nil {
		return *b.Parameter
	}
	return b.parameterFields
}

type parameterNameInput struct {
	Name string `path:"name" doc:"parameter name (LIST_CloudaccountList, …) or id"`
}

type parameterCreateInput struct {
	Body parameterBody
}

type parameterUpdateInput struct {
	Name string `path:"name" doc:"parameter name or id"`
	Body parameterBody
}

type parameterOutput struct {
	Body struct {
		Parameter cloudpodsParameter `json:"parameter"`
	}
}

type parameterListOutput struct {
	Body struct {
		Parameters []cloudpodsParameter `json:"parameters"`
		Total      int                  `json:"total"`
	}
}

func callerID(ctx context.Context) (string, error) {
	c := auth.From(ctx)
	if c == nil {
		return "", errs.E(errs.Unauthorized, "authentication required")
	}
	return c.UserID(), nil
}

func (f *Face) listParameters(ctx context.Context, _ *struct{}) (*parameterListOutput, error) {
	uid, err := callerID(ctx)
	if err != nil {
		return nil, err
	}
	ps, err := f.IDs.ListParameters(ctx, uid)
	if err != nil {
		return nil, err
	}
	out := &parameterListOutput{}
	out.Body.Parameters = make([]cloudpodsParameter, 0, len(ps))
	for i := range ps {
		out.Body.Parameters = append(out.Body.Parameters, parameterView(&ps[i]))
	}
	out.Body.Total = len(ps)
	return out, nil
}

// ownParameter finds the caller's parameter by name, else by id.
func (f *Face) ownParameter(ctx context.Context, uid, nameOrID string) (*identity.Parameter, error) {
	p, err := f.IDs.GetParameter(ctx, uid, nameOrID)
	if errs.Is(err, errs.NotFound) {
		if ps, lerr := f.IDs.ListParameters(ctx, uid); lerr == nil {
			for i := range ps {
				if ps[i].ID == nameOrID {
					return &ps[i], nil
				}
			}
		}
	}
	return p, err
}

func (f *Face) getParameter(ctx context.Context, in *parameterNameInput) (*parameterOutput, error) {
	uid, err := callerID(ctx)
	if err != nil {
		return nil, err
	}
	p, err := f.ownParameter(ctx, uid, in.Name)
	if err != nil {
		return nil, err
	}
	return parameterAnswer(p), nil
}

func (f *Face) createParameter(ctx context.Context, in *parameterCreateInput) (*parameterOutput, error) {
	uid, err := callerID(ctx)
	if err != nil {
		return nil, err
	}
	b := in.Body.fields()
	if b.Name == "" {
		return nil, errs.Field("name", "required")
	}
	p, err := f.IDs.SetParameter(ctx, uid, b.Name, json.RawMessage(b.Value))
	if err != nil {
		return nil, err
	}
	noteParameter(ctx, p)
	return parameterAnswer(p), nil
}

func (f *Face) updateParameter(ctx context.Context, in *parameterUpdateInput) (*parameterOutput, error) {
	uid, err := callerID(ctx)
	if err != nil {
		return nil, err
	}
	name := in.Name
	if p, err := f.ownParameter(ctx, uid, in.Name); err == nil {
		name = p.Name
	}
	b := in.Body.fields()
	if b.Name != "" && b.Name != name {
		return nil, errs.Field("name", "a parameter keeps its name; save the value under "+b.Name+" instead")
	}
	p, err := f.IDs.SetParameter(ctx, uid, name, json.RawMessage(b.Value))
	if err != nil {
		return nil, err
	}
	noteParameter(ctx, p)
	return parameterAnswer(p), nil
}

func (f *Face) deleteParameter(ctx context.Context, in *parameterNameInput) (*parameterOutput, error) {
	uid, err := callerID(ctx)
	if err != nil {
		return nil, err
	}
	p, err := f.ownParameter(ctx, uid, in.Name)
	if err != nil {
		return nil, err
	}
	if err := f.IDs.DeleteParameter(ctx, uid, p.Name); err != nil {
		return nil, err
	}
	noteParameter(ctx, p)
	return parameterAnswer(p), nil
}

// noteParameter names the saved setting a call changed for the audit log,
// owned where the caller's token is scoped, as a call that names no object.
func noteParameter(ctx context.Context, p *identity.Parameter) {
	o := auth.Object{Type: "parameter", ID: p.ID, Name: p.Name}
	if c := auth.From(ctx); c != nil {
		o.DomainID, o.ProjectID = c.Token.DomainID, c.Token.ProjectID
	}
	auth.Note(ctx, o)
}

func parameterAnswer(p *identity.Parameter) *parameterOutput {
	out := &parameterOutput{}
	out.Body.Parameter = parameterView(p)
	return out
}

func parameterView(p *identity.Parameter) cloudpodsParameter {
	return cloudpodsParameter{ID: p.ID, Name: p.Name, Namespace: "user", NamespaceID: p.UserID, CreatedBy: p.UserID, UpdatedBy: p.UserID,
		Value: parameterValue(p.Value), CreatedAt: ts(p.CreatedAt), UpdatedAt: ts(p.UpdatedAt), UpdateVersion: p.UpdateVersion}
}
