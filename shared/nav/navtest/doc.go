// Package navtest is a fake Dynamics NAV SOAP server for tests and local
// runs: it parses each envelope, checks the SOAPAction against the body's
// operation and service, checks the credentials (Basic, or a real NTLMv2
// handshake verified against the password), keeps sales orders in memory,
// records what it received, and can be told to fault.
//
// It guarantees that what it accepts is what NAV would: a SOAP 1.1
// envelope whose SOAPAction names the body's operation of the service in
// the URL, from the configured user; anything else gets NAV's answer (a
// 401, or a SOAP fault).
package navtest
