// Package x12compare measures the project's X12 engine (shared/x12) and its
// edi command line, in process and as a whole process, on generated
// interchanges, and prints the figures beside those of tmc/x12. It is a
// module of its own so that the product's go.mod never requires what only
// the comparison needs; see README.md for the method and the figures.
package x12compare

import (
	"bytes"
	"fmt"
	"io"
	"strconv"

	"github.com/popsockets/integration/shared/x12"
)

// Kind names a generated transaction set.
type Kind string

// The generated sets.
const (
	ASN856 Kind = "856" // per set: one shipment, one order, 20 cartons of 6 items, valid SSCC-18s
	PO850  Kind = "850" // per set: 100 PO1 lines, each with CTP, PID, PO4 and SDQ
)

// Generate returns Write's interchange as bytes.
func Generate(kind Kind, size int) ([]byte, error) {
	var b bytes.Buffer
	b.Grow(size + 64<<10)
	if _, err := Write(&b, kind, size); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Write writes a valid interchange, one ISA and one GS, holding sets of the
// given kind until it is at least size bytes long, and returns its length.
// The output depends only on the arguments; one set at a time is held in
// memory.
func Write(w io.Writer, kind Kind, size int) (int64, error) {
	fid := map[Kind]string{ASN856: "SH", PO850: "PO"}[kind]
	if fid == "" {
		return 0, fmt.Errorf("x12compare: unknown kind %q", kind)
	}
	cw := &countingWriter{w: w}
	xw, err := x12.NewWriter(cw, x12.DefaultDelimiters, "")
	if err != nil {
		return 0, err
	}
	// the ISA is fixed width: ISA06 and ISA08 are padded to 15 characters
	head := []x12.Seg{
		x12.NewSeg("ISA", "00", "          ", "00", "          ", "ZZ", "POPSOCKETS     ", "ZZ", "RETAILERX      ",
			"240111", "1405", "U", "00401", "000000001", "0", "P", ">"),
		x12.NewSeg("GS", fid, "POPSOCKETS", "RETAILERX", "20240111", "1405", "1", "X", "004010"),
	}
	put := func(segs ...x12.Seg) error {
		for _, s := range segs {
			if err := xw.Write(s); err != nil {
				return err
			}
		}
		return nil
	}
	if err := put(head...); err != nil {
		return cw.n, err
	}
	n := 0
	for ; cw.n < int64(size); n++ {
		var body []x12.Seg
		switch kind {
		case ASN856:
			var sh *x12.Shipment
			if sh, err = shipment(n); err == nil {
				body, err = x12.Build856(sh)
			}
		case PO850:
			body, err = x12.Build850(purchaseOrder(n))
		}
		if err != nil {
			return cw.n, fmt.Errorf("x12compare: building %s %d: %w", kind, n, err)
		}
		ctl := fmt.Sprintf("%04d", n+1)
		if err := put(x12.NewSeg("ST", string(kind), ctl)); err != nil {
			return cw.n, err
		}
		if err := put(body...); err != nil {
			return cw.n, err
		}
		if err := put(x12.NewSeg("SE", strconv.Itoa(len(body)+2), ctl)); err != nil {
			return cw.n, err
		}
		if err := xw.Flush(); err != nil { // so that cw.n counts the set
			return cw.n, err
		}
	}
	if err := put(x12.NewSeg("GE", strconv.Itoa(n), "1"), x12.NewSeg("IEA", "1", "000000001")); err != nil {
		return cw.n, err
	}
	err = xw.Flush()
	return cw.n, err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func shipment(n int) (*x12.Shipment, error) {
	sh := &x12.Shipment{ID: "ASN" + strconv.Itoa(n), Date: "20240111", Time: "1405", ShipDate: "20240111", Packaging: "CTN25",
		GrossWeight: "420.5", WeightUnit: "LB", SCAC: "UPSN", Method: "M", References: []x12.Reference{{Qualifier: "BM", ID: "BOL" + strconv.Itoa(n)}},
		Parties: []x12.Party{{Role: "ST", Name: "Retailer X DC 12", IDQualifier: "92", ID: "0012"},
			{Role: "SF", Name: "PopSockets Warehouse", Address: []string{"5757 Central Ave"}, City: "Boulder", State: "CO", PostalCode: "80301"}}}
	o := x12.ShipOrder{PurchaseOrder: "45000" + strconv.Itoa(n), PODate: "20240105", References: []x12.Reference{{Qualifier: "DP", ID: "042"}}}
	for c := 0; c < 20; c++ {
		sscc, err := x12.NewSSCC('0', "0810012340", fmt.Sprintf("%06d", (n*20+c)%1000000))
		if err != nil {
			return nil, err
		}
		cart := x12.Carton{SSCC: sscc}
		for i := 0; i < 6; i++ {
			cart.Items = append(cart.Items, x12.ShipItem{Line: strconv.Itoa(i + 1),
				Products: []x12.ProductID{{Qualifier: "UP", ID: "81001234567" + strconv.Itoa(i)}, {Qualifier: "VN", ID: "PS-" + strconv.Itoa(i)}},
				Shipped:  "12", Unit: "EA", Ordered: "12", OrderedUnit: "EA"})
		}
		o.Cartons = append(o.Cartons, cart)
	}
	sh.Orders = []x12.ShipOrder{o}
	return sh, nil
}

func purchaseOrder(n int) *x12.PurchaseOrder {
	po := &x12.PurchaseOrder{Number: "45000" + strconv.Itoa(n), Date: "20240105", References: []x12.Reference{{Qualifier: "DP", ID: "042"}},
		Parties: []x12.Party{{Role: "ST", Name: "Retailer X DC 12", IDQualifier: "92", ID: "0012"}}}
	for i := 0; i < 100; i++ {
		po.Lines = append(po.Lines, x12.POLine{Number: strconv.Itoa(i + 1), Quantity: "24", Unit: "EA", UnitPrice: "9.99",
			Products:     []x12.ProductID{{Qualifier: "UP", ID: "810012345678"}, {Qualifier: "VN", ID: "PS-GRIP-" + strconv.Itoa(i)}},
			Prices:       []x12.Price{{Code: "RTL", Amount: "14.99"}},
			Descriptions: []x12.Description{{Type: "F", Text: "PopGrip item " + strconv.Itoa(i)}},
			Pack:         &x12.Pack{Pack: 12},
			Distribution: []x12.StoreQuantity{{Unit: "EA", Qualifier: "92", Store: "0101", Quantity: "12"}, {Unit: "EA", Qualifier: "92", Store: "0102", Quantity: "12"}}})
	}
	return po
}
