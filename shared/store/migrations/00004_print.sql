-- Custom print (handlers/print): printable orders, their lines waiting for
-- a batch, and the batches sent to PrintStation.

-- +goose Up
-- print_orders is one row per order the print flow took in: the
-- order-update message as received (a replay of a parked line runs it
-- through print-order-intake again) and whether OMS was told that every
-- print line is printed.
CREATE TABLE print_orders (
    order_id     text        PRIMARY KEY,
    warehouse    text        NOT NULL,
    site         text        NOT NULL,
    message_id   text        NOT NULL,
    payload      bytea       NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz
);

-- print_batches are the batches formed for PrintStation. A batch is
-- formed (its items chosen, in one transaction), then sent (claim, call
-- with the batch id as Idempotency-Key, record), then completed by
-- PrintStation's webhook; or refused by PrintStation.
CREATE TABLE print_batches (
    batch_id         text        PRIMARY KEY,
    site             text        NOT NULL,
    category         text        NOT NULL,
    status           text        NOT NULL CHECK (status IN ('formed', 'sent', 'refused', 'completed')),
    item_count       integer     NOT NULL,
    reason           text        NOT NULL DEFAULT '',
    printstation_ref text        NOT NULL DEFAULT '',
    attempts         integer     NOT NULL DEFAULT 0,
    last_error       text        NOT NULL DEFAULT '',
    formed_at        timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz,
    completed_at     timestamptz
);
CREATE INDEX print_batches_formed ON print_batches (formed_at) WHERE status = 'formed';
CREATE SEQUENCE print_batch_seq;

-- print_items is the batch queue: one row per printable order line.
-- queued -> validating (an image check in flight, until lease_until) ->
-- validated -> assigned (in a formed batch) -> sent -> printed, with
-- reprint and quarantined reported by PrintStation; rejected (the image
-- validator said no) and refused (PrintStation refused its batch) are
-- parked until the line is queued again. An item is in at most one batch:
-- batch_id is one column, set once while the row is locked.
CREATE TABLE print_items (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id     text        NOT NULL REFERENCES print_orders (order_id),
    line_number  text        NOT NULL,
    warehouse    text        NOT NULL,
    site         text        NOT NULL,
    category     text        NOT NULL,
    product_sku  text        NOT NULL,
    recipe_id    text        NOT NULL DEFAULT '',
    image_type   text        NOT NULL,
    image_url    text        NOT NULL,
    quantity     integer     NOT NULL CHECK (quantity > 0),
    due_date     date        NOT NULL,
    status       text        NOT NULL DEFAULT 'queued' CHECK (status IN
                 ('queued', 'validating', 'validated', 'assigned', 'sent', 'printed', 'reprint', 'quarantined', 'rejected', 'refused')),
    lease_until  timestamptz,
    lease_holder text        NOT NULL DEFAULT '',
    batch_id     text        REFERENCES print_batches (batch_id),
    -- reason says why the line is parked (rejected, refused, quarantined).
    reason       text        NOT NULL DEFAULT '',
    -- wait_reason is the last "why is it waiting" recorded in the order's
    -- journey, so a step is written only when the reason changes.
    wait_reason  text        NOT NULL DEFAULT '',
    -- parkings counts how often the line was parked; it names each parking.
    parkings     integer     NOT NULL DEFAULT 0,
    queued_at    timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (order_id, line_number)
);
CREATE INDEX print_items_to_validate ON print_items (due_date, id) WHERE status IN ('queued', 'validating');
CREATE INDEX print_items_to_batch ON print_items (site, category, due_date, queued_at, id) WHERE status = 'validated';
CREATE INDEX print_items_batch ON print_items (batch_id) WHERE batch_id IS NOT NULL;

-- +goose Down
DROP TABLE print_items;
DROP SEQUENCE print_batch_seq;
DROP TABLE print_batches;
DROP TABLE print_orders;
