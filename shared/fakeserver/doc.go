// Package fakeserver is the plumbing the partner fakes (omstest, xbtest,
// cirrotest, teamstest) share, so that each is told to fail in the same
// way: a Front records every request (Calls), holds answers for a delay
// (Delay), and gives the answers a test told it to give (Tell, TellFunc)
// before the fake's own routes run.
//
// It decides nothing about a partner: each fake builds its told answers in
// its own partner's wire format, and serves everything else itself. What a
// Front guarantees:
//
//   - Every request is recorded on arrival, in order, with its body; its
//     Status is noted before the answer is written, so a caller that has
//     its answer finds it in Calls. A request whose caller gave up during
//     the hold keeps Status 0.
//   - Told answers are given in the order they were told, each as many
//     times as told, to the requests in Scope; they never reach the fake's
//     routes, so they make no effect.
//   - By default the hold comes before the answer is decided: a caller that
//     gives up leaves no effect. With HoldAfter the answer is decided (and
//     its effect made) first, as with a real lost answer.
//   - It is safe for concurrent use; Close releases every held request.
package fakeserver
