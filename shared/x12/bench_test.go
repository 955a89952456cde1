package x12

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"sync"
	"testing"
)

// Benchmark inputs are generated here, not committed: an 856 with, per
// transaction set, one shipment, one order, 20 cartons of 6 items (valid
// SSCCs); an 850 with 100 PO1 lines per set carrying CTP, PID, PO4 and
// SDQ. Sets are added until the file reaches the wanted size.

var benchFiles sync.Map // key "856-2MB" -> []byte

func benchShipment(n int) *Shipment {
	sh := &Shipment{ID: "ASN" + strconv.Itoa(n), Date: "20240111", Time: "1405", ShipDate: "20240111", Packaging: "CTN25",
		GrossWeight: "420.5", WeightUnit: "LB", SCAC: "UPSN", Method: "M", References: []Reference{{Qualifier: "BM", ID: "BOL" + strconv.Itoa(n)}},
		Parties: []Party{{Role: "ST", Name: "Retailer X DC 12", IDQualifier: "92", ID: "0012"},
			{Role: "SF", Name: "PopSockets Warehouse", Address: []string{"5757 Central Ave"}, City: "Boulder", State: "CO", PostalCode: "80301"}}}
	o := ShipOrder{PurchaseOrder: "45000" + strconv.Itoa(n), PODate: "20240105", References: []Reference{{Qualifier: "DP", ID: "042"}}}
	for c := 0; c < 20; c++ {
		cart := Carton{SSCC: mustSSCC("0", "0810012340", fmt.Sprintf("%06d", (n*20+c)%1000000))}
		for i := 0; i < 6; i++ {
			cart.Items = append(cart.Items, ShipItem{Line: strconv.Itoa(i + 1), Products: []ProductID{{"UP", "81001234567" + strconv.Itoa(i)}, {"VN", "PS-" + strconv.Itoa(i)}},
				Shipped: "12", Unit: "EA", Ordered: "12", OrderedUnit: "EA"})
		}
		o.Cartons = append(o.Cartons, cart)
	}
	sh.Orders = []ShipOrder{o}
	return sh
}

func benchPO(n int) *PurchaseOrder {
	po := &PurchaseOrder{Number: "45000" + strconv.Itoa(n), Date: "20240105", References: []Reference{{Qualifier: "DP", ID: "042"}},
		Parties: []Party{{Role: "ST", Name: "Retailer X DC 12", IDQualifier: "92", ID: "0012"}}}
	for i := 0; i < 100; i++ {
		po.Lines = append(po.Lines, POLine{Number: strconv.Itoa(i + 1), Quantity: "24", Unit: "EA", UnitPrice: "9.99",
			Products:     []ProductID{{"UP", "810012345678"}, {"VN", "PS-GRIP-" + strconv.Itoa(i)}},
			Prices:       []Price{{Code: "RTL", Amount: "14.99"}},
			Descriptions: []Description{{Type: "F", Text: "PopGrip item " + strconv.Itoa(i)}},
			Pack:         &Pack{Pack: 12},
			Distribution: []StoreQuantity{{Unit: "EA", Qualifier: "92", Store: "0101", Quantity: "12"}, {Unit: "EA", Qualifier: "92", Store: "0102", Quantity: "12"}}})
	}
	return po
}

func benchFile(b *testing.B, kind string, size int) []byte {
	key := fmt.Sprintf("%s-%d", kind, size)
	if v, ok := benchFiles.Load(key); ok {
		return v.([]byte)
	}
	var sets []OutSet
	total := 0
	for n := 0; total < size; n++ {
		var body []Seg
		var err error
		if kind == "856" {
			body, err = Build856(benchShipment(n))
		} else {
			body, err = Build850(benchPO(n))
		}
		if err != nil {
			b.Fatal(err)
		}
		for _, s := range body {
			total += len(s.ID) + 2
			for _, e := range s.Elements {
				total += len(e) + 1
			}
		}
		sets = append(sets, OutSet{ID: kind, Body: body})
	}
	fid := map[string]string{"856": "SH", "850": "PO"}[kind]
	e := testEnvelope()
	e.Suffix = ""
	var out bytes.Buffer
	if _, err := e.Encode(context.Background(), &out, &Sequence{}, OutGroup{FunctionalID: fid, Sets: sets}); err != nil {
		b.Fatal(err)
	}
	data := out.Bytes()
	benchFiles.Store(key, data)
	return data
}

var benchSizes = []struct {
	name string
	size int
}{{"2MB", 2 << 20}, {"20MB", 20 << 20}}

