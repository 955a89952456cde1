package navtest

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"unicode/utf16"

	//lint:ignore SA1019 NTLM is built on MD4; the fake must verify what clients send
	"golang.org/x/crypto/md4"

	"github.com/popsockets/integration/shared/nav"
)

// Config configures the fake.
type Config struct {
	// Auth is nav.AuthNTLM or nav.AuthBasic (default NTLM).
	Auth string
	// User (for NTLM "DOMAIN\user") and Password are the accepted credentials.
	User, Password string
	// OnCreate, when set, runs after each sales order is created (a local
	// run plays NAV's warehouse release with it: it writes the 940).
	OnCreate func(nav.SalesOrder)
}

// Call is one request the fake received.
type Call struct {
	Service string
	Action  string
	Body    string
}

// Server is the fake.
type Server struct {
	cfg Config
	srv *httptest.Server

	mu         sync.Mutex
	orders     map[string]*nav.SalesOrder // by No
	next       int
	calls      []Call
	shipments  []nav.ShipmentPosting
	faults     []faultSpec
	challenges map[string]bool
}

type faultSpec struct {
	action, code, text string
	status             int
}

// NewServer starts the fake.
func NewServer(cfg Config) *Server {
	if cfg.Auth == "" {
		cfg.Auth = nav.AuthNTLM
	}
	if cfg.User == "" {
		cfg.User = `POPCORP\svc-integration`
	}
	if cfg.Password == "" {
		cfg.Password = "nav-" + randHex(8)
	}
	s := &Server{cfg: cfg, orders: map[string]*nav.SalesOrder{}, next: 1000, challenges: map[string]bool{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the company's web services root.
func (s *Server) URL() string { return s.srv.URL + "/DynamicsNAV/WS/PopSockets%20Inc" }

// User and Password are the accepted credentials.
func (s *Server) User() string     { return s.cfg.User }
func (s *Server) Password() string { return s.cfg.Password }

// Auth is the accepted scheme.
func (s *Server) Auth() string { return s.cfg.Auth }

// Close stops the fake.
func (s *Server) Close() { s.srv.Close() }

// FaultNext makes the next call of action answer a SOAP fault.
func (s *Server) FaultNext(action, code, text string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, faultSpec{action, code, text, status})
}

// ValidationFaultNext makes the next call of action fail NAV's validation.
func (s *Server) ValidationFaultNext(action, text string) {
	s.FaultNext(action, "a:Microsoft.Dynamics.Nav.Types.Exceptions.NavCSideValidationException", text, http.StatusInternalServerError)
}

// Orders lists the sales orders, by number.
func (s *Server) Orders() []nav.SalesOrder {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []nav.SalesOrder
	for i := 1000; i < s.next; i++ {
		if o, ok := s.orders[fmt.Sprintf("SO%06d", i)]; ok {
			out = append(out, *o)
		}
	}
	return out
}

// Shipments lists the shipments posted.
func (s *Server) Shipments() []nav.ShipmentPosting {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]nav.ShipmentPosting(nil), s.shipments...)
}

// Calls lists the calls received.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	if !s.authorized(w, r) {
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	// DynamicsNAV/WS/<Company>/<Page|Codeunit>/<Service>
	if len(parts) != 5 || parts[1] != "WS" {
		s.fault(w, http.StatusNotFound, "a:Microsoft.Dynamics.Nav.Service.WebServices.ServiceBrokerException", "no such service: "+r.URL.Path)
		return
	}
	kind, service := parts[3], parts[4]
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
		s.fault(w, http.StatusUnsupportedMediaType, "s:Client", "Content-Type must be text/xml, got "+ct)
		return
	}
	op, ns, inner, err := parseEnvelope(body)
	if err != nil {
		s.fault(w, http.StatusBadRequest, "s:Client", "the body is not a SOAP envelope: "+err.Error())
		return
	}
	wantNS := "urn:microsoft-dynamics-schemas/" + strings.ToLower(kind) + "/" + service
	if kind == "Page" {
		wantNS = "urn:microsoft-dynamics-schemas/page/" + strings.ToLower(service)
	}
	action := strings.Trim(r.Header.Get("SOAPAction"), `"`)
	if ns != wantNS || action != ns+":"+op {
		s.fault(w, http.StatusInternalServerError, "a:Microsoft.Dynamics.Nav.Service.WebServices.ServiceBrokerException",
			fmt.Sprintf("SOAPAction %q does not match operation %s of %s", action, op, wantNS))
		return
	}
	s.mu.Lock()
	s.calls = append(s.calls, Call{Service: kind + "/" + service, Action: action, Body: string(body)})
	for i, f := range s.faults {
		if f.action == action {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
			s.mu.Unlock()
			s.fault(w, f.status, f.code, f.text)
			return
		}
	}
	s.mu.Unlock()
	switch action {
	case nav.ActionReadMultiple:
		s.readMultiple(w, inner)
	case nav.ActionCreate:
		s.create(w, inner)
	case nav.ActionDelete:
		s.delete(w, inner)
	case nav.ActionPostShipment:
		s.postShipment(w, inner)
	default:
		s.fault(w, http.StatusInternalServerError, "a:Microsoft.Dynamics.Nav.Service.WebServices.ServiceBrokerException", "unknown operation "+action)
	}
}

