package keystone

import (
	"context"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/skyfold/skyfold/internal/api"
	"github.com/skyfold/skyfold/internal/api/auth"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/identity"
)

// grantRef is what a grant path names.
type grantRef struct {
	targetType, targetID, actorType, actorID, roleID string
}

type grantPath interface{ ref() grantRef }

// Path inputs of the grant operations, one per target/actor pair, with a
// role (PUT/HEAD/DELETE) and without (GET list).
type (
	projectUserRole struct {
		ProjectID string `path:"project_id"`
		UserID    string `path:"user_id"`
		RoleID    string `path:"role_id"`
	}
	projectGroupRole struct {
		ProjectID string `path:"project_id"`
		GroupID   string `path:"group_id"`
		RoleID    string `path:"role_id"`
	}
	domainUserRole struct {
		DomainID string `path:"domain_id"`
		UserID   string `path:"user_id"`
		RoleID   string `path:"role_id"`
	}
	domainGroupRole struct {
		DomainID string `path:"domain_id"`
		GroupID  string `path:"group_id"`
		RoleID   string `path:"role_id"`
	}
	systemUserRole struct {
		UserID string `path:"user_id"`
		RoleID string `path:"role_id"`
	}
	systemGroupRole struct {
		GroupID string `path:"group_id"`
		RoleID  string `path:"role_id"`
	}
	projectUser struct {
		ProjectID string `path:"project_id"`
		UserID    string `path:"user_id"`
	}
	projectGroup struct {
		ProjectID string `path:"project_id"`
		GroupID   string `path:"group_id"`
	}
	domainUser struct {
		DomainID string `path:"domain_id"`
		UserID   string `path:"user_id"`
	}
	domainGroup struct {
		DomainID string `path:"domain_id"`
		GroupID  string `path:"group_id"`
	}
	systemUser struct {
		UserID string `path:"user_id"`
	}
	systemGroup struct {
		GroupID string `path:"group_id"`
	}
)

func (p *projectUserRole) ref() grantRef {
	return grantRef{identity.TargetProject, p.ProjectID, identity.ActorUser, p.UserID, p.RoleID}
}
func (p *projectGroupRole) ref() grantRef {
	return grantRef{identity.TargetProject, p.ProjectID, identity.ActorGroup, p.GroupID, p.RoleID}
}
func (p *domainUserRole) ref() grantRef {
	return grantRef{identity.TargetDomain, p.DomainID, identity.ActorUser, p.UserID, p.RoleID}
}
func (p *domainGroupRole) ref() grantRef {
	return grantRef{identity.TargetDomain, p.DomainID, identity.ActorGroup, p.GroupID, p.RoleID}
}
func (p *systemUserRole) ref() grantRef {
	return grantRef{identity.TargetSystem, identity.SystemTarget, identity.ActorUser, p.UserID, p.RoleID}
}
func (p *systemGroupRole) ref() grantRef {
	return grantRef{identity.TargetSystem, identity.SystemTarget, identity.ActorGroup, p.GroupID, p.RoleID}
}
func (p *projectUser) ref() grantRef {
	return grantRef{identity.TargetProject, p.ProjectID, identity.ActorUser, p.UserID, ""}
}
func (p *projectGroup) ref() grantRef {
	return grantRef{identity.TargetProject, p.ProjectID, identity.ActorGroup, p.GroupID, ""}
}
func (p *domainUser) ref() grantRef {
	return grantRef{identity.TargetDomain, p.DomainID, identity.ActorUser, p.UserID, ""}
}
func (p *domainGroup) ref() grantRef {
	return grantRef{identity.TargetDomain, p.DomainID, identity.ActorGroup, p.GroupID, ""}
}
func (p *systemUser) ref() grantRef {
	return grantRef{identity.TargetSystem, identity.SystemTarget, identity.ActorUser, p.UserID, ""}
}
func (p *systemGroup) ref() grantRef {
	return grantRef{identity.TargetSystem, identity.SystemTarget, identity.ActorGroup, p.GroupID, ""}
}

