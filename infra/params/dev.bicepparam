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
  // scheduled runs a timer may miss before poller-watchdog alerts
  POLLER_WATCHDOG_MISSED_RUNS: '3'
  // a kind of alert is posted to Teams at most once in this many minutes
  ALERT_REPEAT_MINUTES: '60'
  // OMS API base URL the Gladly lookups read (the OMS of OMS_BASE_URL)
  GLADLY_OMS_BASE_URL: ''
  // the OMS calls of one Gladly lookup together (Gladly waits 5 s)
  GLADLY_OMS_BUDGET_MS: '3000'
  // how long an OMS answer is reused by later lookups
  GLADLY_CACHE_SECONDS: '60'
  // orders per customer a DETAILED lookup answers
  GLADLY_MAX_ORDERS: '10'
  // customerOrderUrl with {order_number} or {order_id}; empty: none
  GLADLY_ORDER_URL: ''
}

// Secret settings dev does not set: the previous AES key exists only
// during a key rotation.
param absentSecretSettings = [
  'OMS_AES_PREVIOUS_KEY'
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
    function: 'poller-watchdog'
    setting: 'POLLER_WATCHDOG_SCHEDULE'
    schedule: '30 */5 * * * *'
    intervalMinutes: 5
  }
]

param postgresAdminPassword = readEnvironmentVariable('POSTGRES_ADMIN_PASSWORD')
param teamsWebhookUrl = readEnvironmentVariable('TEAMS_WEBHOOK_URL', '')
param pipelinePrincipalId = readEnvironmentVariable('PIPELINE_PRINCIPAL_ID', '')

// The audit trail's Azure Data Explorer cluster; empty until it is known.
param adxClusterName = ''
param adxDatabaseName = ''
param adxResourceGroup = ''
