-- +goose Up
-- A user's saved console settings (Cloudpods' parameters: a list's columns,
-- page size, filters), one JSON value per name and user; they go with the
-- user.
CREATE TABLE user_parameters (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES identity_users (id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    value          TEXT NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    update_version INTEGER NOT NULL DEFAULT 0,
    UNIQUE (user_id, name)
);

-- +goose Down
DROP TABLE user_parameters;
