// Package imagevalidator is the client of the image validator, the service
// that classifies a print image (approved or rejected, with reasons)
// before it goes to PrintStation.
//
// It guarantees: one OAuth 2.0 client-credentials token is fetched and
// reused until shortly before it expires, however many calls run at once
// (golang.org/x/oauth2/clientcredentials); a token the validator refuses
// (401) is dropped and fetched again once within the call; every image
// asked about gets exactly one verdict, or the call fails as a whole;
// failures are classified with package fault (unreachable, 5xx, 408, 429 and
// refused credentials transient, so a batch waits; other 4xx permanent).
// A classification this package does not know is a verdict that the image
// is not approved, with the validator's word for it, never an approval.
//
// The validator's API is private: paths, fields and codes are assumptions
// kept in contract.go, which the client and the fake (imagevalidatortest)
// both read.
package imagevalidator
