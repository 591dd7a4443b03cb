package identity

import (
	"context"
	"fmt"

	"github.com/skyfold/skyfold/internal/errs"
)

// PolicyPatch holds the fields of a policy update.
type PolicyPatch struct {
	Name        *string
	Description *string
	Scope       *string
	Roles       *[]string
	Rules       *[]string
	Enabled     *bool
}

func checkPolicy(p Policy) error {
	if err := checkName("policy.name", p.Name); err != nil {
		return err
	}
	if _, ok := ParseBreadth(p.Scope); !ok {
		return errs.Field("policy.scope", "must be system, domain or project")
	}
	if len(p.Roles) == 0 {
		return errs.Field("policy.roles", "at least one role is required")
	}
	if len(p.Rules) == 0 || len(p.Rules) > 1000 {
		return errs.Field("policy.rules", "between 1 and 1000 rules are required")
	}
	for _, r := range p.Rules {
		if _, err := compileRule(r); err != nil {
			return errs.Field("policy.rules", err.Error())
		}
	}
	return nil
}

// CreatePolicy stores a policy and applies it at once in this process (and
// within the refresh interval in others).
func (s *Service) CreatePolicy(ctx context.Context, p Policy) (*Policy, error) {
	if err := checkPolicy(p); err != nil {
		return nil, err
	}
	now := s.now()
	p.ID, p.CreatedAt, p.UpdatedAt, p.Builtin = NewID(), now, now, false
	if _, err := s.db.NewInsert().Model(&p).Exec(ctx); err != nil {
		return nil, conflict(err, "policy", p.Name)
	}
	return &p, s.loadPolicies(ctx)
}

// GetPolicy returns a policy by id.
func (s *Service) GetPolicy(ctx context.Context, id string) (*Policy, error) {
	p := new(Policy)
	if err := s.db.NewSelect().Model(p).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "policy", id)
	}
	return p, nil
}

// ListPolicies lists every policy by name.
func (s *Service) ListPolicies(ctx context.Context) ([]Policy, error) {
	out := []Policy{}
	if err := s.db.NewSelect().Model(&out).Order("name").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list policies: %w", err)
	}
	return out, nil
}

// UpdatePolicy changes a policy.
func (s *Service) UpdatePolicy(ctx context.Context, id string, patch PolicyPatch) (*Policy, error) {
	p, err := s.GetPolicy(ctx, id)
	if err != nil {
		return nil, err
	}
	if patch.Name != nil {
		p.Name = *patch.Name
	}
	if patch.Description != nil {
		p.Description = *patch.Description
	}
	if patch.Scope != nil {
		p.Scope = *patch.Scope
	}
	if patch.Roles != nil {
		p.Roles = *patch.Roles
	}
	if patch.Rules != nil {
		p.Rules = *patch.Rules
	}
	if patch.Enabled != nil {
		p.Enabled = *patch.Enabled
	}
	if err := checkPolicy(*p); err != nil {
		return nil, err
	}
	p.UpdatedAt = s.now()
	if _, err := s.db.NewUpdate().Model(p).WherePK().
		Column("name", "description", "scope", "roles", "rules", "enabled", "updated_at").Exec(ctx); err != nil {
		return nil, conflict(err, "policy", p.Name)
	}
	return p, s.loadPolicies(ctx)
}

// DeletePolicy deletes a policy; the built-in ones can only be disabled.
func (s *Service) DeletePolicy(ctx context.Context, id string) error {
	p, err := s.GetPolicy(ctx, id)
	if err != nil {
		return err
	}
	if p.Builtin {
		return errs.E(errs.Forbidden, "The built-in policy %s cannot be deleted; disable it instead.", p.Name)
	}
	if _, err := s.db.NewDelete().Model((*Policy)(nil)).Where("id = ?", id).Exec(ctx); err != nil {
		return fmt.Errorf("delete policy: %w", err)
	}
	return s.loadPolicies(ctx)
}
