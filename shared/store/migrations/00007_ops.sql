-- Operations: every timer's last successful run (for the poller watchdog),
-- each dead-lettered Service Bus message recorded once (for
-- dead-letter-watch and `handler replay -dead-letter`), and the last alert
-- of each kind (so that a kind is alerted once per window).

-- +goose Up
-- timer_runs has one row per timer function, written by the kit after each
-- run (shared/kit, Registry.Timer). schedule is the NCRONTAB schedule the
-- run had (from its function.json and app settings); stale_since is set
-- when the watchdog alerts that the timer stopped succeeding and cleared
-- when it recovers, so each outage is one alert and one clear.
CREATE TABLE timer_runs (
    function           text        PRIMARY KEY,
    schedule           text        NOT NULL DEFAULT '',
    first_seen_at      timestamptz NOT NULL,
    last_success_at    timestamptz,
    last_invocation_id text        NOT NULL DEFAULT '',
    last_failure_at    timestamptz,
    last_error         text        NOT NULL DEFAULT '',
    successes          bigint      NOT NULL DEFAULT 0,
    failures           bigint      NOT NULL DEFAULT 0,
    stale_since        timestamptz,
    updated_at         timestamptz NOT NULL DEFAULT now()
);

-- dead_letters records a message found in a subscription's dead-letter
-- queue, once: Service Bus keeps a message's sequence number in its
-- dead-letter queue, so (topic, subscription, sequence_number) is the key.
-- The body is archived in blob storage (body_ref); Service Bus keeps the
-- message itself until it is resubmitted or expires.
CREATE TABLE dead_letters (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic           text        NOT NULL,
    subscription    text        NOT NULL,
    sequence_number bigint      NOT NULL,
    message_id      text        NOT NULL,
    correlation_id  text        NOT NULL DEFAULT '',
    subject         text        NOT NULL DEFAULT '',
    reason          text        NOT NULL DEFAULT '',
    description     text        NOT NULL DEFAULT '',
    delivery_count  integer     NOT NULL DEFAULT 0,
    enqueued_at     timestamptz,
    body_ref        text        NOT NULL,
    body_sha256     text        NOT NULL,
    body_size       integer     NOT NULL,
    first_seen      timestamptz NOT NULL DEFAULT now(),
    alerted_at      timestamptz,
    replayed_at     timestamptz,
    replay_count    integer     NOT NULL DEFAULT 0,
    replay_result   text        NOT NULL DEFAULT '',
    UNIQUE (topic, subscription, sequence_number)
);
CREATE INDEX dead_letters_unalerted ON dead_letters (id) WHERE alerted_at IS NULL;
CREATE INDEX dead_letters_correlation ON dead_letters (correlation_id);

-- alert_kinds remembers when an alert of each kind was last posted, so a
-- kind (the dead letters of one subscription for one reason, say) is
-- posted at most once per window however often it happens.
CREATE TABLE alert_kinds (
    kind         text        PRIMARY KEY,
    last_sent_at timestamptz NOT NULL,
    sent         bigint      NOT NULL DEFAULT 1,
    held_back    bigint      NOT NULL DEFAULT 0
);

-- +goose Down
DROP TABLE alert_kinds;
DROP TABLE dead_letters;
DROP TABLE timer_runs;
