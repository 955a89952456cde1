// The existing Azure Data Explorer cluster and database that keep the audit
// trail. They belong to another team and are only referenced here; granting
// the app ingest rights arrives with the audit client (infra/README.md).

@description('Cluster name.')
param clusterName string

@description('Database name.')
param databaseName string

resource cluster 'Microsoft.Kusto/clusters@2023-08-15' existing = {
  name: clusterName
}

resource database 'Microsoft.Kusto/clusters/databases@2023-08-15' existing = {
  parent: cluster
  name: databaseName
}

output clusterUri string = cluster.properties.uri
output databaseId string = database.id
