-- A journey step's time is when it was written, not when its transaction
-- began: a step written after waiting for an order's lock (two print
-- batches of one order completed at once) otherwise sorts before the
-- step it waited for, and `handler trace` shows them out of order.

-- +goose Up
ALTER TABLE order_journey ALTER COLUMN at SET DEFAULT clock_timestamp();

-- +goose Down
ALTER TABLE order_journey ALTER COLUMN at SET DEFAULT now();
