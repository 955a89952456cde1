-- One-time Snowflake setup for the warehouse load, run by the runbook with
-- the owning role in SNOWFLAKE_DATABASE.SNOWFLAKE_SCHEMA. Every statement is
-- safe to run again. The per-dataset tables follow, generated from the
-- staging contract (snowflake.DDL()).

-- The load log decides whether a staged file is loaded: one row per file,
-- written in the same transaction as the file's rows. Snowflake does not
-- enforce the primary key; Load claims a file with a MERGE, whose table lock
-- makes a concurrent claim of the same file wait and then find the row.
CREATE TABLE IF NOT EXISTS "LOAD_LOG" (
  "FILE_NAME" VARCHAR NOT NULL,
  "DATASET" VARCHAR NOT NULL,
  "LOADED_AT" TIMESTAMP_TZ NOT NULL,
  "ROWS_COPIED" NUMBER(38,0),
  "ROWS_MERGED" NUMBER(38,0),
  PRIMARY KEY ("FILE_NAME")
);

-- The external stage over the staging container. Run once as ACCOUNTADMIN
-- (or a role with CREATE INTEGRATION), with the real tenant, storage account
-- and names:
--
-- CREATE STORAGE INTEGRATION IF NOT EXISTS INT_STAGING_AZURE
--   TYPE = EXTERNAL_STAGE
--   STORAGE_PROVIDER = 'AZURE'
--   ENABLED = TRUE
--   AZURE_TENANT_ID = '<tenant-id>'
--   STORAGE_ALLOWED_LOCATIONS = ('azure://<account>.blob.core.windows.net/staging/');
--
-- DESC STORAGE INTEGRATION INT_STAGING_AZURE;
--   -- open AZURE_CONSENT_URL, then give AZURE_MULTI_TENANT_APP_NAME the
--   -- "Storage Blob Data Reader" role on the staging container.
--
-- GRANT USAGE ON INTEGRATION INT_STAGING_AZURE TO ROLE <loader-role>;
--
-- The URL must be the container root: the load finds a file's rows by
-- METADATA$FILENAME, which is the path relative to the stage.
-- CREATE STAGE IF NOT EXISTS INT_STAGING
--   URL = 'azure://<account>.blob.core.windows.net/staging'
--   STORAGE_INTEGRATION = INT_STAGING_AZURE;
-- GRANT USAGE ON STAGE INT_STAGING TO ROLE <loader-role>;
--
-- The loader's user signs in with a key pair (snowflake.PublicKey gives
-- the value from SNOWFLAKE_PRIVATE_KEY):
-- ALTER USER <loader-user> SET RSA_PUBLIC_KEY = '<base64 SPKI>';
-- DESC USER <loader-user>;  -- RSA_PUBLIC_KEY_FP = snowflake.PublicKeyFingerprint
--
-- The loader's role needs SELECT, INSERT, UPDATE on LOAD_LOG and each target
-- table, and SELECT, INSERT, DELETE on each _STAGE table.
