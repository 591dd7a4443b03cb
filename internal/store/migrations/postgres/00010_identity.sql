-- +goose Up
-- Identity and tenancy (issue 3): domains, projects, users, groups, roles,
-- role assignments, policies, application credentials, token signing keys,
-- token revocations and the audit log.
CREATE TABLE identity_domains (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    enabled     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX identity_domains_name_idx ON identity_domains (name);

CREATE TABLE identity_projects (
    id          TEXT PRIMARY KEY,
    domain_id   TEXT NOT NULL REFERENCES identity_domains(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    enabled     BOOLEAN NOT NULL DEFAULT TRUE,
    admin       BOOLEAN NOT NULL DEFAULT FALSE,
    tags        TEXT NOT NULL DEFAULT '[]',
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX identity_projects_name_idx ON identity_projects (domain_id, name);

CREATE TABLE identity_users (
    id                  TEXT PRIMARY KEY,
    domain_id           TEXT NOT NULL REFERENCES identity_domains(id) ON DELETE CASCADE,
    name                TEXT NOT NULL,
    password_hash       TEXT NOT NULL DEFAULT '',
    enabled             BOOLEAN NOT NULL DEFAULT TRUE,
    default_project_id  TEXT NOT NULL DEFAULT '',
    email               TEXT NOT NULL DEFAULT '',
    description         TEXT NOT NULL DEFAULT '',
    failed_logins       INTEGER NOT NULL DEFAULT 0,
    locked_until        BIGINT NOT NULL DEFAULT 0,
    password_changed_at TIMESTAMPTZ,
    last_login_at       TIMESTAMPTZ,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX identity_users_name_idx ON identity_users (domain_id, name);

CREATE TABLE identity_groups (
    id          TEXT PRIMARY KEY,
    domain_id   TEXT NOT NULL REFERENCES identity_domains(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX identity_groups_name_idx ON identity_groups (domain_id, name);

CREATE TABLE identity_group_members (
    group_id   TEXT NOT NULL REFERENCES identity_groups(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES identity_users(id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX identity_group_members_user_idx ON identity_group_members (user_id);

CREATE TABLE identity_roles (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    builtin     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX identity_roles_name_idx ON identity_roles (name);

-- actor_type: user | group; target_type: system | domain | project
-- (target_id is 'all' for the system); inherited: a domain assignment that
-- applies to the domain's projects instead of the domain itself.
CREATE TABLE identity_assignments (
    actor_type  TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    role_id     TEXT NOT NULL REFERENCES identity_roles(id) ON DELETE CASCADE,
    inherited   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (actor_type, actor_id, target_type, target_id, role_id, inherited)
);
CREATE INDEX identity_assignments_target_idx ON identity_assignments (target_type, target_id);
CREATE INDEX identity_assignments_role_idx ON identity_assignments (role_id);

CREATE TABLE identity_policies (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    scope       TEXT NOT NULL,
    roles       TEXT NOT NULL DEFAULT '[]',
    rules       TEXT NOT NULL DEFAULT '[]',
    enabled     BOOLEAN NOT NULL DEFAULT TRUE,
    builtin     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX identity_policies_name_idx ON identity_policies (name);

CREATE TABLE identity_app_credentials (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES identity_users(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    secret_hash  TEXT NOT NULL,
    project_id   TEXT NOT NULL,
    roles        TEXT NOT NULL DEFAULT '[]',
    unrestricted BOOLEAN NOT NULL DEFAULT FALSE,
    expires_at   TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX identity_app_credentials_name_idx ON identity_app_credentials (user_id, name);

-- Token signing keys, encrypted with the master key.
CREATE TABLE identity_keys (
    id         TEXT PRIMARY KEY,
    secret     TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- Revocation events: a token matches when every non-empty field equals the
-- token's and the token was issued at or before issued_before (unix µs).
CREATE TABLE identity_revocations (
    id            BIGSERIAL PRIMARY KEY,
    token_id      TEXT NOT NULL DEFAULT '',
    user_id       TEXT NOT NULL DEFAULT '',
    project_id    TEXT NOT NULL DEFAULT '',
    domain_id     TEXT NOT NULL DEFAULT '',
    app_cred_id   TEXT NOT NULL DEFAULT '',
    issued_before BIGINT NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX identity_revocations_created_idx ON identity_revocations (created_at);
CREATE INDEX identity_revocations_expires_idx ON identity_revocations (expires_at);

CREATE TABLE identity_audit (
    id          BIGSERIAL PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL,
    request_id  TEXT NOT NULL DEFAULT '',
    user_id     TEXT NOT NULL DEFAULT '',
    user_name   TEXT NOT NULL DEFAULT '',
    domain_id   TEXT NOT NULL DEFAULT '',
    project_id  TEXT NOT NULL DEFAULT '',
    service     TEXT NOT NULL DEFAULT '',
    object_type TEXT NOT NULL DEFAULT '',
    object_id   TEXT NOT NULL DEFAULT '',
    object_name TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,
    result      TEXT NOT NULL,
    status      INTEGER NOT NULL DEFAULT 0,
    method      TEXT NOT NULL DEFAULT '',
    path        TEXT NOT NULL DEFAULT '',
    client_ip   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX identity_audit_at_idx ON identity_audit (at);
CREATE INDEX identity_audit_project_idx ON identity_audit (project_id, at);
CREATE INDEX identity_audit_domain_idx ON identity_audit (domain_id, at);
CREATE INDEX identity_audit_user_idx ON identity_audit (user_id, at);

-- +goose Down
DROP TABLE identity_audit;
DROP TABLE identity_revocations;
DROP TABLE identity_keys;
DROP TABLE identity_app_credentials;
DROP TABLE identity_policies;
DROP TABLE identity_assignments;
DROP TABLE identity_roles;
DROP TABLE identity_group_members;
DROP TABLE identity_groups;
DROP TABLE identity_users;
DROP TABLE identity_projects;
DROP TABLE identity_domains;
