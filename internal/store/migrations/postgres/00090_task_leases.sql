-- +goose Up
-- Leases on names rather than task rows, by the same rule as a task's lease
-- (lease_owner, lease_until in Unix ms): the rating processor holds each
-- scope it rates with one. The scopes' own lock columns are retired.
CREATE TABLE task_leases (
    id          TEXT PRIMARY KEY,
    lease_owner TEXT NOT NULL DEFAULT '',
    lease_until BIGINT NOT NULL DEFAULT 0
);
ALTER TABLE rating_scopes DROP COLUMN lock_owner;
ALTER TABLE rating_scopes DROP COLUMN lock_until;

-- +goose Down
ALTER TABLE rating_scopes ADD COLUMN lock_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE rating_scopes ADD COLUMN lock_until BIGINT NOT NULL DEFAULT 0;
DROP TABLE task_leases;
