// Key Vault in RBAC mode, holding the app's secrets. DATABASE_URL reaches the
// app as a Key Vault reference to the database-url secret; the pipeline reads
// the same secret to run `handler migrate`.

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object

@description('Vault name (3-24 characters, globally unique).')
@minLength(3)
@maxLength(24)
param name string

@description('Purge protection cannot be turned off again once on; use it in prod.')
param purgeProtection bool

@description('PostgreSQL server host name.')
param postgresFqdn string

@description('PostgreSQL database name.')
param postgresDatabase string

@description('PostgreSQL administrator login.')
param postgresLogin string

@description('PostgreSQL administrator password; letters and digits only, so it needs no escaping in a URL.')
@secure()
param postgresPassword string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    // ARM rejects false here: purge protection is either on or absent.
    enablePurgeProtection: purgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
  }
}

resource adminPassword 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'postgres-admin-password'
  properties: {
    value: postgresPassword
    contentType: 'text/plain'
  }
}

resource databaseUrl 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'database-url'
  properties: {
    value: 'postgres://${postgresLogin}:${postgresPassword}@${postgresFqdn}:5432/${postgresDatabase}?sslmode=require'
    contentType: 'text/plain'
  }
}

output id string = vault.id
output name string = vault.name
output databaseUrlSecretName string = databaseUrl.name
