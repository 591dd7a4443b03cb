-- +goose Up
-- Failed password logins are counted per (user, source address), so that
-- someone guessing from one address locks out only that address, not the
-- user everywhere. lockouts counts the locks in a row: each one lasts twice
-- as long as the one before, until a successful login or an unlock.
CREATE TABLE login_lockouts (
    user_id      TEXT   NOT NULL,
    source       TEXT   NOT NULL,
    failures     INTEGER NOT NULL DEFAULT 0,
    lockouts     INTEGER NOT NULL DEFAULT 0,
    locked_until BIGINT NOT NULL DEFAULT 0,
    updated_at   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, source)
);

-- +goose Down
DROP TABLE login_lockouts;