// authorizeGrant checks the caller may change (write) or read grants on the
// target, and resolves the owner domains for the audit log. Changing needs a
// grant over the whole domain of the target and of the actor (the system for
// system grants); reading needs the target within the grant.
func (f *face) authorizeGrant(ctx context.Context, r grantRef, write bool) (ownerDomain, ownerProject string, err error) {
	c := caller(ctx)
	switch r.targetType {
	case identity.TargetProject:
		p, err := f.svc.GetProject(ctx, r.targetID)
		if err != nil {
			return "", "", err
		}
		ownerDomain, ownerProject = p.DomainID, p.ID
		if write && !c.Grant.CoversDomain(p.DomainID) || !write && !c.Covers(p.DomainID, p.ID) {
			return "", "", forbidden()
		}
		if write && p.Admin && c.Grant.Breadth != identity.BreadthSystem {
			// Roles on the admin project act on the system.
			return "", "", errs.E(errs.Forbidden, "Only a system administrator may grant roles on the admin project.")
		}
	case identity.TargetDomain:
		d, err := f.svc.GetDomain(ctx, r.targetID)
		if err != nil {
			return "", "", err
		}
		ownerDomain = d.ID
		if !c.Grant.CoversDomain(d.ID) {
			return "", "", forbidden()
		}
	default:
		if err := needSystem(c); err != nil {
			return "", "", err
		}
	}
	var actorDomain string
	if r.actorType == identity.ActorUser {
		u, err := f.svc.GetUser(ctx, r.actorID)
		if err != nil {
			return "", "", err
		}
		actorDomain = u.DomainID
	} else {
		g, err := f.svc.GetGroup(ctx, r.actorID)
		if err != nil {
			return "", "", err
		}
		actorDomain = g.DomainID
	}
	if write && !c.Grant.CoversDomain(actorDomain) {
		return "", "", forbidden()
	}
	if r.roleID != "" {
		if _, err := f.svc.GetRole(ctx, r.roleID); err != nil {
			return "", "", err
		}
	}
	return ownerDomain, ownerProject, nil
}

func assignment(r grantRef, inherited bool) identity.Assignment {
	return identity.Assignment{ActorType: r.actorType, ActorID: r.actorID, TargetType: r.targetType, TargetID: r.targetID,
		RoleID: r.roleID, Inherited: inherited}
}

// registerGrant adds PUT, HEAD, GET and DELETE on one grant path.
func registerGrant[I any, P interface {
	*I
	grantPath
}](f *face, s *api.Server, id, path, tag string, inherited bool) {
	put := op("grant-"+id, http.MethodPut, path, "Grant a role", tag)
	put.DefaultStatus = http.StatusNoContent
	api.Register(s, auth.Policy(put, "identity/grants/create"), func(ctx context.Context, in *I) (*noContent, error) {
		r := P(in).ref()
		d, p, err := f.authorizeGrant(ctx, r, true)
		if err != nil {
			return nil, err
		}
		auth.Note(ctx, auth.Object{Type: "grants", ID: r.actorType + ":" + r.actorID + "@" + r.targetType + ":" + r.targetID + "#" + r.roleID, DomainID: d, ProjectID: p})
		return nil, f.svc.GrantRole(ctx, assignment(r, inherited))
	})
	check := func(ctx context.Context, in *I) (*noContent, error) {
		r := P(in).ref()
		if _, _, err := f.authorizeGrant(ctx, r, false); err != nil {
			return nil, err
		}
		ok, err := f.svc.HasGrant(ctx, assignment(r, inherited))
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errs.E(errs.NotFound, "Could not find role assignment with role: %s.", r.roleID)
		}
		return nil, nil
	}
	head := op("check-grant-"+id, http.MethodHead, path, "Check a role grant", tag)
	head.DefaultStatus = http.StatusNoContent
	api.Register(s, auth.Policy(head, "identity/grants/get"), check)
	get := op("get-grant-"+id, http.MethodGet, path, "Check a role grant", tag)
	get.DefaultStatus = http.StatusNoContent
	get.Hidden = true
	api.Register(s, auth.Policy(get, "identity/grants/get"), check)
	del := op("revoke-grant-"+id, http.MethodDelete, path, "Revoke a role grant", tag)
	del.DefaultStatus = http.StatusNoContent
	api.Register(s, auth.Policy(del, "identity/grants/delete"), func(ctx context.Context, in *I) (*noContent, error) {
		r := P(in).ref()
		d, p, err := f.authorizeGrant(ctx, r, true)
		if err != nil {
			return nil, err
		}
		auth.Note(ctx, auth.Object{Type: "grants", ID: r.actorType + ":" + r.actorID + "@" + r.targetType + ":" + r.targetID + "#" + r.roleID, DomainID: d, ProjectID: p})
		return nil, f.svc.RevokeRole(ctx, assignment(r, inherited))
	})
}

