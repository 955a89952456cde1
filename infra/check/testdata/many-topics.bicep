// A test fixture: the Service Bus module and the topic app settings built
// from a catalog with many topics (infra/messaging.json has none yet). The
// Bicep checks in `make test` parse it; CI also compiles it with the Bicep CLI.

param envName string = 'test'

var catalog = any(loadJsonContent('many-topics.json'))

module serviceBus '../../modules/servicebus.bicep' = {
  name: 'fixture-servicebus'
  params: {
    location: resourceGroup().location
    tags: {}
    name: 'sb-int-fixture'
    envName: envName
    catalog: catalog
  }
}

// The same expression main.bicep uses for its topic settings.
output topicSettings object = toObject(catalog.topics, t => t.setting, t => replace(replace(catalog.topicNamePattern, '{env}', envName), '{topic}', t.name))
output namespace string = serviceBus.outputs.fullyQualifiedNamespace
