package x12

import (
	"bytes"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkElements is the plain reading of a SegmentSpec that segCheck
// compiles; the tests hold the compiled checks to it. It validates seg's
// elements against sp and appends problems
// to dst. pos and loop locate the segment for the 997. trim compares
// trimmed values (ISA).
func checkElements(seg *Segment, sp *SegmentSpec, trim bool, pos int, loop string, dst *[]*Error) {
	if sp == nil || (len(sp.Elements) == 0 && sp.MaxElements == 0) {
		return
	}
	n := seg.Len()
	maxEl := sp.MaxElements
	if maxEl == 0 {
		maxEl = len(sp.Elements)
	}
	if n > maxEl {
		for i := maxEl + 1; i <= n; i++ {
			if len(seg.Element(i)) > 0 {
				addElemErr(dst, CodeTooManyElements, seg, pos, loop, i, 0, seg.Element(i), "")
				break
			}
		}
	}
	var present uint64
	for i := range sp.Elements {
		es := &sp.Elements[i]
		v := seg.Element(i + 1)
		if trim {
			v = trimSpace(v)
		}
		if len(v) == 0 {
			if es.Req == M {
				addElemErr(dst, CodeMissingElement, seg, pos, loop, i+1, es.Ref, nil, "")
			}
			continue
		}
		if i < 64 {
			present |= 1 << uint(i)
		}
		if es.Composite {
			continue
		}
		if code := checkValue(es, v); code != "" {
			addElemErr(dst, code, seg, pos, loop, i+1, es.Ref, v, "")
		}
	}
	for _, nt := range sp.Notes {
		checkNote(nt, present, seg, sp, pos, loop, dst)
	}
}

// sameChecks asserts that the compiled checks report what checkElements
// reports for seg under every spec of the default schema with its ID.
func sameChecks(t testing.TB, seg *Segment) {
	s := DefaultSchema()
	id := seg.IDString()
	sp, ok := s.segments[id]
	if !ok {
		return
	}
	var want, got []*Error
	checkElements(seg, sp, false, 3, "L", &want)
	s.checks[id].check(seg, false, 3, "L", &got)
	if !assert.Equal(t, want, got, "segment %s", seg.Text()) {
		t.FailNow()
	}
	if id == "ISA" {
		want, got = nil, nil
		checkElements(seg, isaSpec, true, 0, "", &want)
		isaCheck().check(seg, true, 0, "", &got)
		if !assert.Equal(t, want, got, "segment %s", seg.Text()) {
			t.FailNow()
		}
	}
}

func TestEnvelopeKeys(t *testing.T) {
	for id, k := range map[string]uint32{"ISA": keyISA, "IEA": keyIEA, "GS": keyGS, "GE": keyGE, "ST": keyST, "SE": keySE} {
		assert.Equal(t, keyString(id), k, id)
	}
	assert.NotEqual(t, keyString("HL"), key([]byte("HL\x00")), "keys carry the length")
}

func TestHasControl(t *testing.T) {
	for i := 0; i < 256; i++ {
		c := byte(i)
		want := c < 0x20 || c == 0x7f
		for _, at := range []int{0, 3, 7, 8, 12, 15, 16, 20} {
			b := bytes.Repeat([]byte{'A'}, 21)
			b[at] = c
			assert.Equal(t, want, hasControl(b), "byte %#x at %d", c, at)
			assert.Equal(t, want, hasControl(b[:at+1]), "byte %#x ending %d bytes", c, at+1)
		}
	}
	assert.False(t, hasControl([]byte("\x80\xff\xfe~*> ISA")))
}

func TestAnIDWithANULIsNotTheIDBeforeIt(t *testing.T) {
	data, err := os.ReadFile("testdata/850.edi")
	require.NoError(t, err)
	i := bytes.Index(data, []byte("N1*"))
	require.Positive(t, i)
	bad := append(append(append([]byte(nil), data[:i+2]...), 0), data[i+2:]...)
	codes := codesOf(Validate(ParseBytes(bad)).All())
	assert.Contains(t, codes, CodeUnrecognizedSegment, "N1\\x00 is not an N1")
}
