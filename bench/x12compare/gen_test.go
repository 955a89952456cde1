package x12compare

import (
	"bytes"
	"testing"

	"github.com/popsockets/integration/shared/x12"
)

func TestGeneratedInterchangesAreValidAndStable(t *testing.T) {
	for _, kind := range []Kind{ASN856, PO850} {
		a, err := Generate(kind, 300_000)
		if err != nil {
			t.Fatal(err)
		}
		if len(a) < 300_000 || len(a) > 400_000 {
			t.Fatalf("%s: %d bytes", kind, len(a))
		}
		rep := x12.Validate(x12.ParseBytes(a))
		if !rep.Valid() {
			t.Fatalf("%s: %v", kind, rep.All())
		}
		b, err := Generate(kind, 300_000)
		if err != nil || !bytes.Equal(a, b) {
			t.Fatalf("%s: not deterministic", kind)
		}
	}
}
