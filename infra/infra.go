// Package infra embeds the declarations under infra/ that the binary needs at
// run time. Today that is messaging.json, the one list of topics and
// subscriptions; the Bicep beside it deploys from the same file.
package infra

import _ "embed"

// MessagingJSON is infra/messaging.json.
//
//go:embed messaging.json
var MessagingJSON []byte
