-- +goose Up
-- The sync writes a batch of resources and their data rows in one
-- transaction. A deferred foreign key (checked at commit) together with
-- INSERT OR IGNORE lets SQLite run those multi-row inserts without a
-- statement journal, which copied every page a batch touched.
CREATE TABLE resource_data_new (
    id   TEXT PRIMARY KEY REFERENCES resources(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    data TEXT NOT NULL
);
INSERT INTO resource_data_new (id, data) SELECT id, data FROM resource_data;
DROP TABLE resource_data;
ALTER TABLE resource_data_new RENAME TO resource_data;

-- +goose Down
CREATE TABLE resource_data_old (
    id   TEXT PRIMARY KEY REFERENCES resources(id) ON DELETE CASCADE,
    data TEXT NOT NULL
);
INSERT INTO resource_data_old (id, data) SELECT id, data FROM resource_data;
DROP TABLE resource_data;
ALTER TABLE resource_data_old RENAME TO resource_data;
