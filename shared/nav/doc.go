// Package nav is the client of Dynamics NAV's SOAP web services: the
// SalesOrder page service (find, create and delete sales orders) and a
// codeunit service that posts a warehouse shipment (the 945 when NAV takes
// it over SOAP rather than as a file).
//
// What it guarantees:
//
//   - Every call is a SOAP 1.1 envelope with the quoted SOAPAction NAV
//     expects ("urn:microsoft-dynamics-schemas/page/salesorder:Create"),
//     Content-Type text/xml, and a deadline.
//   - Authentication is NTLM (through github.com/Azure/go-ntlmssp, the
//     handshake on NAV's 401) or Basic over HTTPS, by configuration; the
//     password never appears in an error.
//   - A SOAP fault is parsed into *Fault (faultcode, faultstring, detail).
//     Validation faults (NAV's CSide validation, a record that does not
//     exist, a field that does not accept the value) are permanent; a
//     5xx without a fault, a timeout or a refused connection is transient;
//     401 is ErrUnauthorized (transient: credentials may be being rotated).
//   - CreateSalesOrder is made idempotent by the caller: FindSalesOrder by
//     Sell-to customer and External Document No. first (NAV's page service
//     has no idempotency key).
//
// The page's field names and the codeunit's name and parameters are
// assumptions kept in contract.go.
package nav
