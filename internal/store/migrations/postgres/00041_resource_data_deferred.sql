-- +goose Up
-- The sync writes a batch of resources and their data rows in one
-- transaction; the data rows' key is checked at commit (as on SQLite, where
-- the deferred check spares multi-row inserts a statement journal).
ALTER TABLE resource_data ALTER CONSTRAINT resource_data_id_fkey DEFERRABLE INITIALLY DEFERRED;

-- +goose Down
ALTER TABLE resource_data ALTER CONSTRAINT resource_data_id_fkey NOT DEFERRABLE;
