// One topic of the messaging catalog with its subscriptions and their rules.
// Values a subscription does not set come from the catalog's defaults.

@description('The Service Bus namespace.')
param namespaceName string

@description('The topic\'s entity name in this environment (int-{env}-{topic}).')
param entityName string

@description('The catalog entry: name, setting, description, optional duplicateDetectionHistoryTimeWindow, subscriptions.')
param topic object

@description('The catalog\'s defaults: maxDeliveryCount, lockDuration, defaultMessageTimeToLive, duplicateDetectionHistoryTimeWindow.')
param defaults object

var duplicateWindow = empty(topic.?duplicateDetectionHistoryTimeWindow ?? '') ? defaults.duplicateDetectionHistoryTimeWindow : topic.duplicateDetectionHistoryTimeWindow
var subscriptions = topic.?subscriptions ?? []

// The rule of a subscription without a correlationFilter: match everything.
var matchAll = {
  filterType: 'SqlFilter'
  sqlFilter: {
    sqlExpression: '1=1'
  }
}

resource namespace 'Microsoft.ServiceBus/namespaces@2022-10-01-preview' existing = {
  name: namespaceName
}

resource topicResource 'Microsoft.ServiceBus/namespaces/topics@2022-10-01-preview' = {
  parent: namespace
  name: entityName
  properties: {
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: duplicateWindow
    defaultMessageTimeToLive: defaults.defaultMessageTimeToLive
    supportOrdering: false
    enablePartitioning: false
  }
}

resource subscriptionResources 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2022-10-01-preview' = [
  for s in subscriptions: {
    parent: topicResource
    name: s.name
    properties: {
      maxDeliveryCount: (s.?maxDeliveryCount ?? 0) > 0 ? s.maxDeliveryCount : defaults.maxDeliveryCount
      lockDuration: empty(s.?lockDuration ?? '') ? defaults.lockDuration : s.lockDuration
      defaultMessageTimeToLive: defaults.defaultMessageTimeToLive
      deadLetteringOnMessageExpiration: true
      deadLetteringOnFilterEvaluationExceptions: true
      requiresSession: false
    }
  }
]

// Every subscription's rule is named $Default, so it replaces the match-all
// rule Service Bus creates with a subscription instead of adding a second
// rule beside it (rules are OR-ed, so a second rule would let everything in).
// A subscription without a correlationFilter gets an explicit match-all rule,
// so removing a filter from the catalog also removes it here. The catalog's
// correlationFilter fields (properties, correlationId, label) are ARM's names.
resource ruleResources 'Microsoft.ServiceBus/namespaces/topics/subscriptions/rules@2022-10-01-preview' = [
  for (s, i) in subscriptions: {
    parent: subscriptionResources[i]
    name: '$Default'
    properties: s.?correlationFilter == null ? matchAll : {
      filterType: 'CorrelationFilter'
      correlationFilter: s.correlationFilter
    }
  }
]

output name string = topicResource.name
