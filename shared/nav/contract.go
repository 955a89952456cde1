package nav

// ---------------------------------------------------------------------------
// ASSUMPTIONS. The company's NAV web services are not documented publicly:
// the page fields follow the standard SalesOrder page (TSO's and Microsoft's
// examples), the codeunit that posts a shipment is this layer's own contract
// with the NAV team. The fake in navtest serves exactly these names.
// ---------------------------------------------------------------------------

// Service names, appended to Config.BaseURL (…/WS/<Company>).
const (
	PageSalesOrder = "SalesOrder"
	// CodeunitShipment posts a warehouse shipment (Ship = true, Invoice =
	// false) from a 945: its method PostShipment takes the order number,
	// shipment id, date, shipping agent, the first tracking number and the
	// shipped quantity per line.
	CodeunitShipment = "EDIShipment"
)

// Namespaces of the services.
const (
	nsEnvelope   = "http://schemas.xmlsoap.org/soap/envelope/"
	nsSalesOrder = "urn:microsoft-dynamics-schemas/page/salesorder"
	nsShipment   = "urn:microsoft-dynamics-schemas/codeunit/EDIShipment"
)

// SOAP actions.
const (
	ActionReadMultiple = nsSalesOrder + ":ReadMultiple"
	ActionCreate       = nsSalesOrder + ":Create"
	ActionDelete       = nsSalesOrder + ":Delete"
	ActionPostShipment = nsShipment + ":PostShipment"
)

// permanentFaults are substrings of NAV fault codes (and of the exception
// type in the fault string) that retrying cannot fix.
var permanentFaults = []string{
	"NavCSideValidationException", "NavNCLRecordNotFoundException", "NavCSideRecordNotFoundException",
	"NavCSideDataException", "NavTestFieldException", "NavNCLInvalidFieldException", "Client",
}
