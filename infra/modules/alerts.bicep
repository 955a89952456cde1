// Alerts for operations, all sent to one action group that posts to Teams
// (a webhook receiver) and, optionally, e-mails people.
//   - dead-lettered messages on any topic or subscription (metric)
//   - a function failing more than a share of its invocations (log query;
//     a failure is success == false or a 5xx resultCode)
//   - a timer with no successful run for three of its intervals (log query, one per timer)
//   - parked or dead-lettered messages reported by dead-letter-watch (log query)
//   - a function failing at least a number of times, whatever its volume
//     (log query; the rate rule above ignores functions that run rarely)
//   - a timer poller-watchdog says stopped (log query, one alert per timer)

@description('Azure region of the log alert rules (the Application Insights region).')
param location string

@description('Tags for every resource.')
param tags object

@description('dev, test or prod.')
param envName string

@description('Turn every rule on or off (the action group stays).')
param enabled bool

@description('Action group name.')
param actionGroupName string

@description('Teams workflow (or incoming webhook) URL the alerts are posted to; empty for none.')
@secure()
param teamsWebhookUrl string

@description('E-mail addresses that also receive every alert.')
param alertEmails array

@description('Service Bus namespace resource id.')
param serviceBusId string

@description('Application Insights resource id.')
param appInsightsId string

@description('Timers to watch: [{ function, setting, schedule, intervalMinutes }].')
param timers array

@description('Alert when a function fails more than this percentage of its invocations in 15 minutes.')
@minValue(1)
@maxValue(100)
param failureRateThresholdPercent int

@description('...and ran at least this many times in those 15 minutes.')
@minValue(1)
param failureMinInvocations int

@description('Alert when a function fails at least this many times in 15 minutes, however often it runs.')
@minValue(1)
param failureCountThreshold int

var actions = {
  actionGroups: [
    actionGroup.id
  ]
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: actionGroupName
  location: 'Global'
  tags: tags
  properties: {
    groupShortName: take('int-${envName}', 12)
    enabled: true
    webhookReceivers: empty(teamsWebhookUrl) ? [] : [
      {
        name: 'teams'
        serviceUri: teamsWebhookUrl
        useCommonAlertSchema: true
      }
    ]
    emailReceivers: [
      for (address, i) in alertEmails: {
        name: 'email-${i}'
        emailAddress: address
        useCommonAlertSchema: true
      }
    ]
  }
}

resource deadLetters 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: 'int-${envName}-dead-lettered-messages'
  location: 'global'
  tags: tags
  properties: {
    description: 'Messages were dead-lettered on a topic or subscription: they failed maxDeliveryCount times. dead-letter-watch records each one and names it; once the cause is fixed, replay them with handler replay -dead-letter (handlers/platform/README.md).'
    severity: 2
    enabled: enabled
    scopes: [
      serviceBusId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'dead-lettered'
          metricNamespace: 'Microsoft.ServiceBus/namespaces'
          metricName: 'DeadletteredMessages'
          dimensions: [
            {
              name: 'EntityName'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          timeAggregation: 'Maximum'
        }
      ]
    }
    autoMitigate: true
    actions: [
      {
        actionGroupId: actionGroup.id
      }
    ]
  }
}

// The queries live in infra/queries, where the tests run them over the
// local host's telemetry. For HTTP functions success is the invocation's
// result, not the status (a 503 answer is success == true, resultCode
// "503"), so failures are success == false or a 5xx resultCode.
var failureQueryText = loadTextContent('../queries/function-failure-rate.kql')
var failureQuery = replace(replace(failureQueryText, '__MIN_INVOCATIONS__', string(failureMinInvocations)), '__THRESHOLD_PERCENT__', string(failureRateThresholdPercent))

