package x12compare

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/popsockets/integration/shared/x12"
)

// compareSize is the size of the in-process inputs: the 5.5 MB 856 (and an
// 850 of the same size) the issue measured.
const compareSize = 5_500_000

var inputs sync.Map // "856-5500000" -> []byte

func input(b *testing.B, kind Kind, size int) []byte {
	key := fmt.Sprintf("%s-%d", kind, size)
	if v, ok := inputs.Load(key); ok {
		return v.([]byte)
	}
	data, err := Generate(kind, size)
	if err != nil {
		b.Fatal(err)
	}
	inputs.Store(key, data)
	return data
}

// path is one way of reading and checking X12 in process, and the tmc/x12
// call it is compared with.
type path struct {
	name string
	tmc  string // key of the recorded tmc/x12 figure: "decode" or "validate"
	run  func(b *testing.B, data []byte)
}

var paths = []path{
	{"Tokenize", "decode", func(b *testing.B, data []byte) {
		r := x12.NewReader(bytes.NewReader(data))
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
	}},
	{"ParseBytes", "decode", func(b *testing.B, data []byte) {
		if doc := x12.ParseBytes(data); len(doc.Interchanges) != 1 {
			b.Fatal("bad parse")
		}
	}},
	{"ValidateEnvelope", "validate", func(b *testing.B, data []byte) {
		if rep := (x12.Validator{EnvelopeOnly: true}).Validate(x12.ParseBytes(data)); !rep.Valid() {
			b.Fatal(rep.All()[0])
		}
	}},
	{"ValidateFullTree", "validate", func(b *testing.B, data []byte) {
		if rep := x12.Validate(x12.ParseBytes(data)); !rep.Valid() {
			b.Fatal(rep.All()[0])
		}
	}},
	{"ValidateFullStream", "validate", func(b *testing.B, data []byte) {
		rep, err := x12.Validator{}.ValidateReader(bytes.NewReader(data))
		if err != nil || !rep.Valid() {
			b.Fatal(err, rep.All())
		}
	}},
}

// BenchmarkCompare runs the project's reading and validation paths on the
// generated 856 and 850 and reports, beside MB/s, the ratio to tmc/x12's
// equivalent call as recorded in tmc.go (x-vs-tmc-rec): Decode for the
// tokenizer and ParseBytes, Decode then Document.Validate for the three
// validations (tmc/x12 checks envelopes only, so the full validations do
// more work than what they are compared with). The tmc/x12 side is a
// recorded figure because the module proxy does not serve tmc/x12; see
// README.md.
func BenchmarkCompare(b *testing.B) {
	for _, kind := range []Kind{ASN856, PO850} {
		for _, p := range paths {
			b.Run(string(kind)+"/"+p.name, func(b *testing.B) {
				data := input(b, kind, compareSize)
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					p.run(b, data)
				}
				b.StopTimer()
				mbps := float64(len(data)) * float64(b.N) / 1e6 / b.Elapsed().Seconds()
				if t := tmcRecorded[string(kind)+"/"+p.tmc]; t > 0 {
					b.ReportMetric(mbps/t, "x-vs-tmc-rec")
				}
			})
		}
	}
}
