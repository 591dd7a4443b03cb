package identity

import (
	"context"
	"fmt"
	"sort"

	"github.com/uptrace/bun"

	"github.com/skyfold/skyfold/internal/errs"
)

// checkAssignment validates an assignment's shape and that its actor, target
// and role exist.
func (s *Service) checkAssignment(ctx context.Context, a *Assignment) error {
	switch a.ActorType {
	case ActorUser:
		if _, err := s.GetUser(ctx, a.ActorID); err != nil {
			return err
		}
	case ActorGroup:
		if _, err := s.GetGroup(ctx, a.ActorID); err != nil {
			return err
		}
	default:
		return errs.Field("actor", "must be a user or a group")
	}
	switch a.TargetType {
	case TargetSystem:
		a.TargetID = SystemTarget
		if a.Inherited {
			return errs.Field("inherited", "system assignments cannot be inherited")
		}
	case TargetDomain:
		if _, err := s.GetDomain(ctx, a.TargetID); err != nil {
			return err
		}
	case TargetProject:
		if _, err := s.GetProject(ctx, a.TargetID); err != nil {
			return err
		}
		if a.Inherited {
			return errs.Field("inherited", "only domain assignments are inherited to projects")
		}
	default:
		return errs.Field("scope", "must be the system, a domain or a project")
	}
	if _, err := s.GetRole(ctx, a.RoleID); err != nil {
		return err
	}
	return nil
}

// GrantRole gives an actor a role on a target (idempotent).
func (s *Service) GrantRole(ctx context.Context, a Assignment) error {
	if err := s.checkAssignment(ctx, &a); err != nil {
		return err
	}
	a.CreatedAt = s.now()
	_, err := s.db.NewInsert().Model(&a).
		On("CONFLICT (actor_type, actor_id, target_type, target_id, role_id, inherited) DO NOTHING").Exec(ctx)
	if err != nil {
		return fmt.Errorf("grant role: %w", err)
	}
	return nil
}

func (s *Service) assignmentWhere(q *bun.SelectQuery, a Assignment) *bun.SelectQuery {
	return q.Where("actor_type = ? AND actor_id = ? AND target_type = ? AND target_id = ? AND role_id = ? AND inherited = ?",
		a.ActorType, a.ActorID, a.TargetType, a.TargetID, a.RoleID, a.Inherited)
}

// HasGrant reports whether exactly this assignment exists.
func (s *Service) HasGrant(ctx context.Context, a Assignment) (bool, error) {
	if a.TargetType == TargetSystem {
		a.TargetID = SystemTarget
	}
	return s.assignmentWhere(s.db.NewSelect().Model((*Assignment)(nil)), a).Exists(ctx)
}

// RevokeRole removes an assignment and revokes the tokens that may carry
// the role: the user's, or every member's of a group.
func (s *Service) RevokeRole(ctx context.Context, a Assignment) error {
	if a.TargetType == TargetSystem {
		a.TargetID = SystemTarget
	}
	res, err := s.db.NewDelete().Model((*Assignment)(nil)).
		Where("actor_type = ? AND actor_id = ? AND target_type = ? AND target_id = ? AND role_id = ? AND inherited = ?",
			a.ActorType, a.ActorID, a.TargetType, a.TargetID, a.RoleID, a.Inherited).Exec(ctx)
	if err != nil {
		return fmt.Errorf("revoke role: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.E(errs.NotFound, "Could not find role assignment with role: %s, %s: %s, %s: %s.",
			a.RoleID, a.ActorType, a.ActorID, a.TargetType, a.TargetID)
	}
	return s.revokeActor(ctx, a.ActorType, a.ActorID)
}

func (s *Service) revokeActor(ctx context.Context, actorType, actorID string) error {
	if actorType == ActorUser {
		return s.revokeUser(ctx, actorID)
	}
	members, err := s.memberIDs(ctx, actorID)
	if err != nil {
		return err
	}
	for _, u := range members {
		if err := s.revokeUser(ctx, u); err != nil {
			return err
		}
	}
	return nil
}

