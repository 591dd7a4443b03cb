-- +goose Up
-- A resource list is one kind, the caller's projects (or everything), live
-- rows, newest first, often a status and a name filter, and a total count.
-- These indexes give the rows in list order (created_at, then id, both
-- descending) so a page stops after its rows, and hold status and name so
-- that the filters and the count read the index alone.
DROP INDEX resources_list_idx;
DROP INDEX resources_kind_created_idx;
CREATE INDEX resources_list_idx ON resources (kind, project_id, deleted_at, created_at, id, status, name);
CREATE INDEX resources_all_idx ON resources (kind, deleted_at, created_at, id, status, name);
CREATE INDEX resources_count_idx ON resources (kind, project_id, deleted_at, status, name);

-- +goose Down
DROP INDEX resources_count_idx;
DROP INDEX resources_all_idx;
DROP INDEX resources_list_idx;
CREATE INDEX resources_list_idx ON resources (kind, project_id, deleted_at, status, created_at, name);
CREATE INDEX resources_kind_created_idx ON resources (kind, created_at);
