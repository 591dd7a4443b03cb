package identity

import (
	"fmt"
	"strings"
)

// Breadth is how far a grant reaches: one project, one domain, or the
// system. It orders as project < domain < system.
type Breadth uint8

// The breadths.
const (
	BreadthNone Breadth = iota
	BreadthProject
	BreadthDomain
	BreadthSystem
)

func (b Breadth) String() string {
	switch b {
	case BreadthProject:
		return "project"
	case BreadthDomain:
		return "domain"
	case BreadthSystem:
		return "system"
	}
	return "none"
}

// ParseBreadth reads "system", "domain" or "project".
func ParseBreadth(s string) (Breadth, bool) {
	switch s {
	case "system":
		return BreadthSystem, true
	case "domain":
		return BreadthDomain, true
	case "project":
		return BreadthProject, true
	}
	return BreadthNone, false
}

// Grant says where an allowed action applies: everywhere (system), inside one
// domain, or inside one project.
type Grant struct {
	Breadth   Breadth
	DomainID  string // the domain of a domain or project grant
	ProjectID string // the project of a project grant
}

// Covers reports whether an object owned by (domainID, projectID) is inside
// the grant. An object owned by a domain and no project (a user, a group, a
// project's own record) is covered by a domain or system grant only.
func (g Grant) Covers(domainID, projectID string) bool {
	switch g.Breadth {
	case BreadthSystem:
		return true
	case BreadthDomain:
		return domainID != "" && domainID == g.DomainID
	case BreadthProject:
		return projectID != "" && projectID == g.ProjectID
	}
	return false
}

// CoversDomain reports whether the grant reaches every object of a domain.
func (g Grant) CoversDomain(domainID string) bool {
	return g.Breadth == BreadthSystem || (g.Breadth == BreadthDomain && domainID != "" && domainID == g.DomainID)
}

// Narrow limits the grant to a narrower breadth, as a list request's
// scope=project|domain|system asks. It fails when b is wider than the grant,
// and when the token names no project to narrow to.
func (g Grant) Narrow(b Breadth, t *Token) (Grant, bool) {
	if b > g.Breadth {
		return g, false
	}
	if b == g.Breadth {
		return g, true
	}
	out := Grant{Breadth: b}
	switch b {
	case BreadthDomain:
		out.DomainID = g.DomainID
		if out.DomainID == "" {
			out.DomainID = t.DomainID
		}
		if out.DomainID == "" {
			out.DomainID = t.UserDomainID
		}
	case BreadthProject:
		// Only a project-scoped token names a project to narrow to.
		if t.Scope != ScopeProject || t.ProjectID == "" {
			return g, false
		}
		out.DomainID, out.ProjectID = t.DomainID, t.ProjectID
	}
	return out, out.Breadth != BreadthDomain || out.DomainID != ""
}

// rule is one compiled policy rule.
type rule struct {
	deny  bool
	parts [3]string // "" stands for *
}

func compileRule(s string) (rule, error) {
	var r rule
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "!") {
		r.deny = true
		s = s[1:]
	}
	parts := strings.Split(s, "/")
	if len(parts) != 3 {
		return r, fmt.Errorf("rule %q is not service/resource/action", s)
	}
	for i, p := range parts {
		if p == "" {
			return r, fmt.Errorf("rule %q has an empty part", s)
		}
		if p != "*" {
			r.parts[i] = p
		}
	}
	return r, nil
}

func (r rule) match(action [3]string) bool {
	for i, p := range r.parts {
		if p != "" && p != action[i] {
			return false
		}
	}
	return true
}

// compiledPolicy is a policy ready to evaluate.
type compiledPolicy struct {
	name  string
	scope Breadth
	roles map[string]bool
	rules []rule
}

// allows reports whether the policy's rules allow action (first match wins).
func (p *compiledPolicy) allows(action [3]string) bool {
	for _, r := range p.rules {
		if r.match(action) {
			return !r.deny
		}
	}
	return false
}

