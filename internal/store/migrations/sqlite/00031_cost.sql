-- +goose Up
-- Normalised cost and usage records, aligned with FinOps FOCUS 1.x columns.
-- Money and quantities are exact decimal text. A record may cover several
-- equal consecutive sub-periods (periods > 1) in which the same resource was
-- measured and priced identically: period_quantity and period_cost hold the
-- values of one sub-period, pricing_quantity and effective_cost the totals.
CREATE TABLE cost_records (
    id                   TEXT PRIMARY KEY,
    source               TEXT NOT NULL,
    run_key              TEXT NOT NULL DEFAULT '',
    charge_period_start  TIMESTAMP NOT NULL,
    charge_period_end    TIMESTAMP NOT NULL,
    periods              INTEGER NOT NULL DEFAULT 1,
    billing_period_start TIMESTAMP NOT NULL,
    billing_period_end   TIMESTAMP NOT NULL,
    billing_account_id   TEXT NOT NULL DEFAULT '',
    billing_account_name TEXT NOT NULL DEFAULT '',
    sub_account_id       TEXT NOT NULL DEFAULT '',
    sub_account_name     TEXT NOT NULL DEFAULT '',
    provider_name        TEXT NOT NULL DEFAULT '',
    publisher_name       TEXT NOT NULL DEFAULT '',
    invoice_issuer_name  TEXT NOT NULL DEFAULT '',
    service_name         TEXT NOT NULL,
    service_category     TEXT NOT NULL DEFAULT '',
    charge_category      TEXT NOT NULL DEFAULT 'Usage',
    charge_class         TEXT NOT NULL DEFAULT '',
    charge_description   TEXT NOT NULL DEFAULT '',
    resource_id          TEXT NOT NULL DEFAULT '',
    resource_name        TEXT NOT NULL DEFAULT '',
    resource_type        TEXT NOT NULL DEFAULT '',
    region_id            TEXT NOT NULL DEFAULT '',
    region_name          TEXT NOT NULL DEFAULT '',
    sku_id               TEXT NOT NULL DEFAULT '',
    pricing_quantity     TEXT NOT NULL DEFAULT '0',
    pricing_unit         TEXT NOT NULL DEFAULT '',
    consumed_quantity    TEXT NOT NULL DEFAULT '0',
    consumed_unit        TEXT NOT NULL DEFAULT '',
    list_unit_price      TEXT NOT NULL DEFAULT '0',
    list_cost            TEXT NOT NULL DEFAULT '0',
    billed_cost          TEXT NOT NULL DEFAULT '0',
    effective_cost       TEXT NOT NULL DEFAULT '0',
    contracted_cost      TEXT NOT NULL DEFAULT '0',
    billing_currency     TEXT NOT NULL DEFAULT '',
    period_quantity      TEXT NOT NULL DEFAULT '0',
    period_cost          TEXT NOT NULL DEFAULT '0',
    tags                 TEXT NOT NULL DEFAULT '{}',
    attributes           TEXT NOT NULL DEFAULT '{}',
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL
);
CREATE INDEX cost_records_start_idx ON cost_records (charge_period_start);
CREATE INDEX cost_records_sub_account_idx ON cost_records (sub_account_id, charge_period_start);
CREATE INDEX cost_records_source_end_idx ON cost_records (source, sub_account_id, charge_period_end);

-- +goose Down
DROP TABLE cost_records;
