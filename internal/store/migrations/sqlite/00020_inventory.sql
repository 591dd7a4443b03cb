-- +goose Up
CREATE TABLE cloudaccounts (
    id                    TEXT PRIMARY KEY,
    name                  TEXT NOT NULL,
    description           TEXT NOT NULL DEFAULT '',
    provider              TEXT NOT NULL,
    brand                 TEXT NOT NULL,
    access_url            TEXT NOT NULL DEFAULT '',
    account               TEXT NOT NULL,
    secret                TEXT NOT NULL DEFAULT '',
    account_id            TEXT NOT NULL DEFAULT '',
    cloud_env             TEXT NOT NULL DEFAULT '',
    is_public_cloud       BOOLEAN NOT NULL DEFAULT FALSE,
    is_on_premise         BOOLEAN NOT NULL DEFAULT FALSE,
    status                TEXT NOT NULL,
    health_status         TEXT NOT NULL,
    sync_status           TEXT NOT NULL,
    progress              REAL NOT NULL DEFAULT 0,
    enabled               BOOLEAN NOT NULL DEFAULT TRUE,
    read_only             BOOLEAN NOT NULL DEFAULT FALSE,
    domain_id             TEXT NOT NULL DEFAULT '',
    project_id            TEXT NOT NULL DEFAULT '',
    share_mode            TEXT NOT NULL DEFAULT 'account_domain',
    public_scope          TEXT NOT NULL DEFAULT 'none',
    balance               TEXT NOT NULL DEFAULT '0',
    currency              TEXT NOT NULL DEFAULT '',
    error_count           INTEGER NOT NULL DEFAULT 0,
    last_error            TEXT NOT NULL DEFAULT '',
    sync_interval_seconds INTEGER NOT NULL DEFAULT 3600,
    sync_regions          TEXT NOT NULL DEFAULT '[]',
    sync_task_id          TEXT NOT NULL DEFAULT '',
    sync_count            INTEGER NOT NULL DEFAULT 0,
    counts                TEXT NOT NULL DEFAULT '{}',
    options               TEXT NOT NULL DEFAULT '{}',
    probe_at              TIMESTAMP,
    last_sync_at          TIMESTAMP,
    created_at            TIMESTAMP NOT NULL,
    updated_at            TIMESTAMP NOT NULL,
    update_version        INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX cloudaccounts_identity_idx ON cloudaccounts (provider, account, access_url);
CREATE INDEX cloudaccounts_owner_idx ON cloudaccounts (domain_id, project_id);

CREATE TABLE cloudproviders (
    id              TEXT PRIMARY KEY,
    cloudaccount_id TEXT NOT NULL REFERENCES cloudaccounts(id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    account         TEXT NOT NULL,
    provider        TEXT NOT NULL,
    enabled         BOOLEAN NOT NULL DEFAULT TRUE,
    status          TEXT NOT NULL,
    health_status   TEXT NOT NULL,
    domain_id       TEXT NOT NULL DEFAULT '',
    project_id      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
CREATE INDEX cloudproviders_account_idx ON cloudproviders (cloudaccount_id);

CREATE TABLE cloudregions (
    id          TEXT PRIMARY KEY,
    provider    TEXT NOT NULL,
    external_id TEXT NOT NULL,
    region_id   TEXT NOT NULL,
    name        TEXT NOT NULL,
    local_name  TEXT NOT NULL DEFAULT '',
    cloud_env   TEXT NOT NULL DEFAULT '',
    capabilities TEXT NOT NULL DEFAULT '[]',
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX cloudregions_external_idx ON cloudregions (external_id);

CREATE TABLE zones (
    id             TEXT PRIMARY KEY,
    cloudregion_id TEXT NOT NULL REFERENCES cloudregions(id) ON DELETE CASCADE,
    external_id    TEXT NOT NULL,
    zone_id        TEXT NOT NULL,
    name           TEXT NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX zones_external_idx ON zones (external_id);

CREATE TABLE cloudprovider_regions (
    cloudprovider_id TEXT NOT NULL REFERENCES cloudproviders(id) ON DELETE CASCADE,
    cloudregion_id   TEXT NOT NULL REFERENCES cloudregions(id) ON DELETE CASCADE,
    cloudaccount_id  TEXT NOT NULL,
    enabled          BOOLEAN NOT NULL DEFAULT TRUE,
    sync_status      TEXT NOT NULL DEFAULT 'idle',
    last_sync_at     TIMESTAMP,
    last_sync_ms     INTEGER NOT NULL DEFAULT 0,
    last_sync_result TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (cloudprovider_id, cloudregion_id)
);
CREATE INDEX cloudprovider_regions_account_idx ON cloudprovider_regions (cloudaccount_id);

CREATE TABLE resources (
    id               TEXT PRIMARY KEY,
    kind             TEXT NOT NULL,
    cloudaccount_id  TEXT NOT NULL,
    cloudprovider_id TEXT NOT NULL,
    cloudregion_id   TEXT NOT NULL,
    zone_id          TEXT NOT NULL DEFAULT '',
    external_id      TEXT NOT NULL,
    global_id        TEXT NOT NULL DEFAULT '',
    name             TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL DEFAULT '',
    raw_status       TEXT NOT NULL DEFAULT '',
    domain_id        TEXT NOT NULL DEFAULT '',
    project_id       TEXT NOT NULL DEFAULT '',
    vpc_external_id  TEXT NOT NULL DEFAULT '',
    parent_external_id TEXT NOT NULL DEFAULT '',
    instance_type    TEXT NOT NULL DEFAULT '',
    cpu              INTEGER NOT NULL DEFAULT 0,
    memory_mb        INTEGER NOT NULL DEFAULT 0,
    size_gb          INTEGER NOT NULL DEFAULT 0,
    ips              TEXT NOT NULL DEFAULT '',
    charge_type      TEXT NOT NULL DEFAULT '',
    tags             TEXT NOT NULL DEFAULT '{}',
    fingerprint      TEXT NOT NULL DEFAULT '',
    busy_task_id     TEXT NOT NULL DEFAULT '',
    cloud_created_at TIMESTAMP,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    synced_at        TIMESTAMP NOT NULL,
    deleted_at       TIMESTAMP
);
CREATE UNIQUE INDEX resources_external_idx ON resources (cloudaccount_id, kind, cloudregion_id, external_id);
-- The common list — one kind, the caller's projects, live rows, a status,
-- newest first, a name filter — reads this index alone for its count and
-- stops after one page for its rows.
CREATE INDEX resources_list_idx ON resources (kind, project_id, deleted_at, status, created_at, name);
CREATE INDEX resources_kind_created_idx ON resources (kind, created_at);

-- The driver's whole object, apart from the list columns so that scans and
-- counts over resources stay small.
CREATE TABLE resource_data (
    id   TEXT PRIMARY KEY REFERENCES resources(id) ON DELETE CASCADE,
    data TEXT NOT NULL
);

-- +goose Down
DROP TABLE resource_data;
DROP TABLE resources;
DROP TABLE cloudprovider_regions;
DROP TABLE zones;
DROP TABLE cloudregions;
DROP TABLE cloudproviders;
DROP TABLE cloudaccounts;
