package nav

// SalesOrder is the SalesOrder page's record (the fields this layer sets).
type SalesOrder struct {
	// Key is NAV's concurrency token, returned by Create and ReadMultiple.
	Key                   string      `xml:"Key,omitempty" json:"key,omitempty"`
	No                    string      `xml:"No,omitempty" json:"no,omitempty"`
	SellToCustomerNo      string      `xml:"Sell_to_Customer_No" json:"sell_to_customer_no"`
	ExternalDocumentNo    string      `xml:"External_Document_No" json:"external_document_no"`
	ShipToCode            string      `xml:"Ship_to_Code,omitempty" json:"ship_to_code,omitempty"`
	OrderDate             string      `xml:"Order_Date,omitempty" json:"order_date,omitempty"`
	RequestedDeliveryDate string      `xml:"Requested_Delivery_Date,omitempty" json:"requested_delivery_date,omitempty"`
	ShipmentDate          string      `xml:"Shipment_Date,omitempty" json:"shipment_date,omitempty"`
	PromisedDeliveryDate  string      `xml:"Promised_Delivery_Date,omitempty" json:"promised_delivery_date,omitempty"`
	YourReference         string      `xml:"Your_Reference,omitempty" json:"your_reference,omitempty"`
	Lines                 []SalesLine `xml:"SalesLines>Sales_Order_Line" json:"lines"`
}

// SalesLine is one Sales_Order_Line.
type SalesLine struct {
	Type              string `xml:"Type" json:"type"` // Item
	No                string `xml:"No" json:"no"`
	Quantity          string `xml:"Quantity" json:"quantity"`
	UnitOfMeasureCode string `xml:"Unit_of_Measure_Code,omitempty" json:"unit_of_measure_code,omitempty"`
	UnitPrice         string `xml:"Unit_Price,omitempty" json:"unit_price,omitempty"`
	// Description2 carries the PO's line sequence number, for the echo in
	// the 856 (assumption: the NAV team maps it to a custom field).
	Description2 string `xml:"Description_2,omitempty" json:"description_2,omitempty"`
}

// ShipmentPosting is what PostShipment posts.
type ShipmentPosting struct {
	OrderNo       string        `xml:"orderNo" json:"order_no"`
	ShipmentID    string        `xml:"shipmentId" json:"shipment_id"`
	ShipDate      string        `xml:"shipDate" json:"ship_date"`
	ShippingAgent string        `xml:"shippingAgentCode" json:"shipping_agent"`
	TrackingNo    string        `xml:"packageTrackingNo" json:"tracking_no"`
	Lines         []ShippedLine `xml:"lines>line" json:"lines"`
}

// ShippedLine is a shipped quantity of an item.
type ShippedLine struct {
	ItemNo   string `xml:"itemNo" json:"item_no"`
	Quantity string `xml:"quantity" json:"quantity"`
}
