-- +goose Up
-- Rating configuration: module settings, hashmap rules, scripts, collector
-- mappings and states. rating_revision counts configuration changes so that
-- every process reloads its compiled rules only when they changed.
CREATE TABLE rating_revision (
    id         INTEGER PRIMARY KEY,
    revision   BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE rating_modules (
    name       TEXT PRIMARY KEY,
    enabled    BOOLEAN NOT NULL,
    priority   INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE hashmap_services (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX hashmap_services_name_idx ON hashmap_services (name);

CREATE TABLE hashmap_fields (
    id         TEXT PRIMARY KEY,
    service_id TEXT NOT NULL,
    name       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX hashmap_fields_name_idx ON hashmap_fields (service_id, name);

CREATE TABLE hashmap_groups (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX hashmap_groups_name_idx ON hashmap_groups (name);

-- cost and level are exact decimal text, never floating point.
CREATE TABLE hashmap_mappings (
    id         TEXT PRIMARY KEY,
    service_id TEXT NOT NULL DEFAULT '',
    field_id   TEXT NOT NULL DEFAULT '',
    value      TEXT NOT NULL DEFAULT '',
    type       TEXT NOT NULL,
    cost       TEXT NOT NULL,
    group_id   TEXT NOT NULL DEFAULT '',
    tenant_id  TEXT NOT NULL DEFAULT '',
    start_at   TIMESTAMP,
    end_at     TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX hashmap_mappings_service_idx ON hashmap_mappings (service_id);
CREATE INDEX hashmap_mappings_field_idx ON hashmap_mappings (field_id);
CREATE INDEX hashmap_mappings_group_idx ON hashmap_mappings (group_id);

CREATE TABLE hashmap_thresholds (
    id         TEXT PRIMARY KEY,
    service_id TEXT NOT NULL DEFAULT '',
    field_id   TEXT NOT NULL DEFAULT '',
    level      TEXT NOT NULL,
    type       TEXT NOT NULL,
    cost       TEXT NOT NULL,
    group_id   TEXT NOT NULL DEFAULT '',
    tenant_id  TEXT NOT NULL DEFAULT '',
    start_at   TIMESTAMP,
    end_at     TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX hashmap_thresholds_service_idx ON hashmap_thresholds (service_id);
CREATE INDEX hashmap_thresholds_field_idx ON hashmap_thresholds (field_id);
CREATE INDEX hashmap_thresholds_group_idx ON hashmap_thresholds (group_id);

CREATE TABLE pyscripts_scripts (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    data       TEXT NOT NULL,
    checksum   TEXT NOT NULL,
    start_at   TIMESTAMP,
    end_at     TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX pyscripts_scripts_name_idx ON pyscripts_scripts (name);

CREATE TABLE rating_collector_mappings (
    service    TEXT PRIMARY KEY,
    collector  TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE rating_collector_states (
    name       TEXT PRIMARY KEY,
    enabled    BOOLEAN NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- One row per scope (project): last_processed is the beginning of the last
-- rated period (NULL: nothing rated yet). lock_owner/lock_until lease the
-- scope to one process at a time.
CREATE TABLE rating_scopes (
    scope_id       TEXT PRIMARY KEY,
    scope_key      TEXT NOT NULL DEFAULT 'project_id',
    fetcher        TEXT NOT NULL DEFAULT 'inventory',
    collector      TEXT NOT NULL DEFAULT 'inventory',
    active         BOOLEAN NOT NULL DEFAULT TRUE,
    last_processed TIMESTAMP,
    lock_owner     TEXT NOT NULL DEFAULT '',
    lock_until     BIGINT NOT NULL DEFAULT 0,
    last_error     TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
CREATE INDEX rating_scopes_active_idx ON rating_scopes (active, last_processed);

-- A metric of a scope whose collection failed: periods from retry_from up to
-- the scope's last_processed are rated again for that metric alone.
CREATE TABLE rating_scope_failures (
    scope_id   TEXT NOT NULL,
    metric     TEXT NOT NULL,
    retry_from TIMESTAMP NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 1,
    error      TEXT NOT NULL,
    first_failed_at TIMESTAMP NOT NULL,
    failed_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (scope_id, metric)
);

-- +goose Down
DROP TABLE rating_scope_failures;
DROP TABLE rating_scopes;
DROP TABLE rating_collector_states;
DROP TABLE rating_collector_mappings;
DROP TABLE pyscripts_scripts;
DROP TABLE hashmap_thresholds;
DROP TABLE hashmap_mappings;
DROP TABLE hashmap_groups;
DROP TABLE hashmap_fields;
DROP TABLE hashmap_services;
DROP TABLE rating_modules;
DROP TABLE rating_revision;
