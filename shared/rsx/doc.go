// Package rsx reads and writes SPS Commerce's RSX XML: purchase orders
// (850) in both dialects SPS delivers, the RSX 7.x Orders/Order and the
// older PurchaseOrders/PurchaseOrder (LineItems wrapper, Date1 qualifiers,
// control numbers under Miscellaneous), and ship notices (856,
// Shipments/Shipment) in RSX 7.x.
//
// What it guarantees:
//
//   - Elements are matched by local name: a default namespace, a prefix or
//     none makes no difference, and unknown elements are ignored.
//   - Every problem is an *Error naming the element path
//     (Orders/Order[1]/LineItem[2]/OrderLine/OrderQty) and the input line;
//     malformed or truncated XML is an error with its line, never a
//     partial document taken as whole.
//   - Parse never panics and bounds depth and size; quantities and prices
//     stay exact decimal text.
//   - WriteShipments writes what ReadShipments reads back; every carton's
//     ShippingSerialID is the 20-digit AI 00 + SSCC-18 form.
package rsx
