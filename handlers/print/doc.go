// Package print is the custom-print flow (handlers/print, kit.Flow
// "print"): it replaces cm-batching-prc and cm-printprod-sys.
//
//   - print-order-intake (topic order-update, subscription print) decides
//     per order whether it is printable (a line of image type CPOD, CYO or
//     STD, and its warehouse has print-station batching on: rules.json) and
//     queues its printable lines (PostgreSQL, print_items) with print site,
//     category, product, recipe, image and due date.
//   - print-batch-build (timer) checks the queued lines' images with the
//     image validator, groups validated lines per site and category into
//     batches by the rules (maximum items, oldest due date first, a cut-off
//     after which a partial batch leaves) and sends them to PrintStation.
//   - printstation-webhook (HTTP, Standard Webhooks) records PrintStation's
//     batch complete, reprint and quarantine events and tells OMS on
//     batching-update; OMS sets batch_reference and the order proceeds to
//     fulfilment (the fulfillment flow's request follows).
//
// It guarantees: every decision (not printable, queued, waiting and why,
// rejected, batched, printed) is a step of the order's journey, written in
// the transaction of the change, so `handler trace <order>` says why an
// order waits; the old layer's silent wait is gone. A message is acted on
// once (processed_messages in the same transaction). A line is in at most
// one batch, whatever number of builders run (row locks with SKIP LOCKED,
// one batch column); a batch is created at PrintStation once (its id is the
// Idempotency-Key, sent under a claim, outside any transaction). An
// outage of the validator or PrintStation delays lines, never drops them;
// a rejected image or a refused batch parks the order's lines with an
// alert, and `handler replay` queues them again. A webhook that is stale,
// tampered with or not signed is refused with nothing stored; a repeat has
// no second effect; OMS gets COMPLETE once per order.
package print
