-- Data exports to the warehouse, the local warehouse adapter and the
-- audit trail's local sink.

-- +goose Up
-- export_requests are the inventory-history exports Snowflake's external
-- function asked for, once per (dataset, warehouse, from, to): a repeated
-- row gets the request it made before.
CREATE TABLE export_requests (
    request_id  text        PRIMARY KEY,
    dataset     text        NOT NULL,
    warehouse   text        NOT NULL DEFAULT '',
    from_day    date        NOT NULL,
    to_day      date        NOT NULL,
    state       text        NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'failed')),
    prefix      text        NOT NULL,
    parts       int         NOT NULL DEFAULT 0,
    rows        bigint      NOT NULL DEFAULT 0,
    error       text        NOT NULL DEFAULT '',
    -- attempts counts the exports queued: a request asked again after it
    -- failed is queued once more.
    attempts    int         NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (from_day <= to_day)
);

-- external_batches remember an asynchronous external-function batch
-- (Snowflake's sf-external-function-query-batch-id) and the request of
-- each of its rows, so the GET polls can answer it.
CREATE TABLE external_batches (
    batch_id    text        PRIMARY KEY,
    rows        jsonb       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- warehouse_* are the local stand-in for Snowflake (make run): the same
-- tables, the same load log keyed by staged file name.
CREATE TABLE warehouse_load_log (
    file_name  text        PRIMARY KEY,
    dataset    text        NOT NULL,
    rows       bigint      NOT NULL DEFAULT 0,
    loaded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE warehouse_inventory (
    warehouse  text        NOT NULL,
    sku        text        NOT NULL,
    as_of      date        NOT NULL,
    on_hand    bigint      NOT NULL,
    available  bigint      NOT NULL,
    allocated  bigint      NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (warehouse, sku, as_of)
);
CREATE TABLE warehouse_orders (
    order_id     text        PRIMARY KEY,
    order_number text        NOT NULL,
    source       text        NOT NULL,
    channel      text        NOT NULL,
    tpl          text        NOT NULL,
    state        text        NOT NULL,
    tpl_order_no text        NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);

-- audit_events is the audit trail on a developer machine (ADX in Azure):
-- one row per partner call and per invocation.
CREATE TABLE audit_events (
    id             text        PRIMARY KEY,
    at             timestamptz NOT NULL,
    kind           text        NOT NULL,
    system         text        NOT NULL,
    operation      text        NOT NULL,
    function       text        NOT NULL DEFAULT '',
    invocation_id  text        NOT NULL DEFAULT '',
    correlation_id text        NOT NULL DEFAULT '',
    outcome        text        NOT NULL,
    status         int         NOT NULL DEFAULT 0,
    bytes          bigint      NOT NULL DEFAULT 0,
    duration_ms    bigint      NOT NULL DEFAULT 0,
    archive        text        NOT NULL DEFAULT '',
    error          text        NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_correlation ON audit_events (correlation_id, at);
CREATE INDEX audit_events_invocation ON audit_events (invocation_id);

-- +goose Down
DROP TABLE audit_events;
DROP TABLE warehouse_orders;
DROP TABLE warehouse_inventory;
DROP TABLE warehouse_load_log;
DROP TABLE external_batches;
DROP TABLE export_requests;
