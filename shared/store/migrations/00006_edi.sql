-- The EDI flow: every file received or sent (with its control numbers and
-- its state), the purchase orders by trading partner and PO number, the
-- outbound control-number sequences and their ledger, the SSCCs shipped,
-- and the previous look at each SFTP folder (a file is taken only when it
-- has not changed between two looks).

-- +goose Up
-- edi_documents has one row per file received or sent. Inbound files are
-- unique per box and SHA-256 (a file seen again is not processed twice);
-- outbound files are unique per box and name, and keep their bytes until
-- they are sent. Status: inbound received, parked, duplicate; outbound
-- queued, sent, accepted, accepted-with-errors, rejected, parked.
CREATE TABLE edi_documents (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    direction      text        NOT NULL CHECK (direction IN ('in', 'out')),
    box            text        NOT NULL,
    partner        text        NOT NULL DEFAULT '',
    doc_type       text        NOT NULL,
    format         text        NOT NULL,
    file_name      text        NOT NULL,
    remote_dir     text        NOT NULL DEFAULT '',
    sha256         text        NOT NULL,
    size           bigint      NOT NULL,
    archive_path   text        NOT NULL DEFAULT '',
    isa_sender     text        NOT NULL DEFAULT '',
    isa_receiver   text        NOT NULL DEFAULT '',
    interchange    text        NOT NULL DEFAULT '',
    group_control  text        NOT NULL DEFAULT '',
    functional_id  text        NOT NULL DEFAULT '',
    set_controls   text[]      NOT NULL DEFAULT '{}',
    po_number      text        NOT NULL DEFAULT '',
    order_id       text        NOT NULL DEFAULT '',
    status         text        NOT NULL,
    reason         text        NOT NULL DEFAULT '',
    content        bytea,
    due_at         timestamptz,
    ack_due_at     timestamptz,
    sent_at        timestamptz,
    acked_at       timestamptz,
    warned_at      timestamptz,
    alerted_at     timestamptz,
    -- send_claimed_until: a sender holds the document while it uploads it,
    -- so two senders never write the same file at once.
    send_claimed_until timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX edi_documents_inbound_hash ON edi_documents (box, sha256) WHERE direction = 'in';
CREATE UNIQUE INDEX edi_documents_outbound_name ON edi_documents (box, remote_dir, file_name) WHERE direction = 'out';
CREATE INDEX edi_documents_po ON edi_documents (po_number) WHERE po_number <> '';
CREATE INDEX edi_documents_order ON edi_documents (order_id) WHERE order_id <> '';
CREATE INDEX edi_documents_interchange ON edi_documents (interchange) WHERE interchange <> '';
CREATE INDEX edi_documents_open ON edi_documents (status, direction);

-- edi_orders is one row per trading partner and PO number: a repeated
-- original never creates a second order; a cancel or a replace finds it.
CREATE TABLE edi_orders (
    partner      text        NOT NULL,
    po_number    text        NOT NULL,
    purpose      text        NOT NULL,
    document_id  bigint      NOT NULL REFERENCES edi_documents (id),
    nav_order_no text        NOT NULL DEFAULT '',
    order_id     text        NOT NULL DEFAULT '',
    status       text        NOT NULL,
    po           jsonb       NOT NULL,
    revision     integer     NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (partner, po_number)
);
CREATE INDEX edi_orders_order ON edi_orders (order_id) WHERE order_id <> '';

-- edi_control_numbers holds the last number of each outbound sequence
-- (per ISA sender and receiver, kind and functional ID); a number is
-- taken by an UPDATE in the transaction that records the document, so a
-- rollback gives it back and concurrent allocators queue on the row.
CREATE TABLE edi_control_numbers (
    sender        text    NOT NULL,
    receiver      text    NOT NULL,
    kind          text    NOT NULL CHECK (kind IN ('interchange', 'group', 'set')),
    functional_id text    NOT NULL DEFAULT '',
    last          bigint  NOT NULL CHECK (last BETWEEN 0 AND 999999999),
    PRIMARY KEY (sender, receiver, kind, functional_id)
);

-- edi_control_ledger keeps every number handed out and the document that
-- carries it: a number is never used twice (the key), and a gap shows.
CREATE TABLE edi_control_ledger (
    sender        text        NOT NULL,
    receiver      text        NOT NULL,
    kind          text        NOT NULL,
    functional_id text        NOT NULL DEFAULT '',
    number        bigint      NOT NULL,
    document_id   bigint      REFERENCES edi_documents (id),
    allocated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (sender, receiver, kind, functional_id, number)
);
CREATE INDEX edi_control_ledger_document ON edi_control_ledger (document_id);

-- edi_sscc is every carton serial shipped, once.
CREATE TABLE edi_sscc (
    sscc        text        PRIMARY KEY,
    order_id    text        NOT NULL,
    po_number   text        NOT NULL DEFAULT '',
    document_id bigint      REFERENCES edi_documents (id),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- sftp_looks is the previous listing of each polled folder.
CREATE TABLE sftp_looks (
    box      text        NOT NULL,
    path     text        NOT NULL,
    size     bigint      NOT NULL,
    mod_time timestamptz NOT NULL,
    seen_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (box, path)
);

-- +goose Down
DROP TABLE sftp_looks;
DROP TABLE edi_sscc;
DROP TABLE edi_control_ledger;
DROP TABLE edi_control_numbers;
DROP TABLE edi_orders;
DROP TABLE edi_documents;
