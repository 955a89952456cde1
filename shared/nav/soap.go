package nav

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
)

// Fault is a SOAP fault NAV answered with.
type Fault struct {
	Code   string `xml:"faultcode"`
	String string `xml:"faultstring"`
	Detail string `xml:"detail>string"`
	// Status is the HTTP status it came with.
	Status int `xml:"-"`
}

func (f *Fault) Error() string {
	msg := f.String
	if len(msg) > 300 {
		msg = msg[:300] + "..."
	}
	return fmt.Sprintf("nav fault %s: %s", f.Code, msg)
}

// Permanent reports whether retrying cannot help (a validation fault).
func (f *Fault) Permanent() bool {
	for _, p := range permanentFaults {
		if strings.Contains(f.Code, p) {
			return true
		}
	}
	return false
}

// envelope wraps a body element.
func envelope(body any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString(`<soap:Envelope xmlns:soap="` + nsEnvelope + `"><soap:Body>`)
	if err := xml.NewEncoder(&b).Encode(body); err != nil {
		return nil, fmt.Errorf("nav: encoding request: %w", err)
	}
	b.WriteString(`</soap:Body></soap:Envelope>`)
	return b.Bytes(), nil
}

// rawEnvelope is a response envelope with its body kept raw.
type rawEnvelope struct {
	Body struct {
		Inner []byte `xml:",innerxml"`
		Fault *Fault `xml:"Fault"`
	} `xml:"Body"`
}

// ErrBadResponse means NAV's answer was not the SOAP it should be.
var ErrBadResponse = errors.New("nav: unreadable response")

// decode reads a response envelope into out (the body's first element),
// or returns its fault.
func decode(data []byte, out any) (*Fault, error) {
	var env rawEnvelope
	if err := xml.Unmarshal(data, &env); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadResponse, err)
	}
	if env.Body.Fault != nil {
		return env.Body.Fault, nil
	}
	if out == nil {
		return nil, nil
	}
	if err := xml.Unmarshal(env.Body.Inner, out); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadResponse, err)
	}
	return nil, nil
}
