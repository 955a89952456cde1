// Package messaging reads infra/messaging.json, the one list of Service Bus
// topics and subscriptions: names, the app settings that carry each topic's
// per-environment name, correlation filters and delivery limits.
//
// Bicep deploys from the same file (loadJsonContent), the local host routes
// by it, the publisher resolves topic names through it, and a test checks
// every function.json against it, so the four never disagree.
package messaging
