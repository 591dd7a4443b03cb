package keystone

import (
	"context"
	"net/http"
	"time"

	"github.com/skyfold/skyfold/internal/api"
	"github.com/skyfold/skyfold/internal/api/auth"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/identity"
	"github.com/skyfold/skyfold/internal/listing"
)

// PolicyJSON is a Skyfold policy: roles allowed service/resource/action rules
// up to a scope. (Keystone's own /v3/policies holds opaque blobs; Skyfold's
// are structured, as Cloudpods' are.)
type PolicyJSON struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Scope       string   `json:"scope" enum:"system,domain,project"`
	Roles       []string `json:"roles"`
	Rules       []string `json:"rules" doc:"service/resource/action, * for any part, ! to deny; the first match decides"`
	Enabled     bool     `json:"enabled"`
	Builtin     bool     `json:"is_system"`
	CreatedAt   string   `json:"created_at"`
	UpdatedAt   string   `json:"updated_at"`
	Links       Links    `json:"links"`
}

func policyJSON(ctx context.Context, p *identity.Policy) PolicyJSON {
	return PolicyJSON{ID: p.ID, Name: p.Name, Description: p.Description, Scope: p.Scope, Roles: p.Roles, Rules: p.Rules,
		Enabled: p.Enabled, Builtin: p.Builtin, CreatedAt: ksTime(p.CreatedAt), UpdatedAt: ksTime(p.UpdatedAt),
		Links: selfLink(ctx, "policies/"+p.ID)}
}

// PolicyFields are a policy's writable fields.
type PolicyFields struct {
	_           struct{}  `additionalProperties:"true"`
	Name        *string   `json:"name,omitempty"`
	Description *string   `json:"description,omitempty"`
	Scope       *string   `json:"scope,omitempty"`
	Roles       *[]string `json:"roles,omitempty"`
	Rules       *[]string `json:"rules,omitempty"`
	Enabled     *bool     `json:"enabled,omitempty"`
}

type policyReq struct {
	_      struct{}     `additionalProperties:"true"`
	Policy PolicyFields `json:"policy"`
}

type policyCreateInput struct {
	Body policyReq
}

type policyIDInput struct {
	PolicyID string `path:"policy_id"`
}

type policyUpdateInput struct {
	PolicyID string `path:"policy_id"`
	Body     policyReq
}

type policyOutput struct {
	Body struct {
		Policy PolicyJSON `json:"policy"`
	}
}

type policiesOutput struct {
	Body struct {
		Policies []PolicyJSON `json:"policies"`
		Links    ListLinks    `json:"links"`
	}
}

func onePolicy(ctx context.Context, p *identity.Policy) *policyOutput {
	out := &policyOutput{}
	out.Body.Policy = policyJSON(ctx, p)
	return out
}

func (f *face) registerPolicies(s *api.Server) {
	const tag = "policies"
	api.Register(s, auth.Policy(op("list-policies", http.MethodGet, "/v3/policies", "List policies", tag), "identity/policies/list"), f.listPolicies)
	api.Register(s, auth.Policy(op("get-policy", http.MethodGet, "/v3/policies/{policy_id}", "Show a policy", tag), "identity/policies/get"), f.getPolicy)
	api.Register(s, auth.Policy(created(op("create-policy", http.MethodPost, "/v3/policies", "Create a policy", tag)), "identity/policies/create"), f.createPolicy)
	api.Register(s, auth.Policy(op("update-policy", http.MethodPatch, "/v3/policies/{policy_id}", "Update a policy", tag), "identity/policies/update"), f.updatePolicy)
	api.Register(s, auth.Policy(empty(op("delete-policy", http.MethodDelete, "/v3/policies/{policy_id}", "Delete a policy", tag)), "identity/policies/delete"), f.deletePolicy)
}

func (f *face) listPolicies(ctx context.Context, _ *struct{}) (*policiesOutput, error) {
	ps, err := f.svc.ListPolicies(ctx)
	if err != nil {
		return nil, err
	}
	out := &policiesOutput{}
	out.Body.Policies = views(ctx, ps, policyJSON)
	out.Body.Links = listLinks(ctx, "policies")
	return out, nil

}

func (f *face) getPolicy(ctx context.Context, in *policyIDInput) (*policyOutput, error) {
	p, err := f.svc.GetPolicy(ctx, in.PolicyID)
	if err != nil {
		return nil, err
	}
	return onePolicy(ctx, p), nil

}

