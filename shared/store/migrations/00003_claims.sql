-- Partner calls outside transactions (claim, call, record), order states
-- that only move forward, an outbox that backs off and parks poison rows,
-- webhook answers that a repeat gets back verbatim, and alerts that leave
-- through the database instead of inside an invocation.

-- +goose Up
-- processed_messages becomes the claim table: a consumer claims a key in a
-- short transaction, calls the partner outside any transaction, and records
-- the effect in a second short one. status is 'claimed' while a call is in
-- flight (until claimed_until), 'open' after a failed attempt, 'done' once
-- recorded. Rows written before this migration are done.
ALTER TABLE processed_messages
    ADD COLUMN status        text        NOT NULL DEFAULT 'done' CHECK (status IN ('claimed', 'open', 'done')),
    ADD COLUMN attempts      integer     NOT NULL DEFAULT 1,
    ADD COLUMN claimed_until timestamptz,
    ADD COLUMN last_error    text        NOT NULL DEFAULT '',
    -- refusals counts attempts the partner answered with a definite no (a
    -- 4xx): no effect happened, so the next attempt may use a new
    -- idempotency key (a partner replays its first answer for a key).
    ADD COLUMN refusals      integer     NOT NULL DEFAULT 0;

-- state_rank orders an order's states (the flow's table, handlers/fulfillment
-- states.go, gives each state its rank); an update that would move an order
-- back is ignored, and the journey still records the step. Rows from before
-- this migration start at 0 and move forward with their next step.
ALTER TABLE orders ADD COLUMN state_rank integer NOT NULL DEFAULT 0;

-- A repeated webhook gets the answer its first delivery got.
ALTER TABLE webhook_receipts ADD COLUMN answer jsonb;

-- The outbox holds what is not yet published: the in-process publisher
-- sends a row right after the commit that wrote it and deletes it; the
-- relay takes what it left behind (rows older than a grace period, or that
-- failed), claiming them first so two relays never send one row at once.
-- A failure backs off; a row that keeps failing is parked instead of being
-- retried forever, and never blocks newer rows.
DELETE FROM outbox WHERE published_at IS NOT NULL;
ALTER TABLE outbox
    DROP COLUMN published_at,
    ADD COLUMN claimed_until   timestamptz,
    ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN parked_at       timestamptz;
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE parked_at IS NULL;

-- Alerts about parked messages are sent by a background sender (and by
-- dead-letter-watch) that claims them first, so parking never waits for Teams.
ALTER TABLE parked_messages ADD COLUMN alert_claimed_until timestamptz;
CREATE INDEX parked_messages_unalerted ON parked_messages (id) WHERE alerted_at IS NULL AND replayed_at IS NULL;

-- +goose Down
DROP INDEX parked_messages_unalerted;
ALTER TABLE parked_messages DROP COLUMN alert_claimed_until;
DROP INDEX outbox_due;
ALTER TABLE outbox DROP COLUMN parked_at, DROP COLUMN next_attempt_at, DROP COLUMN claimed_until,
    ADD COLUMN published_at timestamptz;
CREATE INDEX outbox_pending ON outbox (id) WHERE published_at IS NULL;
ALTER TABLE webhook_receipts DROP COLUMN answer;
ALTER TABLE orders DROP COLUMN state_rank;
ALTER TABLE processed_messages DROP COLUMN refusals, DROP COLUMN last_error, DROP COLUMN claimed_until, DROP COLUMN attempts, DROP COLUMN status;
