package x12

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"
)

// addSeeds adds every sample file as a seed; testdata/fuzz/<Fuzz name>
// holds the committed corpus and any crasher kept as a regression.
func addSeeds(f *testing.F) {
	for _, pat := range []string{"testdata/*.edi", "testdata/*/*.edi"} {
		files, _ := filepath.Glob(pat)
		for _, name := range files {
			data, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
}

func FuzzTokenize(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewBytesReader(data)
		type seg struct {
			text    string
			offset  int64
			ordinal int
		}
		var want []seg
		var errs int
		last := int64(-1)
		for i := 0; ; i++ {
			if i > len(data)+2 {
				t.Fatalf("reader made no progress after %d calls", i)
			}
			s, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				if _, ok := err.(*Error); !ok {
					t.Fatalf("non-recoverable error on in-memory input: %v", err)
				}
				errs++
				continue
			}
			if s.Offset <= last {
				t.Fatalf("offsets not increasing: %d after %d", s.Offset, last)
			}
			last = s.Offset
			if s.Offset < 0 || int(s.Offset)+len(s.Raw()) > len(data) || !bytes.Equal(data[s.Offset:int(s.Offset)+len(s.Raw())], s.Raw()) {
				t.Fatalf("segment %d is not the input at its offset", s.Ordinal)
			}
			for k := 1; k <= s.Len(); k++ {
				_ = s.Element(k)
				_ = s.Component(k, 2)
			}
			want = append(want, seg{string(s.Raw()), s.Offset, s.Ordinal})
		}
		// a stream delivered one byte at a time reads the same segments
		sr := NewReader(iotest.OneByteReader(bytes.NewReader(data)))
		var got []seg
		serrs := 0
		for {
			s, err := sr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				serrs++
				continue
			}
			got = append(got, seg{string(s.Raw()), s.Offset, s.Ordinal})
		}
		if len(got) != len(want) || serrs != errs {
			t.Fatalf("stream read %d segments and %d errors, memory %d and %d", len(got), serrs, len(want), errs)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("segment %d differs: %+v vs %+v", i, got[i], want[i])
			}
		}
	})
}

func FuzzValidate(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		doc := ParseBytes(data)
		rep := Validate(doc)
		srep, err := Validator{}.ValidateReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		a, b := codesOf(rep.All()), codesOf(srep.All())
		if len(a) != len(b) {
			t.Fatalf("tree and stream disagree: %v vs %v", a, b)
		}
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("tree and stream disagree: %v vs %v", a, b)
			}
		}
		// the streaming outline and set reader see what the tree sees
		sameAsTree(t, data)
		var out bytes.Buffer
		if _, err := BuildAcks(context.Background(), &out, rep, AckOptions{Numbers: &Sequence{}, Time: fixedTime}); err == nil && rep.Valid() && out.Len() > 0 {
			if ack := Validate(ParseBytes(out.Bytes())); !ack.Valid() {
				t.Fatalf("997 for a valid file is invalid: %v", ack.All())
			}
		}
		for _, ix := range doc.Interchanges {
			for _, g := range ix.Groups {
				for _, s := range g.Sets {
					_, _ = Typed(s)
				}
			}
		}
		// the compiled element checks report what the plain reading of the
		// specs reports, for every segment read
		rd := NewBytesReader(data)
		for {
			seg, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err == nil {
				sameChecks(t, &seg)
			}
		}
		_, _ = doc.WriteTo(io.Discard)
		_ = doc.Encode(io.Discard, Delimiters{Element: '|', Component: '^', Segment: '\n'}, "")
	})
}
