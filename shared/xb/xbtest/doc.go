// Package xbtest is a fake XB for tests and the local run: it serves the
// contract of package xb (contract.go) on a real socket.
//
// What it guarantees:
//
//   - It enforces the API key (401), validates orders (422 with
//     validation_failed or invalid_ship_method, naming fields, never their
//     values), creates an order once per Idempotency-Key (201), answers a
//     replay of the key with the first answer (200 for a creation) and a
//     key reused with another body with 422 idempotency_key_reused, and
//     answers an order number created under another key with 409
//     order_exists.
//   - It records every request (Calls) and every created order (Orders),
//     and can be told to fail (FailNext), answer anything (RejectNext),
//     repeat the API key it got in an error (EchoCredentialsNext) or be
//     slow (Delay). Told answers create nothing and are not remembered
//     for their key, so a retry after them proceeds.
package xbtest
