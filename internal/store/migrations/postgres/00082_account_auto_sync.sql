-- +goose Up
-- Whether the scheduler syncs the account every sync_interval_seconds
-- (Cloudpods' enable_auto_sync); syncs asked for by hand run either way.
ALTER TABLE cloudaccounts ADD COLUMN auto_sync BOOLEAN NOT NULL DEFAULT TRUE;

-- +goose Down
ALTER TABLE cloudaccounts DROP COLUMN auto_sync;
