// Package snowflake is the Snowflake side of the warehouse load: it signs in
// with a key pair, and loads the files the exports staged in Blob storage
// (see package staging) from an external stage into one table per dataset.
//
// A staged file loads at most once. The load log table LOAD_LOG, keyed by
// file name, is claimed inside the same transaction that copies and merges
// the file's rows, so the log row and the rows commit or roll back together.
// A file the log already holds is skipped, also after Snowflake's own load
// metadata for it (kept 64 days) is gone; COPY runs with FORCE = TRUE so the
// log alone decides. The MERGE keeps, per natural key, the row with the
// greatest Newest value, and never replaces a newer target row with an
// older one, so even loading a file twice would leave the same table.
//
// A file Snowflake refuses because of its content (a value that is not its
// column's type, JSON that does not parse, a missing key) returns a
// *CopyError carrying the rows Snowflake rejected; it is permanent
// (fault.ClassOf gives Permanent) and nothing of the file is loaded. A name
// that is not a staged file's is malformed. Every other failure (network,
// login, a cancelled context, a missing table or stage, a lock wait cut
// short) is transient: it rolls back and leaves nothing behind, and
// retrying the same file is safe.
//
// DDL returns the one-time setup the runbook runs. Open and Config.Driver
// do no network I/O.
package snowflake

// Assumptions about Snowflake this package relies on, not verified against
// a live account by the offline tests (TestLiveSnowflake checks the main
// path when SNOWFLAKE_LIVE_TEST=1):
//
//   - A MERGE takes a lock on its target table until the transaction ends,
//     so a second transaction claiming the same file in LOAD_LOG waits, and
//     once the first commits its MERGE sees the row and inserts nothing.
//     (An INSERT may not lock like that; Snowflake documents that INSERTs
//     can run in parallel, which is why the claim is a MERGE.) If this ever
//     failed, two loads of one file would both commit; the newest-wins MERGE
//     keeps the target correct, and LOAD_LOG would show the file twice.
//   - COPY INTO a table may run inside an explicit transaction and is undone
//     by ROLLBACK; a failed statement leaves the transaction open for us to
//     roll back.
//   - METADATA$FILENAME is the file's path relative to the stage, so with
//     the stage URL at the container root it equals the staged name
//     (inventory/2024-05-01/run-0001.ndjson.gz). Load checks this: if the
//     rows it copied are not the rows it finds under that name, it fails
//     (transient) instead of logging the file.
//   - COPY answers one row per file with columns file, status, rows_loaded,
//     ...; with no file to load it answers a single status column. Load
//     treats that as transient (the blob may not be visible yet, or the
//     stage points elsewhere).
//   - With ON_ERROR = ABORT_STATEMENT, bad content fails the COPY statement
//     with a SnowflakeError whose SQL state is class 22 and whose number is
//     in 100xxx (100038 numeric, 100035/100040 timestamp/date, 100069 JSON,
//     100072 NULL in NOT NULL, 100074 too long). Only those become a
//     CopyError; anything else is transient, including a missing remote file
//     or a compilation error (the runbook may not have run DDL yet).
//   - VALIDATION_MODE does not support a COPY that transforms with SELECT,
//     so the validation COPY loads the file by MATCH_BY_COLUMN_NAME =
//     CASE_INSENSITIVE into the same stage table, whose columns are the
//     JSON keys in upper case. Its RETURN_ERRORS rows have columns ERROR,
//     FILE, LINE, CHARACTER, BYTE_OFFSET, CATEGORY, CODE, SQL_STATE,
//     COLUMN_NAME, ROW_NUMBER, ROW_START_LINE, REJECTED_RECORD; Load reads
//     LINE (or ROW_START_LINE), COLUMN_NAME and ERROR by name. If the
//     validation fails or returns nothing, the CopyError carries the COPY's
//     own message as its one row. REJECTED_RECORD is not kept: it may hold
//     row content that must not reach the logs.
//   - Casting a JSON string written by Go's time.Time (RFC 3339, "Z" or an
//     offset, up to nanoseconds) to TIMESTAMP_TZ, and "YYYY-MM-DD" to DATE,
//     works with the default AUTO input formats.
//   - gosnowflake reports a MERGE's RowsAffected as rows inserted plus rows
//     updated (it sums the result's columns), and a DELETE's as rows deleted.
//   - Unquoted identifiers resolve in upper case, so the quoted upper-case
//     names used here ("INVENTORY", "AS_OF") are the tables and columns a
//     person creates or queries without quotes.
