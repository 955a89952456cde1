-- A print line can be withdrawn: the order was cancelled in OMS before
-- its line reached PrintStation (print-order-intake, on an order-update
-- whose status the print rules name in withdrawStatuses).

-- +goose Up
ALTER TABLE print_items DROP CONSTRAINT print_items_status_check;
ALTER TABLE print_items ADD CONSTRAINT print_items_status_check CHECK (status IN
    ('queued', 'validating', 'validated', 'assigned', 'sent', 'printed', 'reprint', 'quarantined', 'rejected', 'refused', 'withdrawn'));

-- +goose Down
UPDATE print_items SET status = 'refused', reason = 'withdrawn: ' || reason WHERE status = 'withdrawn';
ALTER TABLE print_items DROP CONSTRAINT print_items_status_check;
ALTER TABLE print_items ADD CONSTRAINT print_items_status_check CHECK (status IN
    ('queued', 'validating', 'validated', 'assigned', 'sent', 'printed', 'reprint', 'quarantined', 'rejected', 'refused'));
