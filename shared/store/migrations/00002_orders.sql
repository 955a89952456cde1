-- Orders in flight, their journey, the fulfilment requests and partner
-- webhooks received, shipments, and the outbox of messages to publish.

-- +goose Up
-- orders is the layer's view of an order it routes: where it came from,
-- how it was classified, which warehouse has it and its latest state.
CREATE TABLE orders (
    order_id     text        PRIMARY KEY,
    order_number text        NOT NULL DEFAULT '',
    source       text        NOT NULL,
    channel      text        NOT NULL CHECK (channel IN ('b2c', 'b2b')),
    pre_pack     boolean     NOT NULL DEFAULT false,
    tpl          text        NOT NULL,
    state        text        NOT NULL,
    tpl_order_no text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- order_journey has one row per state change: what, who caused it, which
-- message, when. `handler trace <order>` prints it.
CREATE TABLE order_journey (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id   text        NOT NULL,
    state      text        NOT NULL,
    system     text        NOT NULL,
    function   text        NOT NULL,
    message_id text        NOT NULL DEFAULT '',
    detail     text        NOT NULL DEFAULT '',
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_journey_order ON order_journey (order_id, at, id);

-- fulfillment_requests keeps every OMS request as received (customer data
-- still sealed), once per order and warehouse.
CREATE TABLE fulfillment_requests (
    order_id       text        NOT NULL,
    tpl            text        NOT NULL,
    webhook_id     text        NOT NULL,
    body_sha256    text        NOT NULL,
    body           bytea       NOT NULL,
    classification jsonb       NOT NULL,
    received_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (order_id, tpl)
);

-- webhook_receipts remembers every partner webhook id with its body's hash:
-- a repeat with the same body is a duplicate, with another body a conflict.
CREATE TABLE webhook_receipts (
    partner     text        NOT NULL,
    webhook_id  text        NOT NULL,
    body_sha256 text        NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (partner, webhook_id)
);

-- shipments are the warehouses' ship confirmations.
CREATE TABLE shipments (
    order_id         text        NOT NULL,
    tpl              text        NOT NULL,
    tpl_order_no     text        NOT NULL,
    channel          text        NOT NULL,
    carrier          text        NOT NULL DEFAULT '',
    tracking_numbers text[]      NOT NULL DEFAULT '{}',
    shipped_at       timestamptz,
    payload          jsonb       NOT NULL,
    received_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (order_id, tpl, tpl_order_no)
);

-- outbox holds messages written in the same transaction as the effect that
-- caused them; they are published right after the commit, and the
-- outbox-relay timer publishes whatever a crash or an outage left behind.
CREATE TABLE outbox (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic        text        NOT NULL,
    message_key  text        NOT NULL,
    envelope     jsonb       NOT NULL,
    properties   jsonb       NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz,
    attempts     integer     NOT NULL DEFAULT 0,
    last_error   text        NOT NULL DEFAULT '',
    UNIQUE (topic, message_key)
);
CREATE INDEX outbox_pending ON outbox (id) WHERE published_at IS NULL;

-- +goose Down
DROP TABLE outbox;
DROP TABLE shipments;
DROP TABLE webhook_receipts;
DROP TABLE fulfillment_requests;
DROP TABLE order_journey;
DROP TABLE orders;
