-- +goose Up
CREATE TABLE tasks (
    id               TEXT PRIMARY KEY,
    type             TEXT NOT NULL,
    object_type      TEXT NOT NULL DEFAULT '',
    object_id        TEXT NOT NULL DEFAULT '',
    object_name      TEXT NOT NULL DEFAULT '',
    domain_id        TEXT NOT NULL DEFAULT '',
    project_id       TEXT NOT NULL DEFAULT '',
    user_id          TEXT NOT NULL DEFAULT '',
    parent_id        TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL,
    stage            INTEGER NOT NULL DEFAULT 0,
    stage_name       TEXT NOT NULL DEFAULT '',
    progress         DOUBLE PRECISION NOT NULL DEFAULT 0,
    params           TEXT NOT NULL DEFAULT '{}',
    state            TEXT NOT NULL DEFAULT '{}',
    result           TEXT NOT NULL DEFAULT '{}',
    error            TEXT NOT NULL DEFAULT '',
    attempt          INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL DEFAULT 1,
    cancel_requested BOOLEAN NOT NULL DEFAULT FALSE,
    lease_owner      TEXT NOT NULL DEFAULT '',
    lease_until      BIGINT NOT NULL DEFAULT 0,
    next_run_at      BIGINT NOT NULL DEFAULT 0,
    worker           TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    started_at       TIMESTAMPTZ,
    finished_at      TIMESTAMPTZ
);
CREATE INDEX tasks_status_idx ON tasks (status, next_run_at);
CREATE INDEX tasks_object_idx ON tasks (object_type, object_id);
CREATE INDEX tasks_parent_idx ON tasks (parent_id);
CREATE INDEX tasks_created_idx ON tasks (created_at);

CREATE TABLE task_logs (
    id      BIGSERIAL PRIMARY KEY,
    task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    at      TIMESTAMPTZ NOT NULL,
    level   TEXT NOT NULL,
    stage   TEXT NOT NULL DEFAULT '',
    worker  TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL
);
CREATE INDEX task_logs_task_idx ON task_logs (task_id, id);

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    secret     BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE settings;
DROP TABLE task_logs;
DROP TABLE tasks;
