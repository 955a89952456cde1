// Everything the integration layer's Function App needs in one environment's
// resource group: the Flex Consumption app, its storage, Service Bus with the
// topics of messaging.json, PostgreSQL, Key Vault, monitoring and alerts.
// Deploy with one of params/*.bicepparam (infra/README.md).

targetScope = 'resourceGroup'

@description('The environment: names, topic names (int-{env}-{topic}) and the app\'s ENVIRONMENT setting.')
@allowed([
  'dev'
  'test'
  'prod'
])
param envName string

@description('Azure region of every resource.')
param location string = resourceGroup().location

@description('The handler\'s LOG_LEVEL.')
@allowed([
  'debug'
  'info'
  'warn'
  'error'
])
param logLevel string = 'info'

@description('Timer functions: [{ function, setting, schedule, intervalMinutes }]. Each sets the app setting its function.json names (%setting% = NCRONTAB schedule) and gets a "no successful run for three intervals" alert.')
param timers array

@description('Plain per-environment values of the settings the handler reads that are neither secrets nor derived from the resources here: partner URLs and codes, flow rules. Setting name to value.')
param appConfig object

@description('Secret settings this environment does not set (for example OMS_AES_PREVIOUS_KEY outside a key rotation). They get no app setting at all, so no unresolvable Key Vault reference reaches the handler.')
param absentSecretSettings array = []

@description('Memory of each Function App instance in MB.')
param functionInstanceMemoryMB int = 2048

@description('Upper bound of Function App instances.')
param functionMaximumInstanceCount int = 40

@description('Storage replication.')
param storageSku string = 'Standard_LRS'

@description('PostgreSQL compute SKU.')
param postgresSkuName string = 'Standard_B1ms'

@description('PostgreSQL tier matching postgresSkuName.')
param postgresSkuTier string = 'Burstable'

@description('PostgreSQL storage in GiB.')
param postgresStorageSizeGB int = 32

@description('PostgreSQL backup retention in days.')
param postgresBackupRetentionDays int = 7

@description('PostgreSQL zone-redundant high availability.')
param postgresHighAvailability bool = false

@description('PostgreSQL major version.')
param postgresVersion string = '16'

@description('PostgreSQL administrator login (the app connects as this user).')
param postgresAdminLogin string = 'integration'

@description('PostgreSQL administrator password: letters and digits only. The pipeline reads it from Key Vault (or makes one on the first deployment) and passes it in POSTGRES_ADMIN_PASSWORD.')
@secure()
param postgresAdminPassword string

@description('Key Vault purge protection (irreversible once on).')
param keyVaultPurgeProtection bool = false

@description('Days Log Analytics keeps logs.')
param logRetentionDays int = 30

@description('Object id of the pipeline\'s service principal, granted Key Vault Secrets User to read database-url for handler migrate; empty for none.')
param pipelinePrincipalId string = ''

@description('Existing Azure Data Explorer cluster holding the audit trail; empty where there is none.')
param adxClusterName string

@description('Database in that cluster.')
param adxDatabaseName string

@description('Resource group of that cluster.')
param adxResourceGroup string

@description('Subscription of that cluster.')
param adxSubscriptionId string = subscription().subscriptionId

@description('Turn the alert rules on or off.')
param alertsEnabled bool = true

@description('Teams workflow URL the action group posts alerts to; the pipeline reads it from the Key Vault secret teams-workflow-url.')
@secure()
param teamsWebhookUrl string = ''

@description('E-mail addresses that also get every alert.')
param alertEmails array = []

@description('Alert when a function fails more than this percentage of its invocations (15 minutes).')
param failureRateThresholdPercent int = 10

@description('...and ran at least this many times.')
param failureMinInvocations int = 5

@description('Alert when a function fails at least this many times in 15 minutes, however rarely it runs.')
param failureCountThreshold int = 3

// The messaging catalog: the one list of topics and subscriptions. any():
// the rules below treat it as data, whatever topics it holds (zero or many).
var catalog = any(loadJsonContent('messaging.json'))

