// Package identity owns Skyfold's tenancy and access model: domains, projects
// in a domain, users (local password, enabled flag, lockout state, default
// project), groups and their members, roles, role assignments of a user or a
// group on the system, a domain or a project (optionally inherited to a
// domain's projects), policies binding roles to allowed
// service/resource/action rules with a maximum scope, application
// credentials for machine clients, signed self-validating tokens with a
// revocation list, the audit log of mutating calls, and the per-token and
// per-IP rate limiter. HTTP faces (Keystone v3 and the others) are adapters
// around it.
package identity

import (
	"time"

	"github.com/uptrace/bun"
)

// DefaultDomainID is the id of the domain created at bootstrap. Keystone
// clients assume a domain with the id "default" exists.
const DefaultDomainID = "default"

// Names of what bootstrap creates.
const (
	DefaultDomainName = "Default"
	AdminProjectName  = "system"
	AdminUserName     = "admin"
	RoleAdmin         = "admin"
	RoleMember        = "member"
	RoleReader        = "reader"
)

// SystemTarget is the target id of system role assignments.
const SystemTarget = "all"

// Domain is a tenant: it owns projects, users and groups.
type Domain struct {
	bun.BaseModel `bun:"table:identity_domains"`

	ID          string    `bun:"id,pk"`
	Name        string    `bun:"name"`
	Description string    `bun:"description"`
	Enabled     bool      `bun:"enabled"`
	CreatedAt   time.Time `bun:"created_at"`
	UpdatedAt   time.Time `bun:"updated_at"`
}

// Project is a unit of ownership inside a domain; cloud resources, tasks and
// costs belong to a project.
type Project struct {
	bun.BaseModel `bun:"table:identity_projects"`

	ID          string    `bun:"id,pk"`
	DomainID    string    `bun:"domain_id"`
	Name        string    `bun:"name"`
	Description string    `bun:"description"`
	Enabled     bool      `bun:"enabled"`
	Admin       bool      `bun:"admin"` // the bootstrap "system" project: roles here act on the system
	Tags        []string  `bun:"tags,type:text"`
	CreatedAt   time.Time `bun:"created_at"`
	UpdatedAt   time.Time `bun:"updated_at"`
}

// User is a local user with a password.
type User struct {
	bun.BaseModel `bun:"table:identity_users"`

	ID                string     `bun:"id,pk"`
	DomainID          string     `bun:"domain_id"`
	Name              string     `bun:"name"`
	PasswordHash      string     `bun:"password_hash"`
	Enabled           bool       `bun:"enabled"`
	DefaultProjectID  string     `bun:"default_project_id"`
	Email             string     `bun:"email"`
	Description       string     `bun:"description"`
	FailedLogins      int        `bun:"failed_logins"`
	LockedUntil       int64      `bun:"locked_until"` // unix ms; 0 = not locked
	PasswordChangedAt *time.Time `bun:"password_changed_at"`
	LastLoginAt       *time.Time `bun:"last_login_at"`
	CreatedAt         time.Time  `bun:"created_at"`
	UpdatedAt         time.Time  `bun:"updated_at"`
}

// Locked reports whether the user is locked out at now.
func (u *User) Locked(now time.Time) bool { return u.LockedUntil > now.UnixMilli() }

// Group is a set of users of one domain; roles assigned to it apply to every
// member.
type Group struct {
	bun.BaseModel `bun:"table:identity_groups"`

	ID          string    `bun:"id,pk"`
	DomainID    string    `bun:"domain_id"`
	Name        string    `bun:"name"`
	Description string    `bun:"description"`
	CreatedAt   time.Time `bun:"created_at"`
	UpdatedAt   time.Time `bun:"updated_at"`
}

type groupMember struct {
	bun.BaseModel `bun:"table:identity_group_members"`

	GroupID   string    `bun:"group_id,pk"`
	UserID    string    `bun:"user_id,pk"`
	CreatedAt time.Time `bun:"created_at"`
}

// Role is a named set of permissions; policies say what a role may do.
type Role struct {
	bun.BaseModel `bun:"table:identity_roles"`

	ID          string    `bun:"id,pk"`
	Name        string    `bun:"name"`
	Description string    `bun:"description"`
	Builtin     bool      `bun:"builtin"`
	CreatedAt   time.Time `bun:"created_at"`
	UpdatedAt   time.Time `bun:"updated_at"`
}

// RoleRef names a role inside a token.
type RoleRef struct {
	ID   string `json:"i"`
	Name string `json:"n"`
}

// Actor types of an assignment.
const (
	ActorUser  = "user"
	ActorGroup = "group"
)

