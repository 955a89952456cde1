package nav

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	ntlmssp "github.com/Azure/go-ntlmssp"

	"github.com/popsockets/integration/shared/audit"
	"github.com/popsockets/integration/shared/fault"
)

// Authentication methods.
const (
	AuthNTLM  = "ntlm"
	AuthBasic = "basic"
)

// Config configures a Client.
type Config struct {
	// BaseURL is the company's web services root:
	// https://nav.example:7047/DynamicsNAV/WS/<Company, URL-encoded>.
	BaseURL string
	// Auth is "ntlm" (Windows credentials) or "basic" (NavUserPassword).
	Auth string
	// User is the login; for NTLM "DOMAIN\user" or "user@domain".
	User     string
	Password string
	// Timeout bounds each call (default 30 s).
	Timeout time.Duration
	// Transport is the underlying transport (tests); default http.DefaultTransport.
	Transport http.RoundTripper
}

// Client calls NAV's SOAP services.
type Client struct {
	cfg  Config
	base string
	http *http.Client
}

// ErrUnauthorized means NAV refused the credentials.
var ErrUnauthorized = errors.New("nav refused the credentials")

// New validates the configuration.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("nav: the base URL is not an absolute http(s) URL")
	}
	if cfg.User == "" || cfg.Password == "" {
		return nil, errors.New("nav: user and password are required")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	rt := cfg.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	switch strings.ToLower(cfg.Auth) {
	case AuthNTLM, "":
		cfg.Auth = AuthNTLM
		rt = ntlmssp.Negotiator{RoundTripper: rt}
	case AuthBasic:
		cfg.Auth = AuthBasic
	default:
		return nil, fmt.Errorf("nav: auth %q is not ntlm or basic", cfg.Auth)
	}
	return &Client{cfg: cfg, base: strings.TrimRight(cfg.BaseURL, "/"), http: &http.Client{Transport: rt, Timeout: cfg.Timeout}}, nil
}

// call posts one envelope and decodes the answer into out.
func (c *Client) call(ctx context.Context, kind, service, action string, body, out any) error {
	payload, err := envelope(body)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	target := c.base + "/" + kind + "/" + service
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", `"`+action+`"`)
	// Both schemes read the credentials from here: the NTLM negotiator
	// takes them off the request and answers NAV's challenge with them.
	req.SetBasicAuth(c.cfg.User, c.cfg.Password)
	op := action[strings.LastIndex(action, ":")+1:]
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		err = fault.Transient(fmt.Errorf("nav %s %s: %s", service, op, redact(err.Error(), c.cfg.Password)), 0)
		audit.Call(ctx, "NAV", http.MethodPost, "/"+kind+"/"+service+"/"+op, 0, int64(len(payload)), time.Since(start), err)
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	audit.Call(ctx, "NAV", http.MethodPost, "/"+kind+"/"+service+"/"+op, resp.StatusCode, int64(len(payload)+len(data)), time.Since(start), err)
	if err != nil {
		return fault.Transient(fmt.Errorf("nav %s %s: reading the answer: %w", service, op, err), 0)
	}
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return fault.Transient(fmt.Errorf("nav %s %s: %w (HTTP %d)", service, op, ErrUnauthorized, resp.StatusCode), 0)
	}
	f, derr := decode(data, out)
	if f != nil {
		f.Status = resp.StatusCode
		if f.Permanent() {
			return fault.Permanent(fmt.Errorf("nav %s %s: %w", service, op, f))
		}
		return fault.Transient(fmt.Errorf("nav %s %s: %w", service, op, f), 0)
	}
	if resp.StatusCode >= 300 {
		return fault.Transient(fmt.Errorf("nav %s %s: HTTP %d without a SOAP fault", service, op, resp.StatusCode), 0)
	}
	if derr != nil {
		return fault.Transient(fmt.Errorf("nav %s %s: %w", service, op, derr), 0)
	}
	return nil
}

func redact(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "***")
}

type filter struct {
	Field    string `xml:"Field"`
	Criteria string `xml:"Criteria"`
}

type readMultiple struct {
	XMLName xml.Name `xml:"urn:microsoft-dynamics-schemas/page/salesorder ReadMultiple"`
	Filters []filter `xml:"filter"`
	SetSize int      `xml:"setSize"`
}

type readMultipleResult struct {
	Orders []SalesOrder `xml:"ReadMultiple_Result>SalesOrder"`
}

// FindSalesOrder finds the sales order of a customer with an External
// Document No. (the retailer's PO number); ok is false when there is none.
func (c *Client) FindSalesOrder(ctx context.Context, customerNo, externalDocNo string) (SalesOrder, bool, error) {
	var res readMultipleResult
	err := c.call(ctx, "Page", PageSalesOrder, ActionReadMultiple, readMultiple{
		Filters: []filter{{Field: "Sell_to_Customer_No", Criteria: quoteCriteria(customerNo)}, {Field: "External_Document_No", Criteria: quoteCriteria(externalDocNo)}},
		SetSize: 2,
	}, &res)
	if err != nil || len(res.Orders) == 0 {
		return SalesOrder{}, false, err
	}
	return res.Orders[0], true, nil
}

// quoteCriteria makes a value an exact NAV filter (no wildcards or ranges).
func quoteCriteria(v string) string {
	if strings.ContainsAny(v, "*?|&<>=.@()'") {
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	}
	return v
}

type create struct {
	XMLName    xml.Name   `xml:"urn:microsoft-dynamics-schemas/page/salesorder Create"`
	SalesOrder SalesOrder `xml:"SalesOrder"`
}

type createResult struct {
	SalesOrder SalesOrder `xml:"SalesOrder"`
}

// CreateSalesOrder creates a sales order and returns it as NAV stored it
// (with its No and Key).
func (c *Client) CreateSalesOrder(ctx context.Context, so SalesOrder) (SalesOrder, error) {
	so.Key, so.No = "", ""
	var res createResult
	if err := c.call(ctx, "Page", PageSalesOrder, ActionCreate, create{SalesOrder: so}, &res); err != nil {
		return SalesOrder{}, err
	}
	if res.SalesOrder.No == "" {
		return SalesOrder{}, fault.Transient(fmt.Errorf("nav SalesOrder Create: %w: no order number in the answer", ErrBadResponse), 0)
	}
	return res.SalesOrder, nil
}

type deleteReq struct {
	XMLName xml.Name `xml:"urn:microsoft-dynamics-schemas/page/salesorder Delete"`
	Key     string   `xml:"Key"`
}

// DeleteSalesOrder deletes the order whose Key a read returned.
func (c *Client) DeleteSalesOrder(ctx context.Context, key string) error {
	return c.call(ctx, "Page", PageSalesOrder, ActionDelete, deleteReq{Key: key}, nil)
}

type postShipment struct {
	XMLName xml.Name `xml:"urn:microsoft-dynamics-schemas/codeunit/EDIShipment PostShipment"`
	ShipmentPosting
}

// PostShipment posts a warehouse shipment against a sales order.
func (c *Client) PostShipment(ctx context.Context, p ShipmentPosting) error {
	return c.call(ctx, "Codeunit", CodeunitShipment, ActionPostShipment, postShipment{ShipmentPosting: p}, nil)
}
