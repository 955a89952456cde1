-- The platform's own tables: idempotency, parking, watermarks and leases.

-- +goose Up
-- processed_messages records every message a consumer has acted on. The row
-- is written in the same transaction as the effect, so a redelivered or
-- duplicated message finds it and does nothing.
CREATE TABLE processed_messages (
    consumer      text        NOT NULL,
    message_id    text        NOT NULL,
    invocation_id text        NOT NULL DEFAULT '',
    processed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, message_id)
);
CREATE INDEX processed_messages_processed_at ON processed_messages (processed_at);

-- parked_messages keeps what failed permanently, exactly as received, for a
-- person to inspect and replay. One row per function and message id.
CREATE TABLE parked_messages (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    function       text        NOT NULL,
    trigger        text        NOT NULL,
    binding        text        NOT NULL DEFAULT '',
    message_id     text        NOT NULL,
    correlation_id text        NOT NULL DEFAULT '',
    invocation_id  text        NOT NULL DEFAULT '',
    delivery_count integer     NOT NULL DEFAULT 0,
    reason         text        NOT NULL,
    payload        bytea       NOT NULL,
    metadata       jsonb       NOT NULL DEFAULT '{}',
    times_seen     integer     NOT NULL DEFAULT 1,
    first_seen     timestamptz NOT NULL DEFAULT now(),
    last_seen      timestamptz NOT NULL DEFAULT now(),
    alerted_at     timestamptz,
    replayed_at    timestamptz,
    replay_count   integer     NOT NULL DEFAULT 0,
    UNIQUE (function, message_id)
);
CREATE INDEX parked_messages_open ON parked_messages (last_seen) WHERE replayed_at IS NULL;
CREATE INDEX parked_messages_correlation ON parked_messages (correlation_id);

-- watermarks remember how far a poller has read (a timestamp, a cursor).
CREATE TABLE watermarks (
    name       text        PRIMARY KEY,
    value      text        NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- leases give one holder at a time a named piece of work until expires_at.
-- They replace the Hazelcast locks of the Camel layer. Times come from the
-- database's clock so that instances with drifting clocks agree.
CREATE TABLE leases (
    name        text        PRIMARY KEY,
    holder      text        NOT NULL,
    acquired_at timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);

-- +goose Down
DROP TABLE leases;
DROP TABLE watermarks;
DROP TABLE parked_messages;
DROP TABLE processed_messages;
