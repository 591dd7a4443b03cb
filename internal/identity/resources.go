package identity

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/uptrace/bun"

	"github.com/skyfold/skyfold/internal/errs"
)

// MaxNameLength bounds every name.
const MaxNameLength = 255

// checkName validates a name; field names the input field for the error.
func checkName(field, name string) error {
	if strings.TrimSpace(name) == "" {
		return errs.Field(field, "must not be empty")
	}
	if len(name) > MaxNameLength {
		return errs.Field(field, fmt.Sprintf("longer than %d characters", MaxNameLength))
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return errs.Field(field, "must not contain control characters")
		}
		if bidiControl(r) {
			return errs.Field(field, fmt.Sprintf("must not contain the bidirectional control character U+%04X", r))
		}
	}
	return nil
}

// bidiControl reports the characters that reorder the text around them
// (embeddings, overrides, isolates and marks): in a name they make a list
// or a log line display another name than the one stored.
func bidiControl(r rune) bool {
	switch {
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return true
	case r == 0x200E, r == 0x200F, r == 0x061C:
		return true
	}
	return false
}

func checkDescription(field, d string) error {
	if len(d) > 65535 {
		return errs.Field(field, "too long")
	}
	return nil
}

// ---- domains ----

// DomainPatch holds the fields of a domain update; nil leaves a field alone.
type DomainPatch struct {
	Name        *string
	Description *string
	Enabled     *bool
}

// CreateDomain stores a new domain.
func (s *Service) CreateDomain(ctx context.Context, d Domain) (*Domain, error) {
	if err := checkName("domain.name", d.Name); err != nil {
		return nil, err
	}
	if err := checkDescription("domain.description", d.Description); err != nil {
		return nil, err
	}
	if err := s.insertNew(ctx, &d, &d.ID, &d.CreatedAt, &d.UpdatedAt, "domain", d.Name); err != nil {
		return nil, err
	}
	return &d, nil
}

// GetDomain returns a domain by id.
func (s *Service) GetDomain(ctx context.Context, id string) (*Domain, error) {
	return getRow[Domain](ctx, s.db, "domain", id)
}

// FindDomain returns a domain by id or, failing that, by name.
func (s *Service) FindDomain(ctx context.Context, id, name string) (*Domain, error) {
	return findRow[Domain](ctx, s.db, "domain", id, name, nil)
}

// DomainFilter narrows ListDomains.
type DomainFilter struct {
	Name    string
	Enabled *bool
	IDs     []string // when non-nil, only these
}

// ListDomains lists domains by name.
func (s *Service) ListDomains(ctx context.Context, f DomainFilter) ([]Domain, error) {
	return listRows[Domain](ctx, s.db.NewSelect().Order("name"), "domains", listFilter{name: f.Name, enabled: f.Enabled, ids: f.IDs})
}

