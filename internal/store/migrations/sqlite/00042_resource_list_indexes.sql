-- +goose Up
-- A resource list is one kind, the caller's projects (or everything), live
-- rows, newest first, often a status and a name filter, and a total count.
-- These partial indexes over live rows give the rows in list order
-- (created_at, then id, both descending) so that a page stops after its
-- rows, and hold status and name so that filters and counts read the index
-- alone. They are partial rather than led by deleted_at because PostgreSQL
-- orders by an index only past columns compared with "=", not "IS NULL";
-- deleted_at comes last only so that SQLite sees the index cover the query.
DROP INDEX resources_list_idx;
DROP INDEX resources_kind_created_idx;
CREATE INDEX resources_list_idx ON resources (kind, project_id, created_at, id, status, name, deleted_at) WHERE deleted_at IS NULL;
CREATE INDEX resources_all_idx ON resources (kind, created_at, id, status, name, deleted_at) WHERE deleted_at IS NULL;
CREATE INDEX resources_count_idx ON resources (kind, project_id, status, name, deleted_at) WHERE deleted_at IS NULL;
-- The sync skips a kind while one of its rows is busy in a task; rows are
-- rarely busy, so this index is nearly empty and the check is a lookup.
CREATE INDEX resources_busy_idx ON resources (cloudaccount_id, cloudregion_id, kind) WHERE busy_task_id <> '';
-- A sync reads (external id, id, fingerprint, deleted_at) of every row of a
-- kind in a region, and counts an account's live rows by kind. This index
-- answers both alone. It is in id order (ids are time-ordered), so a sync's
-- inserts append to it rather than land all over it.
CREATE INDEX resources_sync_idx ON resources (cloudaccount_id, cloudregion_id, kind, id, external_id, fingerprint, deleted_at);

-- +goose Down
DROP INDEX resources_sync_idx;
DROP INDEX resources_busy_idx;
DROP INDEX resources_count_idx;
DROP INDEX resources_all_idx;
DROP INDEX resources_list_idx;
CREATE INDEX resources_list_idx ON resources (kind, project_id, deleted_at, status, created_at, name);
CREATE INDEX resources_kind_created_idx ON resources (kind, created_at);
