// The Service Bus namespace and, through servicebus-topic.bicep, every topic,
// subscription and filter rule of the messaging catalog (infra/messaging.json,
// passed in as `catalog`). The catalog is the one list: adding a topic or a
// subscription there needs no edit here. Works with zero topics as with many.

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object

@description('Namespace name (globally unique).')
param name string

@description('dev, test or prod: the {env} of the catalog\'s topicNamePattern.')
param envName string

@description('The messaging catalog, infra/messaging.json as an object.')
param catalog object

resource namespace 'Microsoft.ServiceBus/namespaces@2022-10-01-preview' = {
  name: name
  location: location
  tags: tags
  // Duplicate detection needs Standard or Premium.
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    // Only Entra ID identities connect; there are no SAS keys to leak.
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
  }
}

// One nested deployment per topic: Bicep has no nested resource loops, and a
// module per topic keeps each topic's subscriptions and rules together.
module topics 'servicebus-topic.bicep' = [
  for t in catalog.topics: {
    name: take('sb-topic-${t.name}', 64)
    params: {
      namespaceName: namespace.name
      entityName: replace(replace(catalog.topicNamePattern, '{env}', envName), '{topic}', t.name)
      topic: t
      defaults: catalog.defaults
    }
  }
]

output id string = namespace.id
output name string = namespace.name
@description('The namespace host name, e.g. sb-int-prod-abc123.servicebus.windows.net.')
output fullyQualifiedNamespace string = split(replace(namespace.properties.serviceBusEndpoint, 'https://', ''), ':')[0]