func (s *Server) readMultiple(w http.ResponseWriter, inner []byte) {
	var req struct {
		Filters []struct {
			Field    string `xml:"Field"`
			Criteria string `xml:"Criteria"`
		} `xml:"filter"`
	}
	if err := xml.Unmarshal(inner, &req); err != nil {
		s.fault(w, 500, "s:Client", err.Error())
		return
	}
	s.mu.Lock()
	var found []nav.SalesOrder
	for i := 1000; i < s.next; i++ {
		o, ok := s.orders[fmt.Sprintf("SO%06d", i)]
		if !ok {
			continue
		}
		match := true
		for _, f := range req.Filters {
			v := strings.Trim(f.Criteria, "'")
			switch f.Field {
			case "Sell_to_Customer_No":
				match = match && o.SellToCustomerNo == v
			case "External_Document_No":
				match = match && o.ExternalDocumentNo == v
			}
		}
		if match {
			found = append(found, *o)
		}
	}
	s.mu.Unlock()
	type result struct {
		XMLName xml.Name         `xml:"urn:microsoft-dynamics-schemas/page/salesorder ReadMultiple_Result"`
		Orders  []nav.SalesOrder `xml:"ReadMultiple_Result>SalesOrder"`
	}
	s.answer(w, result{Orders: found})
}

func (s *Server) create(w http.ResponseWriter, inner []byte) {
	var req struct {
		SalesOrder nav.SalesOrder `xml:"SalesOrder"`
	}
	if err := xml.Unmarshal(inner, &req); err != nil {
		s.fault(w, 500, "s:Client", err.Error())
		return
	}
	o := req.SalesOrder
	switch {
	case o.SellToCustomerNo == "":
		s.fault(w, 500, "a:Microsoft.Dynamics.Nav.Types.Exceptions.NavCSideValidationException", "Sell-to Customer No. must have a value")
		return
	case len(o.Lines) == 0:
		s.fault(w, 500, "a:Microsoft.Dynamics.Nav.Types.Exceptions.NavCSideValidationException", "the order has no lines")
		return
	}
	s.mu.Lock()
	o.No = fmt.Sprintf("SO%06d", s.next)
	o.Key = "12;" + randHex(6) + ";"
	s.next++
	s.orders[o.No] = &o
	s.mu.Unlock()
	if s.cfg.OnCreate != nil {
		s.cfg.OnCreate(o)
	}
	type result struct {
		XMLName    xml.Name       `xml:"urn:microsoft-dynamics-schemas/page/salesorder Create_Result"`
		SalesOrder nav.SalesOrder `xml:"SalesOrder"`
	}
	s.answer(w, result{SalesOrder: o})
}

func (s *Server) delete(w http.ResponseWriter, inner []byte) {
	var req struct {
		Key string `xml:"Key"`
	}
	_ = xml.Unmarshal(inner, &req)
	s.mu.Lock()
	deleted := false
	for no, o := range s.orders {
		if o.Key == req.Key {
			delete(s.orders, no)
			deleted = true
		}
	}
	s.mu.Unlock()
	if !deleted {
		s.fault(w, 500, "a:Microsoft.Dynamics.Nav.Types.Exceptions.NavNCLRecordNotFoundException", "The Sales Header does not exist.")
		return
	}
	type result struct {
		XMLName xml.Name `xml:"urn:microsoft-dynamics-schemas/page/salesorder Delete_Result"`
		Value   bool     `xml:"Delete_Result"`
	}
	s.answer(w, result{Value: true})
}

