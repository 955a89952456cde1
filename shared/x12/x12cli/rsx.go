package x12cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/popsockets/integration/shared/rsx"
)

// sniffRSX looks at the start of an input: when it is XML, it reads it
// whole (RSX files are small) and returns it with ok; otherwise the input
// is left for the X12 path (for standard input, *stdin becomes a reader
// that still holds what was looked at).
func sniffRSX(name string, stdin *io.Reader) (data []byte, ok bool, err error) {
	if name == "-" {
		br := bufio.NewReaderSize(*stdin, 4096)
		*stdin = br
		head, _ := br.Peek(1024)
		if !rsx.IsXML(head) {
			return nil, false, nil
		}
		data, err = io.ReadAll(io.LimitReader(br, rsx.MaxSize+1))
		return data, err == nil, err
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 4096)
	head, _ := br.Peek(1024)
	if !rsx.IsXML(head) {
		return nil, false, nil
	}
	data, err = io.ReadAll(io.LimitReader(br, rsx.MaxSize+1))
	return data, err == nil, err
}

// rsxErrors lists the problems in a parse error.
func rsxErrors(err error) []*rsx.Error {
	if err == nil {
		return nil
	}
	var es rsx.Errors
	if errors.As(err, &es) {
		return es
	}
	var e *rsx.Error
	if errors.As(err, &e) {
		return []*rsx.Error{e}
	}
	return []*rsx.Error{{Message: err.Error()}}
}

// showRSX prints an RSX file readably: each order or shipment, its lines,
// then the problems.
func showRSX(w io.Writer, file string, size int, doc *rsx.Document, perr error) error {
	b := &strings.Builder{}
	switch {
	case doc == nil:
		fmt.Fprintf(b, "%s: %d bytes, RSX XML that cannot be read\n", file, size)
	case doc.Orders != nil:
		fmt.Fprintf(b, "%s: %d bytes, RSX purchase orders (%s), %d order(s)\n", file, size, doc.Orders.Dialect, len(doc.Orders.Orders))
		for _, o := range doc.Orders.Orders {
			fmt.Fprintf(b, "order %s  partner %s  purpose %s  type %s  date %s  (%s, line %d)\n", o.PONumber, o.TradingPartnerID, o.Purpose, o.POType, o.PODate, o.Path, o.Line)
			if o.Control != (rsx.Control{}) {
				fmt.Fprintf(b, "  control numbers: interchange %s group %s set %s\n", o.Control.Interchange, o.Control.Group, o.Control.Set)
			}
			for _, d := range o.Dates {
				fmt.Fprintf(b, "  date %s %s\n", d.Qualifier, d.Date)
			}
			for _, a := range o.Addresses {
				fmt.Fprintf(b, "  address %s %s %s %s\n", a.Type, a.LocationQualifier, a.LocationNumber, a.Name)
			}
			for _, r := range o.References {
				fmt.Fprintf(b, "  reference %s %s\n", r.Qualifier, r.ID)
			}
			for _, l := range o.Lines {
				fmt.Fprintf(b, "  line %-4s qty %s %s  vendor %s  buyer %s  upc %s  gtin %s  price %s\n", l.Sequence, l.Quantity, l.UOM,
					l.VendorPartNumber, l.BuyerPartNumber, l.ConsumerPackageCode, l.GTIN, l.UnitPrice)
			}
		}
	case doc.Shipments != nil:
		fmt.Fprintf(b, "%s: %d bytes, RSX ship notices, %d shipment(s)\n", file, size, len(doc.Shipments.Shipments))
		for _, s := range doc.Shipments.Shipments {
			fmt.Fprintf(b, "shipment %s  partner %s  shipped %s  structure %s  BOL %s  carrier %s  cartons %d\n", s.ShipmentID, s.TradingPartnerID,
				s.ShipDate, s.Structure, s.BillOfLading, s.SCAC, s.Cartons)
			for _, o := range s.Orders {
				fmt.Fprintf(b, "  order %s\n", o.PONumber)
				for _, p := range o.Packs {
					fmt.Fprintf(b, "    carton %s  tracking %s\n", p.SSCC, p.Tracking)
					for _, it := range p.Items {
						fmt.Fprintf(b, "      line %-4s shipped %s %s  vendor %s  buyer %s\n", it.Sequence, it.ShipQty, it.ShipQtyUOM, it.VendorPartNumber, it.BuyerPartNumber)
					}
				}
			}
		}
	}
	errs := rsxErrors(perr)
	for _, e := range errs {
		fmt.Fprintf(b, "problem: %s\n", e.Error())
	}
	fmt.Fprintf(b, "problems: %d error(s)\n", len(errs))
	_, err := io.WriteString(w, b.String())
	return err
}

type rsxJSON struct {
	File     string        `json:"file"`
	Format   string        `json:"format"`
	Size     int           `json:"size"`
	Valid    bool          `json:"valid"`
	Document *rsx.Document `json:"document"`
	Problems []*rsx.Error  `json:"problems"`
}

func jsonRSX(stdout, stderr io.Writer, file string, data []byte) int {
	doc, perr := rsx.Parse(data)
	out := rsxJSON{File: file, Format: "rsx", Size: len(data), Valid: perr == nil, Document: doc, Problems: rsxErrors(perr)}
	if out.Problems == nil {
		out.Problems = []*rsx.Error{}
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		fmt.Fprintf(stderr, "edi json: %v\n", err)
		return exitUsage
	}
	if _, err := stdout.Write(append(b, '\n')); err != nil {
		fmt.Fprintf(stderr, "edi json: writing output: %v\n", err)
		return exitUsage
	}
	if perr != nil {
		return exitInvalid
	}
	return exitOK
}