func compilePolicy(p Policy) (compiledPolicy, error) {
	scope, ok := ParseBreadth(p.Scope)
	if !ok {
		return compiledPolicy{}, fmt.Errorf("policy %s: scope %q is not system, domain or project", p.Name, p.Scope)
	}
	cp := compiledPolicy{name: p.Name, scope: scope, roles: map[string]bool{}}
	for _, r := range p.Roles {
		cp.roles[r] = true
	}
	for _, s := range p.Rules {
		r, err := compileRule(s)
		if err != nil {
			return compiledPolicy{}, fmt.Errorf("policy %s: %w", p.Name, err)
		}
		cp.rules = append(cp.rules, r)
	}
	return cp, nil
}

// ValidatePolicy checks a policy's scope and rules.
func ValidatePolicy(p Policy) error {
	_, err := compilePolicy(p)
	return err
}

// policySet is an immutable set of enabled policies.
type policySet struct {
	policies []compiledPolicy
}

func newPolicySet(ps []Policy) *policySet {
	set := &policySet{}
	for _, p := range ps {
		if !p.Enabled {
			continue
		}
		cp, err := compilePolicy(p)
		if err != nil {
			continue // validated on write; a bad row must not lock everyone out
		}
		set.policies = append(set.policies, cp)
	}
	return set
}

// SplitAction splits "service/resource/action"; it fails on any other shape.
func SplitAction(action string) ([3]string, error) {
	var out [3]string
	a, rest, ok1 := strings.Cut(action, "/")
	b, c, ok2 := strings.Cut(rest, "/")
	if !ok1 || !ok2 || a == "" || b == "" || c == "" || strings.Contains(c, "/") {
		return out, fmt.Errorf("action %q is not service/resource/action", action)
	}
	out[0], out[1], out[2] = a, b, c
	return out, nil
}

// authorize returns the widest grant any policy gives the token for action.
func (ps *policySet) authorize(t *Token, action [3]string) (Grant, bool) {
	tb := t.Breadth()
	if tb == BreadthNone || len(t.Roles) == 0 {
		return Grant{}, false
	}
	best := Grant{}
	for i := range ps.policies {
		p := &ps.policies[i]
		if !p.hasRole(t.Roles) || !p.allows(action) {
			continue
		}
		b := min(p.scope, tb)
		if b <= best.Breadth {
			continue
		}
		g, ok := t.grantAt(b)
		if ok {
			best = g
		}
	}
	return best, best.Breadth != BreadthNone
}

func (p *compiledPolicy) hasRole(roles []RoleRef) bool {
	for _, r := range roles {
		if p.roles[r.Name] {
			return true
		}
	}
	return false
}

// DefaultPolicies is the policy set bootstrap installs. Breadth comes from
// the token: a role held on the system (or on the admin project) acts on the
// system, one held on a domain acts on that domain, one held on a project
// acts on that project.
//
//   - admin may do everything within its breadth;
//   - member may read everything, manage its own application credentials and
//     password, and create, change and delete everything outside the
//     identity service (cloud resources, tasks, budgets…);
//   - reader may only read (list and get), and manage its own application
//     credentials and password.
//
// Identity writes (projects, users, groups, grants) therefore need admin,
// and the operations that act on the whole system (domains, roles,
// policies) need admin on the system, which the endpoints check by breadth.
func DefaultPolicies() []Policy {
	return []Policy{
		{
			Name: "admin", Scope: "system", Roles: []string{RoleAdmin}, Enabled: true, Builtin: true,
			Description: "admin may do everything within the breadth of its token",
			Rules:       []string{"*/*/*"},
		},
		{
			Name: "member", Scope: "system", Roles: []string{RoleMember}, Enabled: true, Builtin: true,
			Description: "member reads everything and changes everything outside identity",
			Rules: []string{
				"identity/application_credentials/*", "identity/users/change_password",
				"identity/*/list", "identity/*/get", "!identity/*/*", "*/*/*",
			},
		},
		{
			Name: "reader", Scope: "system", Roles: []string{RoleReader}, Enabled: true, Builtin: true,
			Description: "reader only reads",
			Rules: []string{
				"identity/application_credentials/*", "identity/users/change_password",
				"*/*/list", "*/*/get",
			},
		},
	}
}