// RolesOn lists the roles an actor holds directly on a target.
func (s *Service) RolesOn(ctx context.Context, actorType, actorID, targetType, targetID string, inherited bool) ([]Role, error) {
	if targetType == TargetSystem {
		targetID = SystemTarget
	}
	out := []Role{}
	err := s.db.NewSelect().Model(&out).
		Where("id IN (?)", s.db.NewSelect().Model((*Assignment)(nil)).Column("role_id").
			Where("actor_type = ? AND actor_id = ? AND target_type = ? AND target_id = ? AND inherited = ?",
				actorType, actorID, targetType, targetID, inherited)).
		Order("name").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list granted roles: %w", err)
	}
	return out, nil
}

// actorsOf is the subquery condition "the user or one of the user's groups".
func (s *Service) actorsOf(q *bun.SelectQuery, userID string) *bun.SelectQuery {
	groups := s.db.NewSelect().Model((*groupMember)(nil)).Column("group_id").Where("user_id = ?", userID)
	return q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("a.actor_type = ? AND a.actor_id = ?", ActorUser, userID).
			WhereOr("a.actor_type = ? AND a.actor_id IN (?)", ActorGroup, groups)
	})
}

type roleRow struct {
	ID   string `bun:"id"`
	Name string `bun:"name"`
}

// EffectiveRoles lists the roles a user holds on a target, directly, through
// groups, and (for a project) inherited from the project's domain.
func (s *Service) EffectiveRoles(ctx context.Context, userID, targetType, targetID, projectDomainID string) ([]RoleRef, error) {
	var rows []roleRow
	q := s.db.NewSelect().TableExpr("identity_assignments AS a").
		Join("JOIN identity_roles AS r ON r.id = a.role_id").
		ColumnExpr("DISTINCT r.id AS id, r.name AS name")
	q = s.actorsOf(q, userID)
	switch targetType {
	case TargetSystem:
		q = q.Where("a.target_type = ? AND a.inherited = ?", TargetSystem, false)
	case TargetDomain:
		q = q.Where("a.target_type = ? AND a.target_id = ? AND a.inherited = ?", TargetDomain, targetID, false)
	case TargetProject:
		q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("a.target_type = ? AND a.target_id = ? AND a.inherited = ?", TargetProject, targetID, false).
				WhereOr("a.target_type = ? AND a.target_id = ? AND a.inherited = ?", TargetDomain, projectDomainID, true)
		})
	default:
		return nil, nil
	}
	if err := q.OrderExpr("r.name").Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("effective roles: %w", err)
	}
	out := make([]RoleRef, len(rows))
	for i, r := range rows {
		out[i] = RoleRef(r)
	}
	return out, nil
}

// ProjectsOfUser lists the enabled projects a user holds a role on (directly,
// through a group, or inherited from a domain), in enabled domains.
func (s *Service) ProjectsOfUser(ctx context.Context, userID string) ([]Project, error) {
	var direct, inheritedDomains []string
	q := s.db.NewSelect().TableExpr("identity_assignments AS a").ColumnExpr("DISTINCT a.target_id")
	q = s.actorsOf(q, userID).Where("a.target_type = ? AND a.inherited = ?", TargetProject, false)
	if err := q.Scan(ctx, &direct); err != nil {
		return nil, fmt.Errorf("projects of user: %w", err)
	}
	q = s.db.NewSelect().TableExpr("identity_assignments AS a").ColumnExpr("DISTINCT a.target_id")
	q = s.actorsOf(q, userID).Where("a.target_type = ? AND a.inherited = ?", TargetDomain, true)
	if err := q.Scan(ctx, &inheritedDomains); err != nil {
		return nil, fmt.Errorf("projects of user: %w", err)
	}
	out := []Project{}
	if len(direct) == 0 && len(inheritedDomains) == 0 {
		return out, nil
	}
	pq := s.db.NewSelect().Model(&out).Where("enabled = ?", true).
		Where("domain_id IN (?)", s.db.NewSelect().Model((*Domain)(nil)).Column("id").Where("enabled = ?", true)).
		WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			if len(direct) > 0 {
				q = q.WhereOr("id IN (?)", bun.List(direct))
			}
			if len(inheritedDomains) > 0 {
				q = q.WhereOr("domain_id IN (?)", bun.List(inheritedDomains))
			}
			return q
		}).Order("name", "id")
	if err := pq.Scan(ctx); err != nil {
		return nil, fmt.Errorf("projects of user: %w", err)
	}
	return out, nil
}

