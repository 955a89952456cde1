package cirro

import "encoding/json"

// OrderCreate is the request_data of a B2C order (POST v1/order/create).
// Field names are Cirro's snake_case (assumption: the consignee travels as a
// nested object and items as a list of sku and quantity).
type OrderCreate struct {
	// ReferenceNo is our OMS order id; Cirro keeps at most one order per value.
	ReferenceNo    string    `json:"reference_no"`
	ShippingMethod string    `json:"shipping_method"`
	WarehouseCode  string    `json:"warehouse_code,omitempty"`
	Consignee      Consignee `json:"consignee"`
	Items          []Item    `json:"items"`
	Remark         string    `json:"remark,omitempty"`
}

// Consignee is who the order ships to. It is personal data: it never appears
// in an error returned by this package.
type Consignee struct {
	Name        string `json:"name"`
	Company     string `json:"company,omitempty"`
	Phone       string `json:"phone,omitempty"`
	Email       string `json:"email,omitempty"`
	CountryCode string `json:"country_code"`
	Province    string `json:"province,omitempty"`
	City        string `json:"city"`
	Address1    string `json:"address1"`
	Address2    string `json:"address2,omitempty"`
	Zipcode     string `json:"zipcode"`
}

// Item is one order line.
type Item struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

// B2BOrderCreate is the request_data of a B2B order (POST
// v1/order/create-b2b): the B2C fields, flattened, plus the retailer's PO and
// the label data, which this package passes through unread.
type B2BOrderCreate struct {
	OrderCreate
	PONumber string `json:"po_number"`
	// LabelTemplate is {ucc_label, pallet_label, packing_slip_label, ...},
	// built per vendor by the caller.
	LabelTemplate json.RawMessage `json:"label_template,omitempty"`
	// CartonList is the carton_list[] of label attachments and metadata.
	CartonList json.RawMessage `json:"carton_list,omitempty"`
}

// Created is the outcome of a create call.
type Created struct {
	// OrderNo is Cirro's order number. It may be empty when Duplicate is
	// true and Cirro did not repeat the number in its answer.
	OrderNo string `json:"order_no"`
	// Duplicate is true when Cirro already had this order: the request_id was
	// used before, or an order with this reference_no exists. Nothing new was
	// created, and the caller treats the order as sent.
	Duplicate bool `json:"duplicate"`
}

// Envelope is Cirro's request envelope: every call sends one.
type Envelope struct {
	// RequestID is accepted only once by Cirro.
	RequestID string `json:"request_id"`
	// RequestTime is Unix seconds.
	RequestTime int64           `json:"request_time"`
	RequestData json.RawMessage `json:"request_data"`
}

// Reply is Cirro's response envelope.
type Reply struct {
	// Code is 0 when the request was accepted; see the Code constants.
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// TokenRequest is the request_data of a token request.
type TokenRequest struct {
	AppKey   string `json:"app_key"`
	AppToken string `json:"app_token"`
}

// Token is the data of a token reply.
type Token struct {
	AccessToken string `json:"access_token"`
	// ExpiredAt is Unix seconds.
	ExpiredAt int64 `json:"expired_at"`
}

// OrderQuery is the request_data of a lookup (POST v1/order/get).
type OrderQuery struct {
	ReferenceNo string `json:"reference_no"`
}

// OrderInfo is the data of a lookup reply (assumption: the order number,
// the reference and a status such as StatusCreated, StatusAccepted or
// StatusShipped).
type OrderInfo struct {
	OrderNo     string `json:"order_no"`
	ReferenceNo string `json:"reference_no"`
	Status      string `json:"status,omitempty"`
}

// CreateReply is the data of a create reply (assumption: Cirro answers
// with the order number it assigned).
type CreateReply struct {
	OrderNo string `json:"order_no"`
}