var suffix = take(uniqueString(resourceGroup().id), 6)
var tags = {
  application: 'integration'
  environment: envName
}
var names = {
  functionApp: 'func-int-${envName}-${suffix}'
  plan: 'asp-int-${envName}-${suffix}'
  storage: 'stint${envName}${suffix}'
  serviceBus: 'sb-int-${envName}-${suffix}'
  postgres: 'psql-int-${envName}-${suffix}'
  keyVault: 'kv-int-${envName}-${suffix}'
  workspace: 'log-int-${envName}'
  appInsights: 'appi-int-${envName}'
  actionGroup: 'ag-int-${envName}'
}
var deploymentContainer = 'app-package'
var databaseName = 'integration'

module monitoring 'modules/monitoring.bicep' = {
  name: 'int-${envName}-monitoring'
  params: {
    location: location
    tags: tags
    workspaceName: names.workspace
    appInsightsName: names.appInsights
    retentionInDays: logRetentionDays
  }
}

module storage 'modules/storage.bicep' = {
  name: 'int-${envName}-storage'
  params: {
    location: location
    tags: tags
    name: names.storage
    skuName: storageSku
    deploymentContainerName: deploymentContainer
    appContainerNames: [
      'edi-archive'
      'staging'
      'dead-letters'
    ]
  }
}

module serviceBus 'modules/servicebus.bicep' = {
  name: 'int-${envName}-servicebus'
  params: {
    location: location
    tags: tags
    name: names.serviceBus
    envName: envName
    catalog: catalog
  }
}