func (s *Server) postShipment(w http.ResponseWriter, inner []byte) {
	var p nav.ShipmentPosting
	if err := xml.Unmarshal(inner, &p); err != nil {
		s.fault(w, 500, "s:Client", err.Error())
		return
	}
	s.mu.Lock()
	_, ok := s.orders[p.OrderNo]
	if ok {
		s.shipments = append(s.shipments, p)
	}
	s.mu.Unlock()
	if !ok {
		s.fault(w, 500, "a:Microsoft.Dynamics.Nav.Types.Exceptions.NavNCLRecordNotFoundException", "Sales Header "+p.OrderNo+" does not exist.")
		return
	}
	type result struct {
		XMLName xml.Name `xml:"urn:microsoft-dynamics-schemas/codeunit/EDIShipment PostShipment_Result"`
	}
	s.answer(w, result{})
}

// AddOrder puts a sales order in NAV (as if entered by hand).
func (s *Server) AddOrder(o nav.SalesOrder) nav.SalesOrder {
	s.mu.Lock()
	defer s.mu.Unlock()
	o.No = fmt.Sprintf("SO%06d", s.next)
	o.Key = "12;" + randHex(6) + ";"
	s.next++
	s.orders[o.No] = &o
	return o
}

func (s *Server) answer(w http.ResponseWriter, body any) {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><Soap:Envelope xmlns:Soap="http://schemas.xmlsoap.org/soap/envelope/"><Soap:Body>`)
	_ = xml.NewEncoder(&b).Encode(body)
	b.WriteString(`</Soap:Body></Soap:Envelope>`)
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	_, _ = w.Write(b.Bytes())
}

func (s *Server) fault(w http.ResponseWriter, status int, code, text string) {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>`)
	b.WriteString(`<faultcode xmlns:a="urn:microsoft-dynamics-schemas/error">`)
	_ = xml.EscapeText(&b, []byte(code))
	b.WriteString(`</faultcode><faultstring xml:lang="en-US">`)
	_ = xml.EscapeText(&b, []byte(text))
	b.WriteString(`</faultstring><detail><string xmlns="http://schemas.microsoft.com/2003/10/Serialization/">`)
	_ = xml.EscapeText(&b, []byte(text))
	b.WriteString(`</string></detail></s:Fault></s:Body></s:Envelope>`)
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// parseEnvelope returns the body's first element: local name, namespace
// and inner XML.
func parseEnvelope(data []byte) (op, ns string, inner []byte, err error) {
	var env struct {
		XMLName xml.Name
		Body    struct {
			XMLName xml.Name
			Inner   []byte `xml:",innerxml"`
		} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body"`
	}
	if err := xml.Unmarshal(data, &env); err != nil {
		return "", "", nil, err
	}
	if env.XMLName.Local != "Envelope" || env.XMLName.Space != "http://schemas.xmlsoap.org/soap/envelope/" {
		return "", "", nil, fmt.Errorf("root is %s, not a SOAP 1.1 Envelope", env.XMLName.Local)
	}
	var first struct {
		XMLName xml.Name
		Inner   []byte `xml:",innerxml"`
	}
	if err := xml.Unmarshal(env.Body.Inner, &first); err != nil {
		return "", "", nil, fmt.Errorf("empty Body: %w", err)
	}
	return first.XMLName.Local, first.XMLName.Space, env.Body.Inner, nil
}