func (f *face) createPolicy(ctx context.Context, in *policyCreateInput) (*policyOutput, error) {
	if err := needSystem(caller(ctx)); err != nil {
		return nil, err
	}
	b := in.Body.Policy
	p := identity.Policy{Enabled: true}
	if b.Name != nil {
		p.Name = *b.Name
	}
	if b.Description != nil {
		p.Description = *b.Description
	}
	if b.Scope != nil {
		p.Scope = *b.Scope
	}
	if b.Roles != nil {
		p.Roles = *b.Roles
	}
	if b.Rules != nil {
		p.Rules = *b.Rules
	}
	if b.Enabled != nil {
		p.Enabled = *b.Enabled
	}
	got, err := f.svc.CreatePolicy(ctx, p)
	if err != nil {
		return nil, err
	}
	auth.Note(ctx, auth.Object{Type: "policies", ID: got.ID, Name: got.Name})
	return onePolicy(ctx, got), nil

}

func (f *face) updatePolicy(ctx context.Context, in *policyUpdateInput) (*policyOutput, error) {
	if err := needSystem(caller(ctx)); err != nil {
		return nil, err
	}
	b := in.Body.Policy
	got, err := f.svc.UpdatePolicy(ctx, in.PolicyID, identity.PolicyPatch{Name: b.Name, Description: b.Description,
		Scope: b.Scope, Roles: b.Roles, Rules: b.Rules, Enabled: b.Enabled})
	if err != nil {
		return nil, err
	}
	auth.Note(ctx, auth.Object{Type: "policies", ID: got.ID, Name: got.Name})
	return onePolicy(ctx, got), nil

}

func (f *face) deletePolicy(ctx context.Context, in *policyIDInput) (*noContent, error) {
	if err := needSystem(caller(ctx)); err != nil {
		return nil, err
	}
	auth.Note(ctx, auth.Object{Type: "policies", ID: in.PolicyID})
	return nil, f.svc.DeletePolicy(ctx, in.PolicyID)

}

// ---- audit log ----

type auditListInput struct {
	Limit      string   `query:"limit" doc:"page size (default 100, max 1000)"`
	Offset     string   `query:"offset" doc:"rows to skip"`
	Filter     []string `query:"filter,explode" doc:"conditions such as action.in(create,delete)"`
	OrderBy    []string `query:"order_by,explode" doc:"sort fields; prefix - for descending (default -id)"`
	Scope      string   `query:"scope" enum:"system,domain,project," doc:"visibility scope"`
	UserID     string   `query:"user_id"`
	DomainID   string   `query:"domain_id"`
	ProjectID  string   `query:"project_id"`
	ObjectType string   `query:"object_type"`
	ObjectID   string   `query:"object_id"`
	Action     string   `query:"action"`
	Result     string   `query:"result" enum:"success,failure,"`
	Service    string   `query:"service"`
	RequestID  string   `query:"request_id"`
	Since      string   `query:"since" doc:"RFC 3339; events at or after"`
	Until      string   `query:"until" doc:"RFC 3339; events before"`
}

type auditOutput struct {
	Body struct {
		Events []identity.AuditEvent `json:"audit_events"`
		Total  int                   `json:"total"`
		Limit  int                   `json:"limit"`
		Offset int                   `json:"offset"`
		Links  ListLinks             `json:"links"`
	}
}

func (f *face) registerAudit(s *api.Server) {
	api.Register(s, auth.Policy(described(op("list-audit-events", http.MethodGet, "/v3/audit_events", "List audit events", "audit"), "Every mutating call: who, owner domain and project, object, action, result, request id, client IP, time. Admins see their whole grant; a project's members see their project's events. Paging as Cloudpods lists (limit, offset, filter, order_by)."), "identity/audit/list"), f.listAuditEvents)
}

func (f *face) listAuditEvents(ctx context.Context, in *auditListInput) (*auditOutput, error) {
	p, err := listing.OffsetLimit(in.Offset, in.Limit, 100, 1000, false)
	if err != nil {
		return nil, err
	}
	for _, fs := range in.Filter {
		pf, err := listing.ParseFilter(fs)
		if err != nil {
			return nil, err
		}
		p.Filters = append(p.Filters, pf)
	}
	if p.Order, err = listing.ParseOrder(in.OrderBy, ""); err != nil {
		return nil, err
	}
	filter := identity.AuditFilter{UserID: in.UserID, DomainID: in.DomainID, ProjectID: in.ProjectID, ObjectType: in.ObjectType,
		ObjectID: in.ObjectID, Action: in.Action, Result: in.Result, Service: in.Service, RequestID: in.RequestID}
	for field, v := range map[string]*time.Time{"since": &filter.Since, "until": &filter.Until} {
		s := in.Since
		if field == "until" {
			s = in.Until
		}
		if s == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return nil, errs.Field(field, "not an RFC 3339 time")
		}
		*v = t
	}
	page, err := f.svc.ListAudit(ctx, filter, p, caller(ctx).Grant)
	if err != nil {
		return nil, err
	}
	out := &auditOutput{}
	out.Body.Events, out.Body.Total, out.Body.Limit, out.Body.Offset = page.Items, page.Total, page.Limit, page.Offset
	out.Body.Links = listLinks(ctx, "audit_events")
	return out, nil

}