// registerGrantList adds GET on a grant collection path.
func registerGrantList[I any, P interface {
	*I
	grantPath
}](f *face, s *api.Server, id, path, tag string, inherited bool) {
	api.Register(s, auth.Policy(op("list-grants-"+id, http.MethodGet, path, "List granted roles", tag), "identity/grants/list"),
		func(ctx context.Context, in *I) (*rolesOutput, error) {
			r := P(in).ref()
			if _, _, err := f.authorizeGrant(ctx, r, false); err != nil {
				return nil, err
			}
			rs, err := f.svc.RolesOn(ctx, r.actorType, r.actorID, r.targetType, r.targetID, inherited)
			if err != nil {
				return nil, err
			}
			out := &rolesOutput{}
			out.Body.Roles = views(ctx, rs, roleJSON)
			out.Body.Links = listLinks(ctx, strings.TrimPrefix(path, "/v3/"))
			return out, nil
		})
}

func (f *face) registerGrants(s *api.Server) {
	const tag = "role grants"
	registerGrant[projectUserRole](f, s, "project-user", "/v3/projects/{project_id}/users/{user_id}/roles/{role_id}", tag, false)
	registerGrant[projectGroupRole](f, s, "project-group", "/v3/projects/{project_id}/groups/{group_id}/roles/{role_id}", tag, false)
	registerGrant[domainUserRole](f, s, "domain-user", "/v3/domains/{domain_id}/users/{user_id}/roles/{role_id}", tag, false)
	registerGrant[domainGroupRole](f, s, "domain-group", "/v3/domains/{domain_id}/groups/{group_id}/roles/{role_id}", tag, false)
	registerGrant[systemUserRole](f, s, "system-user", "/v3/system/users/{user_id}/roles/{role_id}", tag, false)
	registerGrant[systemGroupRole](f, s, "system-group", "/v3/system/groups/{group_id}/roles/{role_id}", tag, false)
	registerGrant[domainUserRole](f, s, "inherited-user", "/v3/OS-INHERIT/domains/{domain_id}/users/{user_id}/roles/{role_id}/inherited_to_projects", tag, true)
	registerGrant[domainGroupRole](f, s, "inherited-group", "/v3/OS-INHERIT/domains/{domain_id}/groups/{group_id}/roles/{role_id}/inherited_to_projects", tag, true)

	registerGrantList[projectUser](f, s, "project-user", "/v3/projects/{project_id}/users/{user_id}/roles", tag, false)
	registerGrantList[projectGroup](f, s, "project-group", "/v3/projects/{project_id}/groups/{group_id}/roles", tag, false)
	registerGrantList[domainUser](f, s, "domain-user", "/v3/domains/{domain_id}/users/{user_id}/roles", tag, false)
	registerGrantList[domainGroup](f, s, "domain-group", "/v3/domains/{domain_id}/groups/{group_id}/roles", tag, false)
	registerGrantList[systemUser](f, s, "system-user", "/v3/system/users/{user_id}/roles", tag, false)
	registerGrantList[systemGroup](f, s, "system-group", "/v3/system/groups/{group_id}/roles", tag, false)
	registerGrantList[domainUser](f, s, "inherited-user", "/v3/OS-INHERIT/domains/{domain_id}/users/{user_id}/roles/inherited_to_projects", tag, true)
	registerGrantList[domainGroup](f, s, "inherited-group", "/v3/OS-INHERIT/domains/{domain_id}/groups/{group_id}/roles/inherited_to_projects", tag, true)
}

// ---- GET /v3/role_assignments ----