// UpdateDomain changes a domain. Disabling it revokes every token of its
// users and projects.
func (s *Service) UpdateDomain(ctx context.Context, id string, p DomainPatch) (*Domain, error) {
	d, err := s.GetDomain(ctx, id)
	if err != nil {
		return nil, err
	}
	disable := false
	if p.Name != nil {
		if err := checkName("domain.name", *p.Name); err != nil {
			return nil, err
		}
		d.Name = *p.Name
	}
	if p.Description != nil {
		d.Description = *p.Description
	}
	if p.Enabled != nil {
		if !*p.Enabled && id == DefaultDomainID {
			return nil, errs.E(errs.Forbidden, "The default domain cannot be disabled.")
		}
		disable = d.Enabled && !*p.Enabled
		d.Enabled = *p.Enabled
	}
	d.UpdatedAt = s.now()
	if _, err := s.db.NewUpdate().Model(d).WherePK().Column("name", "description", "enabled", "updated_at").Exec(ctx); err != nil {
		return nil, conflict(err, "domain", d.Name)
	}
	if disable {
		if err := s.revoke(ctx, revocation{DomainID: id}); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// DeleteDomain deletes a disabled domain with its projects, users, groups and
// the role assignments on or of them.
func (s *Service) DeleteDomain(ctx context.Context, id string) error {
	d, err := s.GetDomain(ctx, id)
	if err != nil {
		return err
	}
	if id == DefaultDomainID {
		return errs.E(errs.Forbidden, "The default domain cannot be deleted.")
	}
	if d.Enabled {
		return errs.E(errs.Forbidden, "Cannot delete a domain that is enabled, please disable it first.")
	}
	err = s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		projects := tx.NewSelect().Model((*Project)(nil)).Column("id").Where("domain_id = ?", id)
		users := tx.NewSelect().Model((*User)(nil)).Column("id").Where("domain_id = ?", id)
		groups := tx.NewSelect().Model((*Group)(nil)).Column("id").Where("domain_id = ?", id)
		for _, q := range []*bun.DeleteQuery{
			tx.NewDelete().Model((*Assignment)(nil)).Where("target_type = ? AND target_id = ?", TargetDomain, id),
			tx.NewDelete().Model((*Assignment)(nil)).Where("target_type = ? AND target_id IN (?)", TargetProject, projects),
			tx.NewDelete().Model((*Assignment)(nil)).Where("actor_type = ? AND actor_id IN (?)", ActorUser, users),
			tx.NewDelete().Model((*Assignment)(nil)).Where("actor_type = ? AND actor_id IN (?)", ActorGroup, groups),
			tx.NewDelete().Model((*AppCredential)(nil)).Where("project_id IN (?)", projects),
			tx.NewDelete().Model((*Domain)(nil)).Where("id = ?", id),
		} {
			if _, err := q.Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete domain %s: %w", id, err)
	}
	s.forgetDomainProjects(id)
	return s.revoke(ctx, revocation{DomainID: id})
}

// ---- projects ----

// ProjectPatch holds the fields of a project update.
type ProjectPatch struct {
	Name        *string
	Description *string
	Enabled     *bool
	Tags        *[]string
}

func checkTags(tags []string) error {
	if len(tags) > 80 {
		return errs.Field("project.tags", "at most 80 tags")
	}
	for _, t := range tags {
		if t == "" || len(t) > 255 || strings.ContainsAny(t, "/,") {
			return errs.Field("project.tags", fmt.Sprintf("invalid tag %q", t))
		}
	}
	return nil
}

// CreateProject stores a new project in an existing domain.
func (s *Service) CreateProject(ctx context.Context, p Project) (*Project, error) {
	if err := checkName("project.name", p.Name); err != nil {
		return nil, err
	}
	if err := checkDescription("project.description", p.Description); err != nil {
		return nil, err
	}
	if p.DomainID == "" {
		return nil, errs.Field("project.domain_id", "required")
	}
	if err := checkTags(p.Tags); err != nil {
		return nil, err
	}
	if err := s.domainExists(ctx, "project.domain_id", p.DomainID); err != nil {
		return nil, err
	}
	if p.Tags == nil {
		p.Tags = []string{}
	}
	if err := s.insertNew(ctx, &p, &p.ID, &p.CreatedAt, &p.UpdatedAt, "project", p.Name); err != nil {
		return nil, err
	}
	s.forgetDomainProjects(p.DomainID)
	return &p, nil
}

// GetProject returns a project by id.
func (s *Service) GetProject(ctx context.Context, id string) (*Project, error) {
	return getRow[Project](ctx, s.db, "project", id)
}

// FindProject returns a project by id, or by name in a domain.
func (s *Service) FindProject(ctx context.Context, id, name, domainID string) (*Project, error) {
	return findRow[Project](ctx, s.db, "project", id, name, &domainID)
}

// ProjectFilter narrows ListProjects.
type ProjectFilter struct {
	DomainID string
	Name     string
	Enabled  *bool
	IDs      []string // when non-nil, only these
}

// ListProjects lists projects by name.
func (s *Service) ListProjects(ctx context.Context, f ProjectFilter) ([]Project, error) {
	return listRows[Project](ctx, s.db.NewSelect().Order("name", "id"), "projects",
		listFilter{domainID: f.DomainID, name: f.Name, enabled: f.Enabled, ids: f.IDs})
}

// UpdateProject changes a project. Disabling it revokes its tokens.
func (s *Service) UpdateProject(ctx context.Context, id string, patch ProjectPatch) (*Project, error) {
	p, err := s.GetProject(ctx, id)
	if err != nil {
		return nil, err
	}
	disable := false
	if patch.Name != nil {
		if err := checkName("project.name", *patch.Name); err != nil {
			return nil, err
		}
		p.Name = *patch.Name
	}
	if patch.Description != nil {
		p.Description = *patch.Description
	}
	if patch.Tags != nil {
		if err := checkTags(*patch.Tags); err != nil {
			return nil, err
		}
		p.Tags = append([]string{}, *patch.Tags...)
	}
	if patch.Enabled != nil {
		if !*patch.Enabled && p.Admin {
			return nil, errs.E(errs.Forbidden, "The admin project cannot be disabled.")
		}
		disable = p.Enabled && !*patch.Enabled
		p.Enabled = *patch.Enabled
	}
	p.UpdatedAt = s.now()
	if _, err := s.db.NewUpdate().Model(p).WherePK().Column("name", "description", "enabled", "tags", "updated_at").Exec(ctx); err != nil {
		return nil, conflict(err, "project", p.Name)
	}
	if disable {
		if err := s.revoke(ctx, revocation{ProjectID: id}); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// DeleteProject deletes a project, the role assignments on it and the
// application credentials bound to it, and revokes its tokens.
func (s *Service) DeleteProject(ctx context.Context, id string) error {
	p, err := s.GetProject(ctx, id)
	if err != nil {
		return err
	}
	if p.Admin {
		return errs.E(errs.Forbidden, "The admin project cannot be deleted.")
	}
	err = s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewDelete().Model((*Assignment)(nil)).Where("target_type = ? AND target_id = ?", TargetProject, id).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*AppCredential)(nil)).Where("project_id = ?", id).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model((*User)(nil)).Set("default_project_id = ''").Where("default_project_id = ?", id).Exec(ctx); err != nil {
			return err
		}
		_, err := tx.NewDelete().Model((*Project)(nil)).Where("id = ?", id).Exec(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete project %s: %w", id, err)
	}
	s.forgetDomainProjects(p.DomainID)
	return s.revoke(ctx, revocation{ProjectID: id})
}

// ---- users ----

// UserCreate is a new user.
type UserCreate struct {
	ID               string
	DomainID         string
	Name             string
	Password         string
	Enabled          bool
	DefaultProjectID string
	Email            string
	Description      string
}

// UserPatch holds the fields of a user update.
type UserPatch struct {
	Name             *string
	Password         *string
	Enabled          *bool
	DefaultProjectID *string
	Email            *string
	Description      *string
}

func checkPassword(field, pw string) error {
	if len(pw) > MaxPasswordLength {
		return errs.Field(field, fmt.Sprintf("longer than %d bytes", MaxPasswordLength))
	}
	return nil
}

// CreateUser stores a new local user.
func (s *Service) CreateUser(ctx context.Context, in UserCreate) (*User, error) {
	if err := checkName("user.name", in.Name); err != nil {
		return nil, err
	}
	if err := checkPassword("user.password", in.Password); err != nil {
		return nil, err
	}
	if in.DomainID == "" {
		return nil, errs.Field("user.domain_id", "required")
	}
	if err := s.domainExists(ctx, "user.domain_id", in.DomainID); err != nil {
		return nil, err
	}
	if in.DefaultProjectID != "" {
		if _, err := s.GetProject(ctx, in.DefaultProjectID); err != nil {
			return nil, errs.Field("user.default_project_id", "no such project")
		}
	}
	now := s.now()
	u := &User{
		ID: in.ID, DomainID: in.DomainID, Name: in.Name, Enabled: in.Enabled, DefaultProjectID: in.DefaultProjectID,
		Email: in.Email, Description: in.Description, CreatedAt: now, UpdatedAt: now,
	}
	if u.ID == "" {
		u.ID = NewID()
	}
	if in.Password != "" {
		h, err := s.hash.Hash(ctx, in.Password)
		if err != nil {
			return nil, err
		}
		u.PasswordHash = h
		u.PasswordChangedAt = &now
	}
	if _, err := s.db.NewInsert().Model(u).Exec(ctx); err != nil {
		return nil, conflict(err, "user", u.Name)
	}
	return u, nil
}

// GetUser returns a user by id.
func (s *Service) GetUser(ctx context.Context, id string) (*User, error) {
	return getRow[User](ctx, s.db, "user", id)
}

// FindUser returns a user by id, or by name in a domain.
func (s *Service) FindUser(ctx context.Context, id, name, domainID string) (*User, error) {
	return findRow[User](ctx, s.db, "user", id, name, &domainID)
}

// UserFilter narrows ListUsers.
type UserFilter struct {
	DomainID string
	Name     string
	Enabled  *bool
	IDs      []string // when non-nil, only these
	GroupID  string
}

// ListUsers lists users by name.
func (s *Service) ListUsers(ctx context.Context, f UserFilter) ([]User, error) {
	lf := listFilter{domainID: f.DomainID, name: f.Name, enabled: f.Enabled, ids: f.IDs}
	if f.GroupID != "" {
		lf.within = s.db.NewSelect().Model((*groupMember)(nil)).Column("user_id").Where("group_id = ?", f.GroupID)
	}
	return listRows[User](ctx, s.db.NewSelect().Order("name", "id"), "users", lf)
}

// UpdateUser changes a user. A new password, or disabling the user, revokes
// the user's tokens; a new password or enabling also clears a lockout.
func (s *Service) UpdateUser(ctx context.Context, id string, p UserPatch) (*User, error) {
	u, err := s.GetUser(ctx, id)
	if err != nil {
		return nil, err
	}
	revokeTokens := false
	cols := []string{"updated_at"}
	if p.Name != nil {
		if err := checkName("user.name", *p.Name); err != nil {
			return nil, err
		}
		u.Name = *p.Name
		cols = append(cols, "name")
	}
	if p.Email != nil {
		u.Email = *p.Email
		cols = append(cols, "email")
	}
	if p.Description != nil {
		u.Description = *p.Description
		cols = append(cols, "description")
	}
	if p.DefaultProjectID != nil {
		if *p.DefaultProjectID != "" {
			if _, err := s.GetProject(ctx, *p.DefaultProjectID); err != nil {
				return nil, errs.Field("user.default_project_id", "no such project")
			}
		}
		u.DefaultProjectID = *p.DefaultProjectID
		cols = append(cols, "default_project_id")
	}
	if p.Enabled != nil {
		if !*p.Enabled && u.Enabled {
			revokeTokens = true
		}
		if *p.Enabled {
			// Setting enabled (again) is the API's unlock: it clears every
			// lockout of the user.
			u.FailedLogins, u.LockedUntil = 0, 0
			cols = append(cols, "failed_logins", "locked_until")
		}
		u.Enabled = *p.Enabled
		cols = append(cols, "enabled")
	}
	now := s.now()
	if p.Password != nil {
		if err := checkPassword("user.password", *p.Password); err != nil {
			return nil, err
		}
		h := ""
		if *p.Password != "" {
			if h, err = s.hash.Hash(ctx, *p.Password); err != nil {
				return nil, err
			}
		}
		u.PasswordHash, u.PasswordChangedAt = h, &now
		u.FailedLogins, u.LockedUntil = 0, 0
		cols = append(cols, "password_hash", "password_changed_at", "failed_logins", "locked_until")
		revokeTokens = true
	}
	u.UpdatedAt = now
	if _, err := s.db.NewUpdate().Model(u).WherePK().Column(cols...).Exec(ctx); err != nil {
		return nil, conflict(err, "user", u.Name)
	}
	if slices.Contains(cols, "locked_until") {
		locked, err := s.clearLockouts(ctx, id)
		if err != nil {
			return nil, err
		}
		if locked {
			if err := s.auditLock(ctx, u, "unlock", sourceOf(ctx), ""); err != nil {
				return nil, err
			}
		}
	}
	if revokeTokens {
		if err := s.revokeUser(ctx, id); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// ChangePassword is a user changing their own password: the original must
// be right (a wrong one counts towards lockout), and every token the user
// had is revoked.
func (s *Service) ChangePassword(ctx context.Context, userID, original, password string) error {
	if password == "" {
		return errs.Field("user.password", "required")
	}
	if err := checkPassword("user.password", password); err != nil {
		return err
	}
	u, err := s.checkPassword(ctx, &PasswordAuth{UserID: userID, Password: original})
	if err != nil {
		return err
	}
	_, err = s.UpdateUser(ctx, u.ID, UserPatch{Password: &password})
	return err
}

// DeleteUser deletes a user with their assignments, memberships and
// application credentials, and revokes their tokens.
func (s *Service) DeleteUser(ctx context.Context, id string) error {
	if _, err := s.GetUser(ctx, id); err != nil {
		return err
	}
	if err := s.deleteActor(ctx, (*User)(nil), ActorUser, id); err != nil {
		return err
	}
	return s.revokeUser(ctx, id)
}

// ---- groups ----

// GroupPatch holds the fields of a group update.
type GroupPatch struct {
	Name        *string
	Description *string
}

// CreateGroup stores a new group.
func (s *Service) CreateGroup(ctx context.Context, g Group) (*Group, error) {
	if err := checkName("group.name", g.Name); err != nil {
		return nil, err
	}
	if g.DomainID == "" {
		return nil, errs.Field("group.domain_id", "required")
	}
	if err := s.domainExists(ctx, "group.domain_id", g.DomainID); err != nil {
		return nil, err
	}
	if err := s.insertNew(ctx, &g, &g.ID, &g.CreatedAt, &g.UpdatedAt, "group", g.Name); err != nil {
		return nil, err
	}
	return &g, nil
}

// GetGroup returns a group by id.
func (s *Service) GetGroup(ctx context.Context, id string) (*Group, error) {
	return getRow[Group](ctx, s.db, "group", id)
}

// FindGroup returns a group by id, or by name in a domain.
func (s *Service) FindGroup(ctx context.Context, id, name, domainID string) (*Group, error) {
	return findRow[Group](ctx, s.db, "group", id, name, &domainID)
}

// GroupFilter narrows ListGroups.
type GroupFilter struct {
	DomainID string
	Name     string
	IDs      []string // when non-nil, only these
	UserID   string   // only groups this user belongs to
}

// ListGroups lists groups by name.
func (s *Service) ListGroups(ctx context.Context, f GroupFilter) ([]Group, error) {
	lf := listFilter{domainID: f.DomainID, name: f.Name, ids: f.IDs}
	if f.UserID != "" {
		lf.within = s.db.NewSelect().Model((*groupMember)(nil)).Column("group_id").Where("user_id = ?", f.UserID)
	}
	return listRows[Group](ctx, s.db.NewSelect().Order("name", "id"), "groups", lf)
}

// UpdateGroup changes a group.
func (s *Service) UpdateGroup(ctx context.Context, id string, p GroupPatch) (*Group, error) {
	g, err := s.GetGroup(ctx, id)
	if err != nil {
		return nil, err
	}
	if p.Name != nil {
		if err := checkName("group.name", *p.Name); err != nil {
			return nil, err
		}
		g.Name = *p.Name
	}
	if p.Description != nil {
		g.Description = *p.Description
	}
	g.UpdatedAt = s.now()
	if _, err := s.db.NewUpdate().Model(g).WherePK().Column("name", "description", "updated_at").Exec(ctx); err != nil {
		return nil, conflict(err, "group", g.Name)
	}
	return g, nil
}

// DeleteGroup deletes a group and its assignments; its members lose the
// roles it gave them, so their tokens are revoked.
func (s *Service) DeleteGroup(ctx context.Context, id string) error {
	if _, err := s.GetGroup(ctx, id); err != nil {
		return err
	}
	members, err := s.memberIDs(ctx, id)
	if err != nil {
		return err
	}
	if err := s.deleteActor(ctx, (*Group)(nil), ActorGroup, id); err != nil {
		return err
	}
	for _, u := range members {
		if err := s.revokeUser(ctx, u); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) memberIDs(ctx context.Context, groupID string) ([]string, error) {
	var ids []string
	err := s.db.NewSelect().Model((*groupMember)(nil)).Column("user_id").Where("group_id = ?", groupID).Scan(ctx, &ids)
	return ids, err
}

// AddMember puts a user in a group (idempotent).
func (s *Service) AddMember(ctx context.Context, groupID, userID string) error {
	if _, err := s.GetGroup(ctx, groupID); err != nil {
		return err
	}
	if _, err := s.GetUser(ctx, userID); err != nil {
		return err
	}
	m := &groupMember{GroupID: groupID, UserID: userID, CreatedAt: s.now()}
	if _, err := s.db.NewInsert().Model(m).On("CONFLICT (group_id, user_id) DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("add member: %w", err)
	}
	return nil
}

// RemoveMember takes a user out of a group and revokes the user's tokens,
// which may carry roles the group gave.
func (s *Service) RemoveMember(ctx context.Context, groupID, userID string) error {
	res, err := s.db.NewDelete().Model((*groupMember)(nil)).Where("group_id = ? AND user_id = ?", groupID, userID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("remove member: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.E(errs.NotFound, "User %s is not a member of group %s.", userID, groupID)
	}
	return s.revokeUser(ctx, userID)
}

// IsMember reports whether a user is in a group.
func (s *Service) IsMember(ctx context.Context, groupID, userID string) (bool, error) {
	return s.db.NewSelect().Model((*groupMember)(nil)).Where("group_id = ? AND user_id = ?", groupID, userID).Exists(ctx)
}

// ---- roles ----

// RolePatch holds the fields of a role update.
type RolePatch struct {
	Name        *string
	Description *string
}

// CreateRole stores a new role.
func (s *Service) CreateRole(ctx context.Context, r Role) (*Role, error) {
	if err := checkName("role.name", r.Name); err != nil {
		return nil, err
	}
	if err := s.insertNew(ctx, &r, &r.ID, &r.CreatedAt, &r.UpdatedAt, "role", r.Name); err != nil {
		return nil, err
	}
	return &r, nil
}

// GetRole returns a role by id.
func (s *Service) GetRole(ctx context.Context, id string) (*Role, error) {
	return getRow[Role](ctx, s.db, "role", id)
}

// FindRole returns a role by id or name.
func (s *Service) FindRole(ctx context.Context, id, name string) (*Role, error) {
	return findRow[Role](ctx, s.db, "role", id, name, nil)
}

// ListRoles lists roles by name, optionally only one name.
func (s *Service) ListRoles(ctx context.Context, name string) ([]Role, error) {
	return listRows[Role](ctx, s.db.NewSelect().Order("name"), "roles", listFilter{name: name})
}

// UpdateRole changes a role; the built-in roles cannot be renamed.
func (s *Service) UpdateRole(ctx context.Context, id string, p RolePatch) (*Role, error) {
	r, err := s.GetRole(ctx, id)
	if err != nil {
		return nil, err
	}
	if p.Name != nil && *p.Name != r.Name {
		if r.Builtin {
			return nil, errs.E(errs.Forbidden, "The built-in role %s cannot be renamed.", r.Name)
		}
		if err := checkName("role.name", *p.Name); err != nil {
			return nil, err
		}
		r.Name = *p.Name
	}
	if p.Description != nil {
		r.Description = *p.Description
	}
	r.UpdatedAt = s.now()
	if _, err := s.db.NewUpdate().Model(r).WherePK().Column("name", "description", "updated_at").Exec(ctx); err != nil {
		return nil, conflict(err, "role", r.Name)
	}
	return r, nil
}

// DeleteRole deletes a role and its assignments, and revokes the tokens of
// everyone who held it; the built-in roles cannot be deleted.
func (s *Service) DeleteRole(ctx context.Context, id string) error {
	r, err := s.GetRole(ctx, id)
	if err != nil {
		return err
	}
	if r.Builtin {
		return errs.E(errs.Forbidden, "The built-in role %s cannot be deleted.", r.Name)
	}
	var as []Assignment
	if err := s.db.NewSelect().Model(&as).Where("role_id = ?", id).Scan(ctx); err != nil {
		return err
	}
	if _, err := s.db.NewDelete().Model((*Role)(nil)).Where("id = ?", id).Exec(ctx); err != nil {
		return fmt.Errorf("delete role %s: %w", id, err)
	}
	// Assignments cascade; revoke the tokens that may carry the role.
	for _, a := range as {
		if err := s.revokeActor(ctx, a.ActorType, a.ActorID); err != nil {
			return err
		}
	}
	return nil
}
