package identity

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
)

// AdminPasswordEnv names the variable holding the bootstrap admin's password.
const AdminPasswordEnv = "SKYFOLD_ADMIN_PASSWORD"

// BootstrapOptions tune Bootstrap.
type BootstrapOptions struct {
	// AdminPassword is the password of the admin user created on first
	// start; when empty one is generated and written once to Console.
	AdminPassword string
	// Console receives the generated password (and nothing else). It is
	// not a logger: the password must never reach the logs.
	Console io.Writer
}

// BootstrapResult says what Bootstrap did.
type BootstrapResult struct {
	AdminCreated      bool
	PasswordGenerated bool
	AdminUserID       string
	AdminProjectID    string
}

// Bootstrap makes sure the identity model holds what every deployment needs,
// and loads keys, policies and revocations. On first start it creates the
// domain Default, its project "system" (the admin project: roles on it act
// on the whole system), the roles admin, member and reader, the default
// policies, and the user admin with the admin role on the system and on
// project system. It is idempotent and safe when several processes start at
// once: each object is created by exactly one of them.
func (s *Service) Bootstrap(ctx context.Context, opts BootstrapOptions) (BootstrapResult, error) {
	var res BootstrapResult
	if err := s.loadKeys(ctx); err != nil {
		return res, err
	}
	now := s.now()
	d := &Domain{ID: DefaultDomainID, Name: DefaultDomainName, Description: "The default domain", Enabled: true, CreatedAt: now, UpdatedAt: now}
	if _, err := s.db.NewInsert().Model(d).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
		return res, fmt.Errorf("bootstrap domain: %w", err)
	}
	roles := map[string]string{}
	for _, name := range []string{RoleAdmin, RoleMember, RoleReader} {
		r := &Role{ID: NewID(), Name: name, Builtin: true, CreatedAt: now, UpdatedAt: now}
		if _, err := s.db.NewInsert().Model(r).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
			return res, fmt.Errorf("bootstrap role %s: %w", name, err)
		}
		got, err := s.FindRole(ctx, "", name)
		if err != nil {
			return res, fmt.Errorf("bootstrap role %s: %w", name, err)
		}
		roles[name] = got.ID
	}
	p := &Project{ID: NewID(), DomainID: DefaultDomainID, Name: AdminProjectName, Description: "The admin project: its roles act on the whole system",
		Enabled: true, Admin: true, Tags: []string{}, CreatedAt: now, UpdatedAt: now}
	if _, err := s.db.NewInsert().Model(p).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
		return res, fmt.Errorf("bootstrap project: %w", err)
	}
	admProject, err := s.FindProject(ctx, "", AdminProjectName, DefaultDomainID)
	if err != nil {
		return res, fmt.Errorf("bootstrap project: %w", err)
	}
	res.AdminProjectID = admProject.ID
	for _, pol := range DefaultPolicies() {
		pol.ID, pol.CreatedAt, pol.UpdatedAt = NewID(), now, now
		if _, err := s.db.NewInsert().Model(&pol).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
			return res, fmt.Errorf("bootstrap policy %s: %w", pol.Name, err)
		}
	}
	if existing, err := s.FindUser(ctx, "", AdminUserName, DefaultDomainID); err == nil {
		res.AdminUserID = existing.ID
		return res, s.Load(ctx)
	}
	password := opts.AdminPassword
	if password == "" {
		b := make([]byte, 18)
		_, _ = rand.Read(b)
		password = base64.RawURLEncoding.EncodeToString(b)
		res.PasswordGenerated = true
	}
	h, err := s.hash.Hash(ctx, password)
	if err != nil {
		return res, err
	}
	u := &User{ID: NewID(), DomainID: DefaultDomainID, Name: AdminUserName, PasswordHash: h, Enabled: true,
		DefaultProjectID: admProject.ID, Description: "Bootstrap administrator", PasswordChangedAt: &now, CreatedAt: now, UpdatedAt: now}
	r, err := s.db.NewInsert().Model(u).On("CONFLICT DO NOTHING").Exec(ctx)
	if err != nil {
		return res, fmt.Errorf("bootstrap admin user: %w", err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		// Another process created it a moment ago.
		existing, err := s.FindUser(ctx, "", AdminUserName, DefaultDomainID)
		if err != nil {
			return res, err
		}
		res.AdminUserID = existing.ID
		return res, s.Load(ctx)
	}
	res.AdminCreated, res.AdminUserID = true, u.ID
	for _, a := range []Assignment{
		{ActorType: ActorUser, ActorID: u.ID, TargetType: TargetSystem, TargetID: SystemTarget, RoleID: roles[RoleAdmin]},
		{ActorType: ActorUser, ActorID: u.ID, TargetType: TargetProject, TargetID: admProject.ID, RoleID: roles[RoleAdmin]},
	} {
		if err := s.GrantRole(ctx, a); err != nil {
			return res, fmt.Errorf("bootstrap admin role: %w", err)
		}
	}
	if res.PasswordGenerated && opts.Console != nil {
		fmt.Fprintf(opts.Console, "\n"+
			"  Skyfold created the user %q in domain %q with this password:\n\n"+
			"      %s\n\n"+
			"  It is shown only this once and never logged. Log in with\n"+
			"      skyfold login --user %s\n"+
			"  and change it with PATCH /v3/users/%s, or set %s before the first start.\n\n",
			AdminUserName, DefaultDomainName, password, AdminUserName, u.ID, AdminPasswordEnv)
	}
	return res, s.Load(ctx)
}
