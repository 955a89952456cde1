// Package teamstest is a fake Power Automate Workflows webhook for tests and
// the local run: it serves the trigger on a real socket and behaves as the
// real one is documented to.
//
// What it guarantees:
//
//   - A body over MaxBytes (default 28 KB) is refused with 413, requests
//     beyond a token bucket of RatePerSecond (default 4 per second, burst 4)
//     get 429 with Retry-After, a wrong sig gets 401, and a body that is not
//     a message with an Adaptive Card attachment gets 400. Accepted posts
//     get 202 and an empty body.
//   - It records every accepted card (Cards) and every request's size and
//     status (Calls), and can be told to fail (FailNext), to repeat the
//     URL's sig in an error (EchoCredentialsNext) or be slow (Delay); told
//     answers accept nothing.
package teamstest
