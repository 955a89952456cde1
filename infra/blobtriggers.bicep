// The Event Grid delivery of the blob-triggered functions: Flex Consumption
// runs blob triggers only with "source": "EventGrid", which needs a system
// topic on the storage account and one subscription per function, posting
// BlobCreated events to the blobs extension's webhook. That webhook's key
// (blobs_extension) exists only once the code is deployed, so the pipeline
// deploys this file after the package (deploy.yml, "Subscribe the blob
// triggers"). The functions come from infra/messaging.json (blobTriggers),
// like the topics: a new blob trigger needs no edit here.

@description('Azure region.')
param location string = resourceGroup().location

@description('Environment: dev, test or prod.')
@allowed(['dev', 'test', 'prod'])
param envName string

@description('Function App name (main.bicep output functionAppName).')
param functionAppName string

@description('Storage account of the app\'s containers (main.bicep output storageAccountName).')
param storageAccountName string

var catalog = any(loadJsonContent('messaging.json'))
var triggers = catalog.blobTriggers

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: 'evgt-int-${envName}-storage'
  location: location
  tags: {
    application: 'integration'
    environment: envName
  }
  properties: {
    source: storage.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

var blobsKey = listKeys('${site.id}/host/default', '2024-04-01').systemKeys.blobs_extension

resource subscriptions 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = [
  for t in triggers: {
    parent: topic
    name: 'int-${envName}-${t.function}'
    properties: {
      destination: {
        endpointType: 'WebHook'
        properties: {
          endpointUrl: 'https://${site.properties.defaultHostName}/runtime/webhooks/blobs?functionName=Host.Functions.${t.function}&code=${blobsKey}'
          maxEventsPerBatch: 1
        }
      }
      filter: {
        includedEventTypes: ['Microsoft.Storage.BlobCreated']
        subjectBeginsWith: '/blobServices/default/containers/${t.container}/'
      }
      eventDeliverySchema: 'EventGridSchema'
      retryPolicy: {
        maxDeliveryAttempts: 30
        eventTimeToLiveInMinutes: 1440
      }
    }
  }
]

output subscriptions array = [for t in triggers: 'int-${envName}-${t.function}']
