// The operators' Azure Monitor workbook, over Application Insights: what
// each function did (invocations, failures, parked messages), dead letters
// (queues now, messages recorded), how long ago each poller last
// succeeded, webhook rejections by reason, and the journey of one order.
// Every tile's query is a file of infra/queries (the README carries the
// same text, and the tests run it over the local host's telemetry).

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object

@description('dev, test or prod.')
param envName string

@description('Application Insights resource id: the workbook reads its requests and traces.')
param appInsightsId string

// The order journey query's sample order becomes the workbook's OrderId
// parameter, which Azure Monitor substitutes before it runs the query.
var journeyQuery = replace(loadTextContent('../queries/order-journey.kql'), 'ORD-1001', '{OrderId}')

var tiles = [
  {
    name: 'activity'
    title: 'Invocations, failures and parked messages per function (1 day)'
    query: loadTextContent('../queries/function-activity.kql')
    visualization: 'table'
  }
  {
    name: 'dead-letter-depth'
    title: 'Dead-letter queues that are not empty (dead-letter-watch, last hour)'
    query: loadTextContent('../queries/dead-letter-depth.kql')
    visualization: 'table'
  }
  {
    name: 'dead-letters-recorded'
    title: 'Dead-lettered messages recorded, by subscription and reason (7 days)'
    query: loadTextContent('../queries/dead-letters-recorded.kql')
    visualization: 'table'
  }
  {
    name: 'poller-ages'
    title: 'Pollers: last success and missed runs (poller-watchdog)'
    query: loadTextContent('../queries/poller-last-success.kql')
    visualization: 'table'
  }
  {
    name: 'webhook-rejections'
    title: 'Webhook rejections by function and reason (1 day)'
    query: loadTextContent('../queries/webhook-rejections.kql')
    visualization: 'barchart'
  }
]

var header = {
  type: 1
  name: 'intro'
  content: {
    json: '## Integration layer (${envName})\nWhat each function did, what is stuck, and where an order is. Replay parked and dead-lettered messages with `handler replay` (README, "Failures, parking and dead letters").'
  }
}

var parameters = {
  type: 9
  name: 'parameters'
  content: {
    version: 'KqlParameterItem/1.0'
    parameters: [
      {
        id: guid('int-workbook-order-id')
        version: 'KqlParameterItem/1.0'
        name: 'OrderId'
        label: 'Order (or document) id'
        type: 1
        isRequired: false
        value: ''
      }
    ]
    style: 'pills'
    queryType: 0
    resourceType: 'microsoft.insights/components'
  }
}

var queryTiles = [
  for t in tiles: {
    type: 3
    name: t.name
    content: {
      version: 'KqlItem/1.0'
      title: t.title
      query: t.query
      size: 0
      queryType: 0
      resourceType: 'microsoft.insights/components'
      visualization: t.visualization
    }
  }
]

var journey = {
  type: 3
  name: 'order-journey'
  conditionalVisibility: {
    parameterName: 'OrderId'
    comparison: 'isNotEqualTo'
    value: ''
  }
  content: {
    version: 'KqlItem/1.0'
    title: 'Journey of order {OrderId} (7 days)'
    query: journeyQuery
    size: 0
    queryType: 0
    resourceType: 'microsoft.insights/components'
    visualization: 'table'
  }
}

var workbookContent = {
  version: 'Notebook/1.0'
  items: concat([
    header
    parameters
  ], queryTiles, [
    journey
  ])
  isLocked: false
  fallbackResourceIds: [
    appInsightsId
  ]
}

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, 'int-${envName}-operations-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'int-${envName}: operations'
    category: 'workbook'
    sourceId: appInsightsId
    serializedData: string(workbookContent)
    version: 'Notebook/1.0'
  }
}

output workbookId string = workbook.id
