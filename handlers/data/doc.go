// Package data is the data flow: Cirro inventory history and the layer's
// orders to Snowflake through Blob staging, as cm-snowflake-sys did.
//
//	Snowflake external function --POST /api/snowflake/inventory-history--> inventory-history-request
//	    one export request per row (export_requests) --topic inventory-history--> inventory-export
//	daily timer ---------------------------------------------------------> inventory-export-daily
//	    Cirro inventory history, paged --> staging/inventory/{day}/{run}-{n}.ndjson.gz
//	order-export (timer): orders changed since the watermark --> staging/orders/{day}/{run}-{n}.ndjson.gz
//	staging/{name} (Event Grid blob trigger) --> snowflake-load: COPY INTO a staging table, MERGE, load log
//
// What it guarantees:
//
//   - A row of an external-function batch asks for one export, once: the
//     request id derives from the row's arguments, so a repeated row (in
//     the same batch, a retried batch or a later query) answers with the
//     request it made before. A row that cannot be read gets its own
//     error; the other rows of the batch are answered.
//   - An export writes deterministic part names (shared/staging), so a
//     retried export overwrites its parts instead of adding new ones. Each
//     part is bounded (EXPORT_PART_MB compressed), so memory stays flat
//     however many rows an export holds. Cirro is read page by page within
//     its rate budget, outside any database transaction.
//   - A watermark moves only after every part of the run is committed to
//     Blob storage.
//   - A staged file loads into the warehouse at most once: the load log,
//     keyed by file name, is claimed in the transaction that merges the
//     file's rows (Snowflake's own load metadata lasts only 64 days). Rows
//     merge on the dataset's natural key, newest updated_at winning, so
//     overlapping exports never duplicate a row. A file the warehouse
//     refuses is parked with the rows it rejected, and alerted.
package data
