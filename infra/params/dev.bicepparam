// The dev environment. No secret is written here: the pipeline passes
// them in environment variables (infra/README.md, "Secrets").
using '../main.bicep'

param envName = 'dev'
param logLevel = 'debug'
param alertsEnabled = false

// The handler's plain settings for dev. Values still empty are not known
// yet: a partner setting left empty disables only the functions that need
// that partner (they fail naming the setting).
param appConfig = {
  // PostgreSQL connections per instance (Flexible Server: mind max_connections x instances)
  DATABASE_MAX_CONNS: '20'
  // OMS (OSOR) API base URL
  OMS_BASE_URL: ''
  // id of the AES key OMS seals customer data with
  OMS_AES_KEY_ID: ''
  // id of the retired key during a rotation, else empty
  OMS_AES_PREVIOUS_KEY_ID: ''
  // Cirro API base URL
  CIRRO_BASE_URL: ''
  // Cirro app_key (not a secret; the token is)
  CIRRO_APP_KEY: ''
  // empty: Cirro's default warehouse
  CIRRO_WAREHOUSE_CODE: ''
  // Cirro's documented limit per API per minute, per instance
  CIRRO_RATE_PER_MINUTE: '600'
  // XB API base URL
  XB_BASE_URL: ''
  // JSON map of OMS ship methods to warehouse codes
  SHIP_METHODS: ''
  // empty: b2b_portal,edi
  FULFILLMENT_B2B_SOURCES: ''
  // empty: any pack code
  FULFILLMENT_PREPACK_CODES: ''
  // EDI: SPS Commerce's SFTP (host:port, login, pinned host key line)
  SPS_SFTP_ADDR: 'sftp.spscommerce.com:10022'
  SPS_SFTP_USER: ''
  SPS_SFTP_KNOWN_HOSTS: ''
  // true: SPS's testout/testin folders
  SPS_TEST_FOLDERS: 'true'
  // NAV's internal file drop (940s in, 945s and 997s out)
  NAV_SFTP_ADDR: ''
  NAV_SFTP_USER: ''
  NAV_SFTP_KNOWN_HOSTS: ''
  NAV_SFTP_OUTBOUND_DIR: 'outbound'
  NAV_SFTP_INBOUND_DIR: 'inbound'
  // NAV SOAP web services (sales orders; 945 when EDI_945_VIA is soap)
  NAV_BASE_URL: ''
  NAV_AUTH: 'ntlm'
  NAV_USER: ''
  EDI_945_VIA: 'sftp'
  // empty: the trading-partner configuration embedded in the binary
  EDI_PARTNERS: ''
  EDI_ISA_QUALIFIER: 'ZZ'
  EDI_ISA_ID: 'POPSOCKETS'
  NAV_ISA_ID: 'NAVPOPSOCKETS'
  EDI_SFTP_SETTLE_SECONDS: '5'
  // print batching rules: empty for the embedded handlers/print/rules.json
  PRINT_RULES: ''
  // PrintStation API base URL
  PRINTSTATION_BASE_URL: ''
  // image validator API base URL and OAuth token endpoint
  IMAGE_VALIDATOR_BASE_URL: ''
  IMAGE_VALIDATOR_TOKEN_URL: ''
  // image validator OAuth client id (not a secret; the client secret is)
  IMAGE_VALIDATOR_CLIENT_ID: ''
  // scopes asked with the token, space-separated (empty: none)
  IMAGE_VALIDATOR_SCOPE: ''
  // China flow (handlers/china): the Qimen router Jackyun is reached through
  JACKYUN_URL: ''
  // the Qimen app key (enabled for Jackyun's custom interfaces)
  JACKYUN_APP_KEY: ''
  // hmac-sha256 (the company's) or md5 (the public Qimen docs')
  JACKYUN_SIGN_METHOD: 'hmac-sha256'
  // Jackyun's tenant id (empty: not sent)
  JACKYUN_CUSTOMER_ID: ''
  // the ERP's Qimen app for custom methods (empty: not sent)
  JACKYUN_TARGET_APP_KEY: ''
  // minutes before the watermark each poll starts again
  JACKYUN_POLL_OVERLAP_MINUTES: '10'
  // hours the first poll reads back
  JACKYUN_POLL_FIRST_HOURS: '24'
  // the longest window asked for in one listing
  JACKYUN_POLL_WINDOW_MINUTES: '60'
  // orders per page (at most 200)
  JACKYUN_PAGE_SIZE: '200'
  // OMS's code of the China warehouse
  CHINA_OMS_WAREHOUSE: 'KH'
  // BatchStation print site of Jackyun orders
  CHINA_BATCHSTATION_SITE: 'KH'
  // product flow (handlers/product): Arena PLM REST API root
  ARENA_BASE_URL: 'https://api.arenasolutions.com/v1'
  // the Arena workspace to log in to
  ARENA_WORKSPACE_ID: ''
  // GUID of the Arena outbound integration (empty: items made effective since the watermark)
  ARENA_OUTBOUND_INTEGRATION: ''
  // Arena requests of the day the poll leaves for the item lookup
  ARENA_QUOTA_RESERVE: '500'
  // minutes before its watermark the poll reads again (without events)
  ARENA_POLL_OVERLAP_MINUTES: '10'
  // hours the first poll reads back (without events)
  ARENA_POLL_FIRST_HOURS: '24'
  // scheduled runs a timer may miss before poller-watchdog alerts
  POLLER_WATCHDOG_MISSED_RUNS: '3'
  // a kind of alert is posted to Teams at most once in this many minutes
  ALERT_REPEAT_MINUTES: '60'
  // the OMS calls of one Gladly lookup together (Gladly waits 5 s)
  GLADLY_OMS_BUDGET_MS: '3000'
  // how long an OMS answer is reused by later lookups
  GLADLY_CACHE_SECONDS: '60'
  // orders per customer a DETAILED lookup answers
  GLADLY_MAX_ORDERS: '10'
  // customerOrderUrl with {order_number} or {order_id}; empty: none
  GLADLY_ORDER_URL: ''
  // data flow (handlers/data): Cirro inventory history and orders to Snowflake through Blob staging
  // first day the daily inventory export takes without a watermark (empty: yesterday)
  INVENTORY_EXPORT_FIRST_DAY: ''
  // most days one daily inventory run exports
  INVENTORY_EXPORT_MAX_DAYS: '31'
  // Cirro inventory history rows per page (at most 1000)
  EXPORT_PAGE_SIZE: '1000'
  // most MiB of NDJSON (before compression) in one staged part
  EXPORT_PART_MB: '16'
  // seconds an order change waits before it is exported
  ORDER_EXPORT_LAG_SECONDS: '60'
  // where staged files load: snowflake in Azure
  WAREHOUSE: 'snowflake'
  // Snowflake: account (orgname-accountname), key-pair user, role, virtual warehouse, database, schema, external stage (infra/README.md, "Snowflake")
  SNOWFLAKE_ACCOUNT: ''
  SNOWFLAKE_USER: ''
  SNOWFLAKE_ROLE: ''
  SNOWFLAKE_WAREHOUSE: ''
  SNOWFLAKE_DATABASE: ''
  SNOWFLAKE_SCHEMA: ''
  SNOWFLAKE_STAGE: ''
}

