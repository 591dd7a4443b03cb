-- +goose Up
CREATE TABLE clusters (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    provider        TEXT NOT NULL,
    cloudaccount_id TEXT NOT NULL,
    account_key     TEXT NOT NULL,
    region_id       TEXT NOT NULL,
    zone_id         TEXT NOT NULL,
    instance_type   TEXT NOT NULL,
    image_id        TEXT NOT NULL,
    password        TEXT NOT NULL DEFAULT '',
    network         TEXT NOT NULL DEFAULT '{}',
    charge          TEXT NOT NULL DEFAULT '{}',
    disks           TEXT NOT NULL DEFAULT '{}',
    tags            TEXT NOT NULL DEFAULT '{}',
    domain_id       TEXT NOT NULL DEFAULT '',
    project_id      TEXT NOT NULL DEFAULT '',
    created_by      TEXT NOT NULL DEFAULT '',
    active_task_id  TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX clusters_name_idx ON clusters (name);
CREATE INDEX clusters_account_idx ON clusters (cloudaccount_id);
CREATE INDEX clusters_owner_idx ON clusters (domain_id, project_id);

CREATE TABLE cluster_instances (
    id              TEXT PRIMARY KEY,
    cluster_id      TEXT NOT NULL,
    cluster_name    TEXT NOT NULL,
    cloudaccount_id TEXT NOT NULL,
    account_key     TEXT NOT NULL,
    provider        TEXT NOT NULL,
    region_id       TEXT NOT NULL,
    zone_id         TEXT NOT NULL DEFAULT '',
    instance_id     TEXT NOT NULL,
    instance_type   TEXT NOT NULL DEFAULT '',
    image_id        TEXT NOT NULL DEFAULT '',
    charge_type     TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL,
    ip_inner        TEXT NOT NULL DEFAULT '',
    ip_outer        TEXT NOT NULL DEFAULT '',
    storage         TEXT NOT NULL DEFAULT '{}',
    network         TEXT NOT NULL DEFAULT '{}',
    expand_task_id  TEXT NOT NULL DEFAULT '',
    batch_seq       INTEGER NOT NULL DEFAULT 0,
    shrink_task_id  TEXT NOT NULL DEFAULT '',
    error           TEXT NOT NULL DEFAULT '',
    domain_id       TEXT NOT NULL DEFAULT '',
    project_id      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    running_at      TIMESTAMP,
    deleted_at      TIMESTAMP,
    updated_at      TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX cluster_instances_cloud_idx ON cluster_instances (cloudaccount_id, instance_id);
CREATE INDEX cluster_instances_cluster_idx ON cluster_instances (cluster_id, status);
CREATE INDEX cluster_instances_expand_idx ON cluster_instances (expand_task_id, status);
CREATE INDEX cluster_instances_shrink_idx ON cluster_instances (shrink_task_id);
CREATE INDEX cluster_instances_ip_idx ON cluster_instances (ip_inner);
CREATE INDEX cluster_instances_created_idx ON cluster_instances (created_at);

CREATE TABLE cluster_tasks (
    id              TEXT PRIMARY KEY,
    cluster_id      TEXT NOT NULL,
    cluster_name    TEXT NOT NULL,
    cloudaccount_id TEXT NOT NULL,
    account_key     TEXT NOT NULL,
    name            TEXT NOT NULL DEFAULT '',
    action          TEXT NOT NULL,
    status          TEXT NOT NULL,
    requested       INTEGER NOT NULL DEFAULT 0,
    succeeded       INTEGER NOT NULL DEFAULT 0,
    failed          INTEGER NOT NULL DEFAULT 0,
    ips             TEXT NOT NULL DEFAULT '[]',
    error           TEXT NOT NULL DEFAULT '',
    domain_id       TEXT NOT NULL DEFAULT '',
    project_id      TEXT NOT NULL DEFAULT '',
    created_by      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    started_at      TIMESTAMP,
    finished_at     TIMESTAMP,
    updated_at      TIMESTAMP NOT NULL
);
CREATE INDEX cluster_tasks_created_idx ON cluster_tasks (created_at);
CREATE INDEX cluster_tasks_cluster_idx ON cluster_tasks (cluster_id, status);
CREATE INDEX cluster_tasks_account_idx ON cluster_tasks (account_key);

CREATE TABLE cluster_task_batches (
    task_id       TEXT NOT NULL REFERENCES cluster_tasks(id) ON DELETE CASCADE,
    seq           INTEGER NOT NULL,
    round         INTEGER NOT NULL DEFAULT 1,
    kind          TEXT NOT NULL,
    amount        INTEGER NOT NULL,
    done          INTEGER NOT NULL DEFAULT 0,
    client_token  TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    error_code    TEXT NOT NULL DEFAULT '',
    error_message TEXT NOT NULL DEFAULT '',
    request_id    TEXT NOT NULL DEFAULT '',
    started_at    TIMESTAMP,
    finished_at   TIMESTAMP,
    PRIMARY KEY (task_id, seq)
);

CREATE TABLE cluster_usage_intervals (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id     TEXT NOT NULL,
    cloudaccount_id TEXT NOT NULL,
    account_key     TEXT NOT NULL DEFAULT '',
    cluster_id      TEXT NOT NULL,
    cluster_name    TEXT NOT NULL,
    provider        TEXT NOT NULL DEFAULT '',
    region_id       TEXT NOT NULL DEFAULT '',
    instance_type   TEXT NOT NULL DEFAULT '',
    hourly_price    TEXT NOT NULL DEFAULT '',
    currency        TEXT NOT NULL DEFAULT '',
    domain_id       TEXT NOT NULL DEFAULT '',
    project_id      TEXT NOT NULL DEFAULT '',
    started_at      TIMESTAMP NOT NULL,
    stopped_at      TIMESTAMP
);
CREATE UNIQUE INDEX cluster_usage_intervals_start_idx ON cluster_usage_intervals (cloudaccount_id, instance_id, started_at);
CREATE INDEX cluster_usage_intervals_span_idx ON cluster_usage_intervals (started_at, stopped_at);
CREATE INDEX cluster_usage_intervals_cluster_idx ON cluster_usage_intervals (cluster_name, started_at);

-- +goose Down
DROP TABLE cluster_usage_intervals;
DROP TABLE cluster_task_batches;
DROP TABLE cluster_tasks;
DROP TABLE cluster_instances;
DROP TABLE clusters;