// each runs fn for both sets and both sizes, reporting MB/s, allocations
// per segment and segments per op.
func each(b *testing.B, fn func(b *testing.B, data []byte)) {
	for _, kind := range []string{"850", "856"} {
		for _, sz := range benchSizes {
			b.Run(kind+"/"+sz.name, func(b *testing.B) {
				data := benchFile(b, kind, sz.size)
				segs := bytes.Count(data, []byte{'~'})
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				b.ResetTimer()
				fn(b, data)
				b.StopTimer()
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N)/float64(segs), "allocs/seg")
				b.ReportMetric(float64(segs), "segs/op")
			})
		}
	}
}

// BenchmarkTokenize streams segments through a Reader with its fixed buffer.
func BenchmarkTokenize(b *testing.B) {
	each(b, func(b *testing.B, data []byte) {
		for range b.N {
			r := NewReader(bytes.NewReader(data))
			n := 0
			for {
				s, err := r.Next()
				if err != nil {
					break
				}
				n += len(s.Element(1))
			}
			if n == 0 {
				b.Fatal("no segments")
			}
		}
	})
}

// BenchmarkTokenizeInMemory splits a byte slice already in memory.
func BenchmarkTokenizeInMemory(b *testing.B) {
	each(b, func(b *testing.B, data []byte) {
		for range b.N {
			r := NewBytesReader(data)
			for {
				if _, err := r.Next(); err != nil {
					break
				}
			}
		}
	})
}

// BenchmarkParse builds the interchange/group/set tree.
func BenchmarkParse(b *testing.B) {
	each(b, func(b *testing.B, data []byte) {
		for range b.N {
			if doc := ParseBytes(data); len(doc.Interchanges) != 1 {
				b.Fatal("bad parse")
			}
		}
	})
}

// BenchmarkParseValidateEnvelope is the full parse plus envelope checks
// (counts, control numbers, dates, ST/SE/GS/GE/ISA/IEA elements).
func BenchmarkParseValidateEnvelope(b *testing.B) {
	v := Validator{EnvelopeOnly: true}
	each(b, func(b *testing.B, data []byte) {
		for range b.N {
			if rep := v.Validate(ParseBytes(data)); !rep.Valid() {
				b.Fatal(rep.All()[0])
			}
		}
	})
}

// BenchmarkParseValidateFull adds the transaction set layouts and rules.
func BenchmarkParseValidateFull(b *testing.B) {
	each(b, func(b *testing.B, data []byte) {
		for range b.N {
			if rep := Validate(ParseBytes(data)); !rep.Valid() {
				b.Fatal(rep.All()[0])
			}
		}
	})
}

// BenchmarkValidateStream validates layouts while streaming, without a tree:
// memory depends on the number of sets, not the bytes.
func BenchmarkValidateStream(b *testing.B) {
	each(b, func(b *testing.B, data []byte) {
		for range b.N {
			rep, err := Validator{}.ValidateReader(bytes.NewReader(data))
			if err != nil || !rep.Valid() {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkWrite writes a parsed document back out unchanged.
func BenchmarkWrite(b *testing.B) {
	each(b, func(b *testing.B, data []byte) {
		doc := ParseBytes(data)
		b.ResetTimer()
		for range b.N {
			if _, err := doc.WriteTo(io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkWriteRedelimit writes a parsed document with other delimiters.
func BenchmarkWriteRedelimit(b *testing.B) {
	d := Delimiters{Element: '|', Component: '^', Segment: '\n'}
	each(b, func(b *testing.B, data []byte) {
		doc := ParseBytes(data)
		b.ResetTimer()
		for range b.N {
			if err := doc.Encode(io.Discard, d, ""); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkBuild856 renders one 856 (1 order, 20 cartons, 120 items) from
// its typed form and encodes it in an interchange.
func BenchmarkBuild856(b *testing.B) {
	sh := benchShipment(1)
	e := testEnvelope()
	e.Suffix = ""
	var out bytes.Buffer
	b.ReportAllocs()
	for range b.N {
		out.Reset()
		body, err := Build856(sh)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.Encode(context.Background(), &out, &Sequence{}, OutGroup{FunctionalID: "SH", Sets: []OutSet{{ID: "856", Body: body}}}); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(out.Len()))
}

// BenchmarkElementChecks times the compiled element checks of one good
// segment of each kind the 856 is made of.
func BenchmarkElementChecks(b *testing.B) {
	s := DefaultSchema()
	for _, txt := range []string{"HL*123*122*I", "LIN**UP*810012345670*VN*PS-0", "SN1**12*EA**12*EA", "MAN*GM*00008100123400012345"} {
		r := NewBytesReader([]byte(isaStar + txt + "~"))
		r.Next()
		seg, _ := r.Next()
		chk := s.checks[seg.IDString()]
		b.Run(seg.IDString(), func(b *testing.B) {
			var errs []*Error
			for range b.N {
				chk.check(&seg, false, 3, "HL", &errs)
			}
			if len(errs) > 0 {
				b.Fatal(errs[0])
			}
		})
	}
}