// Secret settings dev does not set: the previous AES key exists only
// during a key rotation.
param absentSecretSettings = [
  'OMS_AES_PREVIOUS_KEY'
  // SFTP logins use a password or a key: set the one the partner issued
  'SPS_SFTP_PRIVATE_KEY'
  'NAV_SFTP_PRIVATE_KEY'
]

// Every timer function: its schedule setting, the schedule, and how often
// that runs (for the missed-run alert). infra_test.go checks all three.
param timers = [
  {
    function: 'dead-letter-watch'
    setting: 'DEAD_LETTER_WATCH_SCHEDULE'
    schedule: '0 */5 * * * *'
    intervalMinutes: 5
  }
  {
    function: 'outbox-relay'
    setting: 'OUTBOX_RELAY_SCHEDULE'
    schedule: '0 * * * * *'
    intervalMinutes: 1
  }
  {
    function: 'sps-inbound-poll'
    setting: 'SPS_POLL_SCHEDULE'
    schedule: '0 7,37 * * * *'
    intervalMinutes: 30
  }
  {
    function: 'nav-outbound-poll'
    setting: 'NAV_POLL_SCHEDULE'
    schedule: '0 */5 * * * *'
    intervalMinutes: 5
  }
  {
    function: 'edi-deadlines'
    setting: 'EDI_DEADLINES_SCHEDULE'
    schedule: '0 */5 * * * *'
    intervalMinutes: 5
  }
  {
    function: 'print-batch-build'
    setting: 'PRINT_BATCH_BUILD_SCHEDULE'
    schedule: '0 */5 * * * *'
    intervalMinutes: 5
  }
  {
    function: 'jackyun-order-poll'
    setting: 'JACKYUN_POLL_SCHEDULE'
    schedule: '0 */5 * * * *'
    intervalMinutes: 5
  }
  {
    function: 'arena-item-poll'
    setting: 'ARENA_POLL_SCHEDULE'
    schedule: '0 */10 * * * *'
    intervalMinutes: 10
  }
  {
    function: 'poller-watchdog'
    setting: 'POLLER_WATCHDOG_SCHEDULE'
    schedule: '30 */5 * * * *'
    intervalMinutes: 5
  }
  {
    function: 'inventory-export-daily'
    setting: 'INVENTORY_EXPORT_SCHEDULE'
    schedule: '0 30 2 * * *'
    intervalMinutes: 1440
  }
  {
    function: 'order-export'
    setting: 'ORDER_EXPORT_SCHEDULE'
    schedule: '0 */15 * * * *'
    intervalMinutes: 15
  }
]

param postgresAdminPassword = readEnvironmentVariable('POSTGRES_ADMIN_PASSWORD')
param teamsWebhookUrl = readEnvironmentVariable('TEAMS_WEBHOOK_URL', '')
param pipelinePrincipalId = readEnvironmentVariable('PIPELINE_PRINCIPAL_ID', '')

// The audit trail's Azure Data Explorer cluster; empty until it is known.
param adxClusterName = ''
param adxDatabaseName = ''
param adxResourceGroup = ''