type assignmentListInput struct {
	UserID      string `query:"user.id"`
	GroupID     string `query:"group.id"`
	RoleID      string `query:"role.id"`
	ProjectID   string `query:"scope.project.id"`
	DomainID    string `query:"scope.domain.id"`
	System      string `query:"scope.system" doc:"all: only system assignments"`
	InheritedTo string `query:"scope.OS-INHERIT:inherited_to" doc:"projects: only inherited assignments"`
	Effective   string `query:"effective" doc:"expand groups and inheritance (the parameter's presence is enough)"`
	Names       string `query:"include_names" doc:"include names (the parameter's presence is enough)"`

	effective, names bool
}

// Resolve notes whether effective and include_names are present: Keystone
// treats "?effective" with no value as true.
func (in *assignmentListInput) Resolve(ctx huma.Context) []error {
	u := ctx.URL()
	q := u.Query()
	flag := func(name, v string) (bool, error) {
		if _, ok := q[name]; !ok {
			return false, nil
		}
		if v == "" {
			return true, nil
		}
		b, err := parseBool(name, v)
		if err != nil {
			return false, err
		}
		return *b, nil
	}
	var errList []error
	var err error
	if in.effective, err = flag("effective", in.Effective); err != nil {
		errList = append(errList, &huma.ErrorDetail{Location: "query.effective", Message: "not a boolean", Value: in.Effective})
	}
	if in.names, err = flag("include_names", in.Names); err != nil {
		errList = append(errList, &huma.ErrorDetail{Location: "query.include_names", Message: "not a boolean", Value: in.Names})
	}
	return errList
}

// AssignmentJSON is one entry of GET /v3/role_assignments.
type AssignmentJSON struct {
	Role  *RefJSON            `json:"role"`
	User  *RefJSON            `json:"user,omitempty"`
	Group *RefJSON            `json:"group,omitempty"`
	Scope AssignmentScopeJSON `json:"scope"`
	Links map[string]string   `json:"links"`
}

// RefJSON names an object of an assignment: its id, and with
// include_names its name and, for users, groups and projects, its domain.
// A name is left out when the object could not be read.
type RefJSON struct {
	ID     string   `json:"id"`
	Name   *string  `json:"name,omitempty"`
	Domain *RefJSON `json:"domain,omitempty"`
}

// AssignmentScopeJSON holds exactly one of project, domain and system.
type AssignmentScopeJSON struct {
	Project     *RefJSON         `json:"project,omitempty"`
	Domain      *RefJSON         `json:"domain,omitempty"`
	System      *SystemScopeJSON `json:"system,omitempty"`
	InheritedTo string           `json:"OS-INHERIT:inherited_to,omitempty" doc:"projects, for an assignment inherited by a domain's projects"`
}

// SystemScopeJSON is the system target of an assignment.
type SystemScopeJSON struct {
	All bool `json:"all"`
}

type assignmentsOutput struct {
	Body struct {
		RoleAssignments []AssignmentJSON `json:"role_assignments"`
		Links           ListLinks        `json:"links"`
	}
}

// names caches lookups for include_names.
type names struct {
	f       *face
	ctx     context.Context
	domains map[string]string
	cache   map[string]*RefJSON
}

func (n *names) domain(id string) *RefJSON {
	name, ok := n.domains[id]
	if !ok {
		if d, err := n.f.svc.GetDomain(n.ctx, id); err == nil {
			name = d.Name
		}
		n.domains[id] = name
	}
	return &RefJSON{ID: id, Name: &name}
}

func (n *names) ref(kind, id string, with bool) *RefJSON {
	if !with {
		return &RefJSON{ID: id}
	}
	key := kind + ":" + id
	if v, ok := n.cache[key]; ok {
		return v
	}
	out := &RefJSON{ID: id}
	switch kind {
	case "role":
		if r, err := n.f.svc.GetRole(n.ctx, id); err == nil {
			out.Name = &r.Name
		}
	case "user":
		if u, err := n.f.svc.GetUser(n.ctx, id); err == nil {
			out.Name, out.Domain = &u.Name, n.domain(u.DomainID)
		}
	case "group":
		if g, err := n.f.svc.GetGroup(n.ctx, id); err == nil {
			out.Name, out.Domain = &g.Name, n.domain(g.DomainID)
		}
	case "project":
		if p, err := n.f.svc.GetProject(n.ctx, id); err == nil {
			out.Name, out.Domain = &p.Name, n.domain(p.DomainID)
		}
	case "domain":
		out = n.domain(id)
	}
	n.cache[key] = out
	return out
}

