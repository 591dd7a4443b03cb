-- +goose Up
-- A sync asked for while another one is under way is served by one
-- follow-up sync per account: its task id and the union of the regions and
-- kinds asked for (JSON) wait here until the running sync ends.
ALTER TABLE cloudaccounts ADD COLUMN sync_follow_task_id TEXT NOT NULL DEFAULT '';
ALTER TABLE cloudaccounts ADD COLUMN sync_follow_scope TEXT NOT NULL DEFAULT '';
-- The schedule follows full syncs (every enabled region, every kind), from
-- the start of the last one; partial syncs are recorded apart.
ALTER TABLE cloudaccounts ADD COLUMN last_full_sync_at TIMESTAMPTZ;
ALTER TABLE cloudaccounts ADD COLUMN last_partial_sync_at TIMESTAMPTZ;
UPDATE cloudaccounts SET last_full_sync_at = last_sync_at;

-- +goose Down
ALTER TABLE cloudaccounts DROP COLUMN last_partial_sync_at;
ALTER TABLE cloudaccounts DROP COLUMN last_full_sync_at;
ALTER TABLE cloudaccounts DROP COLUMN sync_follow_scope;
ALTER TABLE cloudaccounts DROP COLUMN sync_follow_task_id;
