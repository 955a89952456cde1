// The existing Azure Data Explorer cluster and database that keep the audit
// trail. They belong to another team and are only referenced here; this
// template adds to the database what the audit trail needs: the table and
// its JSON mapping (infra/adx/audit.kql, a database script) and the Function
// App's identity as ingestor.

@description('Cluster name.')
param clusterName string

@description('Database name.')
param databaseName string

@description('Object (principal) id of the Function App\'s system-assigned identity.')
param appPrincipalId string

@description('Create the table and mapping from infra/adx/audit.kql (false where the cluster\'s owners run the script themselves).')
param deployAuditScript bool = true

resource cluster 'Microsoft.Kusto/clusters@2023-08-15' existing = {
  name: clusterName
}

resource database 'Microsoft.Kusto/clusters/databases@2023-08-15' existing = {
  parent: cluster
  name: databaseName
}

// Ingestor may ingest into every table of the database, and nothing else:
// the app cannot read the trail, and queries run as the people asking.
resource ingestor 'Microsoft.Kusto/clusters/databases/principalAssignments@2023-08-15' = {
  parent: database
  name: 'int-app-ingestor'
  properties: {
    principalId: appPrincipalId
    principalType: 'App'
    role: 'Ingestor'
    tenantId: tenant().tenantId
  }
}

resource auditScript 'Microsoft.Kusto/clusters/databases/scripts@2023-08-15' = if (deployAuditScript) {
  parent: database
  name: 'int-audit-table'
  properties: {
    scriptContent: loadTextContent('../adx/audit.kql')
    continueOnErrors: false
  }
}

output clusterUri string = cluster.properties.uri
output databaseId string = database.id