func (f *face) registerAssignments(s *api.Server) {
	api.Register(s, auth.Policy(op("list-role-assignments", http.MethodGet, "/v3/role_assignments", "List role assignments", "role grants"), "identity/role_assignments/list"), f.listRoleAssignments)
}

func (f *face) listRoleAssignments(ctx context.Context, in *assignmentListInput) (*assignmentsOutput, error) {
	c := caller(ctx)
	filter := identity.AssignmentFilter{
		UserID: in.UserID, GroupID: in.GroupID, RoleID: in.RoleID, ProjectID: in.ProjectID, DomainID: in.DomainID,
		Effective: in.effective,
	}
	if in.System != "" {
		if in.System != "all" {
			return nil, errs.Field("scope.system", "must be all")
		}
		filter.System = true
	}
	if in.InheritedTo != "" {
		if in.InheritedTo != "projects" {
			return nil, errs.Field("scope.OS-INHERIT:inherited_to", "must be projects")
		}
		t := true
		filter.Inherited = &t
	}
	vis := c.Grant
	if in.UserID != "" && in.UserID == c.UserID() {
		// Anyone may list their own assignments.
		vis = identity.Grant{Breadth: identity.BreadthSystem}
	}
	as, err := f.svc.ListAssignments(ctx, filter, vis)
	if err != nil {
		return nil, err
	}
	n := &names{f: f, ctx: ctx, domains: map[string]string{}, cache: map[string]*RefJSON{}}
	b := base(ctx) + "/v3/"
	out := &assignmentsOutput{}
	out.Body.RoleAssignments = make([]AssignmentJSON, 0, len(as))
	for _, a := range as {
		j := AssignmentJSON{Role: n.ref("role", a.RoleID, in.names), Links: map[string]string{}}
		actorPath := "users/" + a.ActorID
		if a.ActorType == identity.ActorUser {
			j.User = n.ref("user", a.ActorID, in.names)
		} else {
			j.Group = n.ref("group", a.ActorID, in.names)
			actorPath = "groups/" + a.ActorID
		}
		targetPath := ""
		switch a.TargetType {
		case identity.TargetProject:
			j.Scope.Project = n.ref("project", a.TargetID, in.names)
			targetPath = "projects/" + a.TargetID
		case identity.TargetDomain:
			j.Scope.Domain = n.ref("domain", a.TargetID, in.names)
			targetPath = "domains/" + a.TargetID
		default:
			j.Scope.System = &SystemScopeJSON{All: true}
			targetPath = "system"
		}
		switch {
		case a.Inherited && a.ViaDomainID != "":
			// An effective entry: the project scope, linked to the
			// domain assignment it comes from.
			j.Links["assignment"] = b + "OS-INHERIT/domains/" + a.ViaDomainID + "/" + actorPath + "/roles/" + a.RoleID + "/inherited_to_projects"
		case a.Inherited:
			j.Scope.InheritedTo = "projects"
			j.Links["assignment"] = b + "OS-INHERIT/" + targetPath + "/" + actorPath + "/roles/" + a.RoleID + "/inherited_to_projects"
		default:
			j.Links["assignment"] = b + targetPath + "/" + actorPath + "/roles/" + a.RoleID
		}
		if a.ViaGroupID != "" {
			j.Links["assignment"] = strings.Replace(j.Links["assignment"], "/users/"+a.ActorID+"/", "/groups/"+a.ViaGroupID+"/", 1)
			j.Links["membership"] = b + "groups/" + a.ViaGroupID + "/users/" + a.ActorID
		}
		out.Body.RoleAssignments = append(out.Body.RoleAssignments, j)
	}
	out.Body.Links = listLinks(ctx, "role_assignments")
	return out, nil

}