// authorized checks Basic credentials, or runs NTLM's three legs: 401
// asking for NTLM, a challenge to the negotiate message, then the
// authenticate message verified against the password (NTLMv2).
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	h := r.Header.Get("Authorization")
	if s.cfg.Auth == nav.AuthBasic {
		u, p, ok := r.BasicAuth()
		if ok && u == s.cfg.User && p == s.cfg.Password {
			return true
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="NAV"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return false
	}
	deny := func() bool {
		w.Header().Set("WWW-Authenticate", "NTLM")
		w.Header().Add("WWW-Authenticate", "Negotiate")
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return false
	}
	scheme, token, _ := strings.Cut(h, " ")
	if scheme != "NTLM" && scheme != "Negotiate" {
		return deny()
	}
	msg, err := base64.StdEncoding.DecodeString(token)
	if err != nil || len(msg) < 12 || string(msg[:8]) != "NTLMSSP\x00" {
		return deny()
	}
	switch binary.LittleEndian.Uint32(msg[8:12]) {
	case 1:
		ch := make([]byte, 8)
		_, _ = rand.Read(ch)
		s.mu.Lock()
		s.challenges[string(ch)] = true
		s.mu.Unlock()
		w.Header().Set("WWW-Authenticate", scheme+" "+base64.StdEncoding.EncodeToString(challengeMessage(ch)))
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return false
	case 3:
		if s.verify(msg) {
			return true
		}
	}
	return deny()
}

func challengeMessage(serverChallenge []byte) []byte {
	target := utf16le("POPCORP")
	var info []byte
	info = binary.LittleEndian.AppendUint16(info, 2) // MsvAvNbDomainName
	info = binary.LittleEndian.AppendUint16(info, uint16(len(target)))
	info = append(info, target...)
	info = append(info, 0, 0, 0, 0) // MsvAvEOL
	const header = 48
	var m []byte
	m = append(m, "NTLMSSP\x00"...)
	m = binary.LittleEndian.AppendUint32(m, 2)
	m = appendField(m, len(target), header)
	flags := uint32(0x00000001 | 0x00000004 | 0x00000200 | 0x00008000 | 0x00080000 | 0x00800000)
	m = binary.LittleEndian.AppendUint32(m, flags)
	m = append(m, serverChallenge...)
	m = append(m, make([]byte, 8)...)
	m = appendField(m, len(info), header+len(target))
	m = append(m, target...)
	return append(m, info...)
}

func appendField(m []byte, n, off int) []byte {
	m = binary.LittleEndian.AppendUint16(m, uint16(n))
	m = binary.LittleEndian.AppendUint16(m, uint16(n))
	return binary.LittleEndian.AppendUint32(m, uint32(off))
}

func field(msg []byte, at int) []byte {
	if len(msg) < at+8 {
		return nil
	}
	n := int(binary.LittleEndian.Uint16(msg[at:]))
	off := int(binary.LittleEndian.Uint32(msg[at+4:]))
	if off < 0 || off+n > len(msg) {
		return nil
	}
	return msg[off : off+n]
}

// verify checks an NTLMv2 authenticate message against the configured
// user and password and an outstanding challenge.
func (s *Server) verify(msg []byte) bool {
	nt := field(msg, 20)
	domain := fromUTF16(field(msg, 28))
	user := fromUTF16(field(msg, 36))
	wantUser, wantDomain := s.cfg.User, ""
	if d, u, ok := strings.Cut(s.cfg.User, `\`); ok {
		wantDomain, wantUser = d, u
	} else if u, d, ok := strings.Cut(s.cfg.User, "@"); ok {
		wantDomain, wantUser = d, u
	}
	if !strings.EqualFold(user, wantUser) || !strings.EqualFold(domain, wantDomain) || len(nt) < 24 {
		return false
	}
	h := md4.New()
	h.Write(utf16le(s.cfg.Password))
	v2 := hmacMD5(h.Sum(nil), utf16le(strings.ToUpper(user)+domain))
	proof, blob := nt[:16], nt[16:]
	s.mu.Lock()
	defer s.mu.Unlock()
	for ch := range s.challenges {
		if hmac.Equal(hmacMD5(v2, []byte(ch), blob), proof) {
			delete(s.challenges, ch)
			return true
		}
	}
	return false
}

func hmacMD5(key []byte, data ...[]byte) []byte {
	m := hmac.New(md5.New, key)
	for _, d := range data {
		m.Write(d)
	}
	return m.Sum(nil)
}

func utf16le(s string) []byte {
	var b []byte
	for _, r := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, r)
	}
	return b
}

func fromUTF16(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b)
}