module postgres 'modules/postgres.bicep' = {
  name: 'int-${envName}-postgres'
  params: {
    location: location
    tags: tags
    name: names.postgres
    databaseName: databaseName
    version: postgresVersion
    skuName: postgresSkuName
    skuTier: postgresSkuTier
    storageSizeGB: postgresStorageSizeGB
    backupRetentionDays: postgresBackupRetentionDays
    highAvailability: postgresHighAvailability
    administratorLogin: postgresAdminLogin
    administratorPassword: postgresAdminPassword
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'int-${envName}-keyvault'
  params: {
    location: location
    tags: tags
    name: names.keyVault
    purgeProtection: keyVaultPurgeProtection
    postgresFqdn: postgres.outputs.fqdn
    postgresDatabase: postgres.outputs.databaseName
    postgresLogin: postgresAdminLogin
    postgresPassword: postgresAdminPassword
  }
}

// Settings whose values are Key Vault secrets: every setting a flow marks
// Secret, except the connection-string variants (see below). Each secret is
// named after its setting in kebab case (OMS_API_TOKEN -> oms-api-token).
// database-url is written by this template (keyvault.bicep); operations put
// the others in the vault (infra/README.md, "Secrets").
var keyVaultSettings = [
  'DATABASE_URL'
  'OMS_API_TOKEN'
  'OMS_WEBHOOK_SECRETS'
  'OMS_AES_KEY'
  'OMS_AES_PREVIOUS_KEY'
  'CIRRO_APP_TOKEN'
  'CIRRO_WEBHOOK_SECRETS'
  'XB_API_KEY'
  'TEAMS_WORKFLOW_URL'
  'SPS_SFTP_PASSWORD'
  'SPS_SFTP_PRIVATE_KEY'
  'NAV_SFTP_PASSWORD'
  'NAV_SFTP_PRIVATE_KEY'
  'NAV_PASSWORD'
  'PRINTSTATION_API_KEY'
  'PRINTSTATION_WEBHOOK_SECRETS'
  'IMAGE_VALIDATOR_CLIENT_SECRET'
  'JACKYUN_APP_SECRET'
  'ARENA_EMAIL'
  'ARENA_PASSWORD'
  'GLADLY_SIGNING_KEYS'
  'SNOWFLAKE_PRIVATE_KEY'
]
var presentSecretSettings = filter(keyVaultSettings, s => !contains(absentSecretSettings, s))
var secretSettings = toObject(presentSecretSettings, s => s, s => '@Microsoft.KeyVault(VaultName=${names.keyVault};SecretName=${toLower(replace(s, '_', '-'))})')

// One setting per topic of the catalog, named by the topic's `setting` and
// valued int-{env}-{topic}: a new topic in messaging.json needs no edit here.
var topicSettings = toObject(catalog.topics, t => t.setting, t => replace(replace(catalog.topicNamePattern, '{env}', envName), '{topic}', t.name))

// One schedule setting per timer function.
var timerSettings = toObject(timers, t => t.setting, t => t.schedule)

// Every app setting. infra_test.go holds these names (with appConfig,
// keyVaultSettings, the catalog and the timers of each environment) to
// the settings the flows declare (handler config list), every %SETTING% of functions/*/function.json
// and local.settings.sample.json. Deliberately absent in Azure:
// ServiceBusConnection and BlobStorage (connection-string variants; the
// identity is used), BLOB_LOCAL_DIR and DEVHOST_URL (local runs only),
// FUNCTIONS_WORKER_RUNTIME (Flex rejects it; functionAppConfig.runtime says custom).
var appSettings = union({
  ENVIRONMENT: envName
  LOG_LEVEL: logLevel
  ServiceBusConnection__fullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
  BlobStorage__blobServiceUri: storage.outputs.blobEndpoint
  AzureWebJobsStorage__accountName: storage.outputs.name
  APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.connectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD'
  // The audit trail (shared/audit): the cluster of adxClusterName, or none
  // (the handler then writes audit_events in PostgreSQL).
  ADX_CLUSTER_URI: empty(adxClusterName) ? '' : adx.outputs.clusterUri
  ADX_INGEST_URI: ''
  ADX_DATABASE: adxDatabaseName
  ADX_AUDIT_TABLE: 'AuditEvents'
  ADX_AUDIT_MAPPING: 'AuditMapping'
  ADX_INGESTION: 'managed'
}, appConfig, secretSettings, topicSettings, timerSettings)

module functionApp 'modules/functionapp.bicep' = {
  name: 'int-${envName}-functionapp'
  params: {
    location: location
    tags: tags
    name: names.functionApp
    planName: names.plan
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainer
    instanceMemoryMB: functionInstanceMemoryMB
    maximumInstanceCount: functionMaximumInstanceCount
    appSettings: appSettings
  }
  // The Key Vault references name the vault and database-url: create them first.
  dependsOn: [
    keyVault
  ]
}

module roles 'modules/roles.bicep' = {
  name: 'int-${envName}-roles'
  params: {
    appPrincipalId: functionApp.outputs.principalId
    pipelinePrincipalId: pipelinePrincipalId
    serviceBusName: serviceBus.outputs.name
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'int-${envName}-alerts'
  params: {
    location: location
    tags: tags
    envName: envName
    enabled: alertsEnabled
    actionGroupName: names.actionGroup
    teamsWebhookUrl: teamsWebhookUrl
    alertEmails: alertEmails
    serviceBusId: serviceBus.outputs.id
    appInsightsId: monitoring.outputs.appInsightsId
    timers: timers
    failureRateThresholdPercent: failureRateThresholdPercent
    failureMinInvocations: failureMinInvocations
    failureCountThreshold: failureCountThreshold
  }
}

module workbook 'modules/workbook.bicep' = {
  name: 'int-${envName}-workbook'
  params: {
    location: location
    tags: tags
    envName: envName
    appInsightsId: monitoring.outputs.appInsightsId
  }
}

module adx 'modules/adx.bicep' = if (!empty(adxClusterName)) {
  name: 'int-${envName}-adx'
  // A scope is evaluated even when the condition is false: never pass ''.
  scope: resourceGroup(adxSubscriptionId, empty(adxResourceGroup) ? resourceGroup().name : adxResourceGroup)
  params: {
    clusterName: adxClusterName
    databaseName: adxDatabaseName
    appPrincipalId: functionApp.outputs.principalId
  }
}

output resourceGroupName string = resourceGroup().name
output functionAppName string = functionApp.outputs.name
output functionAppHostName string = functionApp.outputs.defaultHostName
output keyVaultName string = keyVault.outputs.name
output postgresServerName string = postgres.outputs.name
output postgresFqdn string = postgres.outputs.fqdn
output serviceBusNamespace string = serviceBus.outputs.fullyQualifiedNamespace
output storageAccountName string = storage.outputs.name
output appInsightsName string = monitoring.outputs.appInsightsName
output workbookId string = workbook.outputs.workbookId
@description('The secrets the app settings reference; the pipeline checks that each exists before it deploys code.')
output keyVaultSecretNames array = map(presentSecretSettings, s => toLower(replace(s, '_', '-')))
output adxClusterUri string = empty(adxClusterName) ? '' : adx.outputs.clusterUri