resource failureRate 'Microsoft.Insights/scheduledQueryRules@2022-06-15' = {
  name: 'int-${envName}-function-failure-rate'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'int-${envName}: function failure rate above ${failureRateThresholdPercent}%'
    description: 'A function failed more than ${failureRateThresholdPercent}% of at least ${failureMinInvocations} invocations in 15 minutes. The README\'s "What failed in the last hour" query says why.'
    severity: 2
    enabled: enabled
    scopes: [
      appInsightsId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: failureQuery
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          dimensions: [
            {
              name: 'operation_Name'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: actions
  }
}

// One rule per timer: no successful run in three of its intervals. Timer
// functions run as singletons, so a stuck or failing poller shows up here
// even when nothing else fails: three intervals, rounded up to the next
// window size a log alert accepts (5, 10, 15, 30, 45 minutes; 1-6 hours;
// 1 or 2 days), at most 2 days. So a timer running every minute is checked
// over 5 minutes, one every 30 minutes over 2 hours, a daily one over 2
// days (infra_test.go holds these sizes to Azure Monitor's list).
var timerWindowMinutes = [for t in timers: 3 * t.intervalMinutes <= 5 ? 5 : 3 * t.intervalMinutes <= 10 ? 10 : 3 * t.intervalMinutes <= 15 ? 15 : 3 * t.intervalMinutes <= 30 ? 30 : 3 * t.intervalMinutes <= 45 ? 45 : 3 * t.intervalMinutes <= 60 ? 60 : 3 * t.intervalMinutes <= 120 ? 120 : 3 * t.intervalMinutes <= 180 ? 180 : 3 * t.intervalMinutes <= 240 ? 240 : 3 * t.intervalMinutes <= 300 ? 300 : 3 * t.intervalMinutes <= 360 ? 360 : 3 * t.intervalMinutes <= 1440 ? 1440 : 2880]

resource missedTimers 'Microsoft.Insights/scheduledQueryRules@2022-06-15' = [
  for (t, i) in timers: {
    name: 'int-${envName}-timer-${t.function}-missed'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: 'int-${envName}: ${t.function} has not succeeded for ${timerWindowMinutes[i]} minutes'
      description: '${t.function} runs every ${t.intervalMinutes} minutes (${t.setting} = ${t.schedule}) and has had no successful run for ${timerWindowMinutes[i]} minutes.'
      severity: 2
      enabled: enabled
      scopes: [
        appInsightsId
      ]
      evaluationFrequency: timerWindowMinutes[i] > 360 ? 'PT1H' : 'PT5M'
      windowSize: 'PT${timerWindowMinutes[i]}M'
      criteria: {
        allOf: [
          {
            query: replace(loadTextContent('../queries/timer-succeeded.kql'), '__FUNCTION__', t.function)
            timeAggregation: 'Count'
            operator: 'LessThan'
            threshold: 1
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      autoMitigate: true
      actions: actions
    }
  }
]

// dead-letter-watch writes one error line with "outcome":"needs_attention"
// per newly parked message and per non-empty dead-letter queue. Traces are
// not sampled (host.json excludes Trace), so every line is a row.
var attentionQuery = loadTextContent('../queries/messages-need-attention.kql')

resource needsAttention 'Microsoft.Insights/scheduledQueryRules@2022-06-15' = {
  name: 'int-${envName}-messages-need-attention'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'int-${envName}: parked or dead-lettered messages need attention'
    description: 'dead-letter-watch reported parked messages or non-empty dead-letter queues. Run the README\'s "What is parked or dead-lettered" query; replay with handler replay <id>.'
    severity: 2
    enabled: enabled
    scopes: [
      appInsightsId
    ]
    evaluationFrequency: 'PT5M'
    // Longer than the frequency so that late-ingested lines are not missed;
    // a line may be reported twice rather than never.
    windowSize: 'PT10M'
    criteria: {
      allOf: [
        {
          query: attentionQuery
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: false
    actions: actions
  }
}

// Failures per function, counted: the rate rule needs a minimum volume, so
// a timer that runs every 5 minutes, or a webhook called a few times an
// hour, fails unseen there. This one counts failures of each function.
resource failureCount 'Microsoft.Insights/scheduledQueryRules@2022-06-15' = {
  name: 'int-${envName}-function-failures'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'int-${envName}: a function failed ${failureCountThreshold} times or more in 15 minutes'
    description: 'A function failed at least ${failureCountThreshold} times in 15 minutes (success == false or a 5xx resultCode). The README\'s "What failed in the last hour" query says why.'
    severity: 2
    enabled: enabled
    scopes: [
      appInsightsId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: loadTextContent('../queries/function-failures.kql')
          timeAggregation: 'Total'
          metricMeasureColumn: 'failures'
          operator: 'GreaterThanOrEqual'
          threshold: failureCountThreshold
          dimensions: [
            {
              name: 'operation_Name'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: actions
  }
}

// poller-watchdog writes one "poller stopped" line when a timer has missed
// POLLER_WATCHDOG_MISSED_RUNS of its runs (from its schedule, and from
// the timer_runs table, so a timer that runs and fails counts too), and
// "poller recovered" when it succeeds again. One alert per timer.
resource pollerStopped 'Microsoft.Insights/scheduledQueryRules@2022-06-15' = {
  name: 'int-${envName}-poller-stopped'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'int-${envName}: a poller stopped succeeding'
    description: 'poller-watchdog found a timer that has not succeeded for several of its runs. The workbook\'s poller tile shows each timer\'s last success; the timer\'s own lines say why.'
    severity: 2
    enabled: enabled
    scopes: [
      appInsightsId
    ]
    evaluationFrequency: 'PT5M'
    // Longer than the frequency so that a late line is not missed.
    windowSize: 'PT10M'
    criteria: {
      allOf: [
        {
          query: loadTextContent('../queries/poller-stopped.kql')
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          dimensions: [
            {
              name: 'timer'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: false
    actions: actions
  }
}

output actionGroupId string = actionGroup.id
