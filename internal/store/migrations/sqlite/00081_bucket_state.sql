-- +goose Up
-- update_version counts a bucket's changes (name, status, owner, tags, the
-- cloud's object), as Cloudpods counts every object's updates; a trigger
-- counts them so that every writer, the sync included, is counted alike.
-- source says whether Skyfold created the bucket (local) or found it on the
-- cloud (cloud, what a sync inserts).
ALTER TABLE resources ADD COLUMN update_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE resources ADD COLUMN source TEXT NOT NULL DEFAULT 'cloud';

-- +goose StatementBegin
CREATE TRIGGER resources_bucket_version AFTER UPDATE OF name, status, project_id, domain_id, tags, fingerprint, deleted_at ON resources
FOR EACH ROW WHEN NEW.kind = 'bucket' AND NEW.update_version = OLD.update_version AND (
    NEW.name IS NOT OLD.name OR NEW.status IS NOT OLD.status OR NEW.project_id IS NOT OLD.project_id OR
    NEW.domain_id IS NOT OLD.domain_id OR NEW.tags IS NOT OLD.tags OR NEW.fingerprint IS NOT OLD.fingerprint OR
    NEW.deleted_at IS NOT OLD.deleted_at)
BEGIN
    UPDATE resources SET update_version = OLD.update_version + 1 WHERE id = NEW.id;
END;
-- +goose StatementEnd

-- A bucket's usage as the cloud last reported it (BucketStats).
CREATE TABLE bucket_stats (
    resource_id TEXT PRIMARY KEY REFERENCES resources (id) ON DELETE CASCADE,
    size_bytes  BIGINT NOT NULL,
    object_cnt  BIGINT NOT NULL,
    read_at     TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE bucket_stats;
DROP TRIGGER resources_bucket_version;
ALTER TABLE resources DROP COLUMN source;
ALTER TABLE resources DROP COLUMN update_version;
