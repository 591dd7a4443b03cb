-- +goose Up
-- update_version counts a bucket's changes (name, status, owner, tags, the
-- cloud's object), as Cloudpods counts every object's updates; a trigger
-- counts them so that every writer, the sync included, is counted alike.
-- source says whether Skyfold created the bucket (local) or found it on the
-- cloud (cloud, what a sync inserts).
ALTER TABLE resources ADD COLUMN update_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE resources ADD COLUMN source TEXT NOT NULL DEFAULT 'cloud';

-- +goose StatementBegin
CREATE FUNCTION resources_bucket_version() RETURNS trigger AS $$
BEGIN
    IF NEW.update_version = OLD.update_version AND (
        NEW.name IS DISTINCT FROM OLD.name OR NEW.status IS DISTINCT FROM OLD.status OR
        NEW.project_id IS DISTINCT FROM OLD.project_id OR NEW.domain_id IS DISTINCT FROM OLD.domain_id OR
        NEW.tags IS DISTINCT FROM OLD.tags OR NEW.fingerprint IS DISTINCT FROM OLD.fingerprint OR
        NEW.deleted_at IS DISTINCT FROM OLD.deleted_at) THEN
        NEW.update_version := OLD.update_version + 1;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
-- +goose StatementEnd

CREATE TRIGGER resources_bucket_version BEFORE UPDATE ON resources
FOR EACH ROW WHEN (NEW.kind = 'bucket') EXECUTE FUNCTION resources_bucket_version();

-- A bucket's usage as the cloud last reported it (BucketStats).
CREATE TABLE bucket_stats (
    resource_id TEXT PRIMARY KEY REFERENCES resources (id) ON DELETE CASCADE,
    size_bytes  BIGINT NOT NULL,
    object_cnt  BIGINT NOT NULL,
    read_at     TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE bucket_stats;
DROP TRIGGER resources_bucket_version ON resources;
DROP FUNCTION resources_bucket_version();
ALTER TABLE resources DROP COLUMN source;
ALTER TABLE resources DROP COLUMN update_version;