// DomainsOfUser lists the enabled domains a user holds a role on.
func (s *Service) DomainsOfUser(ctx context.Context, userID string) ([]Domain, error) {
	var ids []string
	q := s.db.NewSelect().TableExpr("identity_assignments AS a").ColumnExpr("DISTINCT a.target_id")
	q = s.actorsOf(q, userID).Where("a.target_type = ? AND a.inherited = ?", TargetDomain, false)
	if err := q.Scan(ctx, &ids); err != nil {
		return nil, fmt.Errorf("domains of user: %w", err)
	}
	out := []Domain{}
	if len(ids) == 0 {
		return out, nil
	}
	if err := s.db.NewSelect().Model(&out).Where("id IN (?)", bun.List(ids)).Where("enabled = ?", true).Order("name").Scan(ctx); err != nil {
		return nil, fmt.Errorf("domains of user: %w", err)
	}
	return out, nil
}

// HasSystemRole reports whether a user holds any role on the system.
func (s *Service) HasSystemRole(ctx context.Context, userID string) (bool, error) {
	q := s.db.NewSelect().TableExpr("identity_assignments AS a")
	q = s.actorsOf(q, userID).Where("a.target_type = ?", TargetSystem)
	return q.Exists(ctx)
}

// AssignmentFilter narrows ListAssignments, as GET /v3/role_assignments does.
type AssignmentFilter struct {
	UserID    string
	GroupID   string
	RoleID    string
	ProjectID string
	DomainID  string
	System    bool
	Inherited *bool // only inherited (true) or only direct (false) assignments
	// Effective expands group assignments into one per member and inherited
	// domain assignments into one per project of the domain, as Keystone's
	// effective=true does.
	Effective bool
}

// ListAssignments lists role assignments matching f that vis covers: a
// system grant sees all; a domain grant those on the domain and its
// projects; a project grant those on the project.
func (s *Service) ListAssignments(ctx context.Context, f AssignmentFilter, vis Grant) ([]Assignment, error) {
	var all []Assignment
	q := s.db.NewSelect().Model(&all).Order("target_type", "target_id", "actor_type", "actor_id", "role_id")
	if f.RoleID != "" {
		q = q.Where("role_id = ?", f.RoleID)
	}
	if !f.Effective {
		if f.UserID != "" {
			q = q.Where("actor_type = ? AND actor_id = ?", ActorUser, f.UserID)
		}
		if f.GroupID != "" {
			q = q.Where("actor_type = ? AND actor_id = ?", ActorGroup, f.GroupID)
		}
		if f.ProjectID != "" {
			q = q.Where("target_type = ? AND target_id = ?", TargetProject, f.ProjectID)
		}
		if f.DomainID != "" {
			q = q.Where("target_type = ? AND target_id = ?", TargetDomain, f.DomainID)
		}
		if f.System {
			q = q.Where("target_type = ?", TargetSystem)
		}
		if f.Inherited != nil {
			q = q.Where("inherited = ?", *f.Inherited)
		}
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list role assignments: %w", err)
	}
	if f.Effective {
		var err error
		if all, err = s.expand(ctx, all); err != nil {
			return nil, err
		}
		all = filterEffective(all, f)
	}
	out := []Assignment{}
	var inDomain map[string]bool
	if vis.Breadth == BreadthDomain {
		ids, err := s.ProjectIDsOfDomain(ctx, vis.DomainID)
		if err != nil {
			return nil, err
		}
		inDomain = make(map[string]bool, len(ids))
		for _, id := range ids {
			inDomain[id] = true
		}
	}
	for _, a := range all {
		switch vis.Breadth {
		case BreadthSystem:
		case BreadthDomain:
			if !(a.TargetType == TargetDomain && a.TargetID == vis.DomainID) && !(a.TargetType == TargetProject && inDomain[a.TargetID]) {
				continue
			}
		case BreadthProject:
			if !(a.TargetType == TargetProject && a.TargetID == vis.ProjectID) {
				continue
			}
		default:
			continue
		}
		out = append(out, a)
	}
	return out, nil
}