// Target types of an assignment.
const (
	TargetSystem  = "system"
	TargetDomain  = "domain"
	TargetProject = "project"
)

// Assignment gives an actor (user or group) a role on a target (the system,
// a domain or a project). An inherited domain assignment applies to each of
// the domain's projects and not to the domain itself.
type Assignment struct {
	bun.BaseModel `bun:"table:identity_assignments"`

	ActorType  string    `bun:"actor_type,pk"`
	ActorID    string    `bun:"actor_id,pk"`
	TargetType string    `bun:"target_type,pk"`
	TargetID   string    `bun:"target_id,pk"`
	RoleID     string    `bun:"role_id,pk"`
	Inherited  bool      `bun:"inherited,pk"`
	CreatedAt  time.Time `bun:"created_at"`

	// Set by effective listings: the group an assignment came through, and
	// the domain an inherited assignment came from.
	ViaGroupID  string `bun:"-"`
	ViaDomainID string `bun:"-"`
}

// Policy binds roles to rules. A rule is "service/resource/action" where each
// part may be "*"; a leading "!" makes it a deny rule. Rules are tried in
// order and the first that matches decides. Scope is the widest breadth the
// policy grants: a policy of scope domain used with a system token reaches
// only the user's own domain.
type Policy struct {
	bun.BaseModel `bun:"table:identity_policies"`

	ID          string    `bun:"id,pk"`
	Name        string    `bun:"name"`
	Description string    `bun:"description"`
	Scope       string    `bun:"scope"`
	Roles       []string  `bun:"roles,type:text"`
	Rules       []string  `bun:"rules,type:text"`
	Enabled     bool      `bun:"enabled"`
	Builtin     bool      `bun:"builtin"`
	CreatedAt   time.Time `bun:"created_at"`
	UpdatedAt   time.Time `bun:"updated_at"`
}

// AppCredential lets a machine client authenticate as a user on one project
// with a subset of the user's roles, without the user's password.
type AppCredential struct {
	bun.BaseModel `bun:"table:identity_app_credentials"`

	ID           string     `bun:"id,pk"`
	UserID       string     `bun:"user_id"`
	Name         string     `bun:"name"`
	Description  string     `bun:"description"`
	SecretHash   string     `bun:"secret_hash"`
	ProjectID    string     `bun:"project_id"`
	Roles        []RoleRef  `bun:"roles,type:text"`
	Unrestricted bool       `bun:"unrestricted"`
	ExpiresAt    *time.Time `bun:"expires_at"`
	CreatedAt    time.Time  `bun:"created_at"`
}

type signingKey struct {
	bun.BaseModel `bun:"table:identity_keys"`

	ID        string    `bun:"id,pk"`
	Secret    string    `bun:"secret"`
	CreatedAt time.Time `bun:"created_at"`
}

type revocation struct {
	bun.BaseModel `bun:"table:identity_revocations"`

	ID           int64     `bun:"id,pk,autoincrement"`
	TokenID      string    `bun:"token_id"`
	UserID       string    `bun:"user_id"`
	ProjectID    string    `bun:"project_id"`
	DomainID     string    `bun:"domain_id"`
	AppCredID    string    `bun:"app_cred_id"`
	IssuedBefore int64     `bun:"issued_before"`
	ExpiresAt    time.Time `bun:"expires_at"`
	CreatedAt    time.Time `bun:"created_at"`
}

// AuditEvent is one mutating call as the audit log keeps it. It never holds
// a secret: no bodies, no tokens, no passwords.
type AuditEvent struct {
	bun.BaseModel `bun:"table:identity_audit"`

	ID         int64     `bun:"id,pk,autoincrement" json:"id"`
	At         time.Time `bun:"at" json:"at"`
	RequestID  string    `bun:"request_id" json:"request_id"`
	UserID     string    `bun:"user_id" json:"user_id"`
	UserName   string    `bun:"user_name" json:"user_name"`
	DomainID   string    `bun:"domain_id" json:"domain_id"`
	ProjectID  string    `bun:"project_id" json:"project_id"`
	Service    string    `bun:"service" json:"service"`
	ObjectType string    `bun:"object_type" json:"object_type"`
	ObjectID   string    `bun:"object_id" json:"object_id"`
	ObjectName string    `bun:"object_name" json:"object_name"`
	Action     string    `bun:"action" json:"action"`
	Result     string    `bun:"result" json:"result"` // success or failure
	Status     int       `bun:"status" json:"status"`
	Method     string    `bun:"method" json:"method"`
	Path       string    `bun:"path" json:"path"`
	ClientIP   string    `bun:"client_ip" json:"client_ip"`
}
