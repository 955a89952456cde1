-- China orders from Jackyun (handlers/china) and product data from Arena
-- (handlers/product): what was read, what was sent where, and the one
-- Arena session every instance shares.

-- +goose Up
-- partner_sessions holds a partner login the whole app shares (Arena ends a
-- session when the same user logs in again, so instances must not each log
-- in). It replaces the Camel layer's Hazelcast token cache; a new session is
-- made under the partner's login lease (leases).
CREATE TABLE partner_sessions (
    partner      text        PRIMARY KEY,
    token        text        NOT NULL,
    workspace    text        NOT NULL DEFAULT '',
    obtained_at  timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz NOT NULL DEFAULT now()
);

-- jackyun_orders keeps every Jackyun order the poll read, once per tradeNo,
-- with the bytes Jackyun sent (for audit and repush). generation grows with
-- each repush; the order is published to jackyun-orders once per generation.
CREATE TABLE jackyun_orders (
    trade_no      text        PRIMARY KEY,
    trade_id      text        NOT NULL DEFAULT '',
    order_no      text        NOT NULL DEFAULT '',
    modified_at   text        NOT NULL DEFAULT '',
    raw           bytea       NOT NULL,
    generation    integer     NOT NULL DEFAULT 1,
    times_seen    integer     NOT NULL DEFAULT 1,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    repushed_at   timestamptz,
    oms_order_id  text        NOT NULL DEFAULT '',
    oms_at        timestamptz
);

-- jackyun_batchstation is what went to BatchStation (order-update): one row
-- per order and generation, written in the transaction that enqueued the
-- message, so BatchStation (which refuses duplicates) gets it exactly once.
CREATE TABLE jackyun_batchstation (
    trade_no    text        NOT NULL,
    generation  integer     NOT NULL,
    payload     jsonb       NOT NULL,
    enqueued_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (trade_no, generation)
);

-- product_revisions is every Arena item revision the poll published to the
-- products topic, once each.
CREATE TABLE product_revisions (
    item_number   text        NOT NULL,
    revision      text        NOT NULL,
    item_guid     text        NOT NULL DEFAULT '',
    effective_at  timestamptz,
    published_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (item_number, revision)
);

-- product_pushes is the newest revision of each item each system has: a
-- push of an older revision is skipped, whatever the order of delivery.
CREATE TABLE product_pushes (
    system       text        NOT NULL,
    item_number  text        NOT NULL,
    revision     text        NOT NULL,
    effective_at timestamptz,
    pushed_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (system, item_number)
);

-- +goose Down
DROP TABLE product_pushes;
DROP TABLE product_revisions;
DROP TABLE jackyun_batchstation;
DROP TABLE jackyun_orders;
DROP TABLE partner_sessions;