// expand turns group assignments into member assignments and inherited
// domain assignments into project assignments.
func (s *Service) expand(ctx context.Context, in []Assignment) ([]Assignment, error) {
	members := map[string][]string{}
	projects := map[string][]string{}
	var out []Assignment
	for _, a := range in {
		actors := []Assignment{a}
		if a.ActorType == ActorGroup {
			ids, ok := members[a.ActorID]
			if !ok {
				var err error
				if ids, err = s.memberIDs(ctx, a.ActorID); err != nil {
					return nil, err
				}
				sort.Strings(ids)
				members[a.ActorID] = ids
			}
			actors = actors[:0]
			for _, u := range ids {
				x := a
				x.ActorType, x.ActorID, x.ViaGroupID = ActorUser, u, a.ActorID
				actors = append(actors, x)
			}
		}
		for _, x := range actors {
			if x.TargetType == TargetDomain && x.Inherited {
				ids, ok := projects[x.TargetID]
				if !ok {
					var err error
					if ids, err = s.ProjectIDsOfDomain(ctx, x.TargetID); err != nil {
						return nil, err
					}
					projects[x.TargetID] = ids
				}
				for _, p := range ids {
					y := x
					y.TargetType, y.TargetID, y.ViaDomainID = TargetProject, p, x.TargetID
					out = append(out, y)
				}
				continue
			}
			out = append(out, x)
		}
	}
	return out, nil
}

func filterEffective(in []Assignment, f AssignmentFilter) []Assignment {
	out := in[:0]
	for _, a := range in {
		if f.UserID != "" && a.ActorID != f.UserID {
			continue
		}
		if f.GroupID != "" && a.ViaGroupID != f.GroupID {
			continue
		}
		if f.ProjectID != "" && !(a.TargetType == TargetProject && a.TargetID == f.ProjectID) {
			continue
		}
		if f.DomainID != "" && !(a.TargetType == TargetDomain && a.TargetID == f.DomainID) {
			continue
		}
		if f.System && a.TargetType != TargetSystem {
			continue
		}
		if f.Inherited != nil && (a.ViaDomainID != "") != *f.Inherited {
			continue
		}
		out = append(out, a)
	}
	return out
}

// privilegedTargets is the condition "an assignment on the system or on the
// admin project": roles there act on the whole system.
func (s *Service) privilegedTargets(q *bun.SelectQuery) *bun.SelectQuery {
	admin := s.db.NewSelect().Model((*Project)(nil)).Column("id").Where("admin = ?", true)
	return q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("a.target_type = ?", TargetSystem).
			WhereOr("a.target_type = ? AND a.target_id IN (?)", TargetProject, admin)
	})
}

// UserPrivileged reports whether a user holds a role on the system or on the
// admin project, directly or through a group. Changing such a user (or their
// password) needs a system grant, so that the admin of a domain cannot take
// over a system administrator of that domain.
func (s *Service) UserPrivileged(ctx context.Context, userID string) (bool, error) {
	q := s.db.NewSelect().TableExpr("identity_assignments AS a")
	return s.privilegedTargets(s.actorsOf(q, userID)).Exists(ctx)
}

// GroupPrivileged reports whether a group holds a role on the system or on
// the admin project; changing its members needs a system grant.
func (s *Service) GroupPrivileged(ctx context.Context, groupID string) (bool, error) {
	q := s.db.NewSelect().TableExpr("identity_assignments AS a").Where("a.actor_type = ? AND a.actor_id = ?", ActorGroup, groupID)
	return s.privilegedTargets(q).Exists(ctx)
}
