// Package teams posts alerts to a Microsoft Teams channel through a Power
// Automate "Workflows" webhook ("When a Teams webhook request is
// received"), as one Adaptive Card per alert.
//
// What it guarantees:
//
//   - The whole request body stays within Config.MaxCardBytes (default
//     20 000 bytes, under Teams's ~28 KB limit): long text and fact values
//     are cut, and facts dropped from the end, each marked "(truncated)";
//     the card is always valid JSON and valid UTF-8.
//   - Posts are rate limited on the client (Config.RatePerSecond, default
//     4 per second, the documented limit); waiting for the limiter is
//     bounded by ctx.
//   - 2xx (usually 202) is success. 429 is transient with Retry-After
//     (fault.RetryAfter), 5xx, timeouts and network errors are transient,
//     401 and 403 are transient ("credentials refused": the URL may be
//     mid-rotation), 413 and other 4xx are permanent.
//   - The workflow URL is a secret (its sig parameter is the credential):
//     no error holds it, its path or any part of its query, even when the
//     service repeats them in an error body, and the client never logs.
//   - Every post is bounded by Config.Timeout (default 10 s) inside ctx.
//
// The payload is the documented Workflows shape: {"type":"message",
// "attachments":[{"contentType":"application/vnd.microsoft.card.adaptive",
// "contentUrl":null,"content":<AdaptiveCard 1.4>}]}; hand-built flows read
// attachments[0].content, so there is exactly one attachment. The card's
// layout (title, text, fact set, "Open" link) is this package's choice.
package teams
