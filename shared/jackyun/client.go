package jackyun

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/partnerhttp"
)

// DefaultTimeout bounds each call when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Config configures a Client. URL, AppKey and Secret are required.
type Config struct {
	// URL is the Qimen router URL (JACKYUN_URL), such as
	// https://zci2vl4joy.api.taobao.com/router/qm.
	URL string
	// AppKey and Secret are the Qimen app's credentials (JACKYUN_APP_KEY,
	// JACKYUN_APP_SECRET).
	AppKey, Secret string
	// SignMethod is SignHMACSHA256 (the company's, the default) or SignMD5
	// (the public Qimen docs') (JACKYUN_SIGN_METHOD).
	SignMethod string
	// CustomerID and TargetAppKey are sent when set (JACKYUN_CUSTOMER_ID,
	// JACKYUN_TARGET_APP_KEY).
	CustomerID, TargetAppKey string
	// Setting names the settings in errors (default "JACKYUN_APP_SECRET"),
	// for a flow that reads them under other names.
	Setting string
	// Timeout bounds each call (default 30 s).
	Timeout time.Duration
	// HTTPClient sends the requests (default: a new client).
	HTTPClient *http.Client
	// Now is the clock of the timestamp parameter (default time.Now).
	Now func() time.Time
}

// Client calls Jackyun through the Qimen router. It is safe for concurrent use.
type Client struct {
	cfg  Config
	http *partnerhttp.Client
}

// New checks cfg and returns a client. It does no I/O.
func New(cfg Config) (*Client, error) {
	if cfg.Setting == "" {
		cfg.Setting = "JACKYUN_APP_SECRET"
	}
	prefix := strings.TrimSuffix(cfg.Setting, "APP_SECRET")
	var errs []error
	base, err := partnerhttp.BaseURL(prefix+"URL", cfg.URL)
	if err != nil {
		errs = append(errs, err)
	}
	cfg.AppKey, cfg.Secret = strings.TrimSpace(cfg.AppKey), strings.TrimSpace(cfg.Secret)
	if cfg.AppKey == "" {
		errs = append(errs, fmt.Errorf("%sAPP_KEY is not set", prefix))
	}
	if cfg.Secret == "" {
		errs = append(errs, fmt.Errorf("%s is not set", cfg.Setting))
	}
	if cfg.SignMethod == "" {
		cfg.SignMethod = SignHMACSHA256
	}
	if cfg.SignMethod != SignMD5 && cfg.SignMethod != SignHMACSHA256 {
		errs = append(errs, fmt.Errorf("%sSIGN_METHOD is not %s or %s", prefix, SignMD5, SignHMACSHA256))
	}
	if cfg.Timeout < 0 {
		errs = append(errs, errors.New("the Jackyun timeout must not be negative"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Client{cfg: cfg, http: partnerhttp.New(partnerhttp.Config{
		Partner:           "Jackyun",
		BaseURL:           base,
		CredentialSetting: cfg.Setting,
		// An error may repeat what it was sent; none repeats the secret.
		Secrets:    []string{cfg.Secret},
		Timeout:    cfg.Timeout,
		HTTPClient: cfg.HTTPClient,
		Now:        cfg.Now,
	})}, nil
}

// Params are the signed form of one call: the system parameters, then
// biz, then sign. It is exported for the fake's tests and the docs.
func (c *Client) Params(method string, biz url.Values) (url.Values, error) {
	p := url.Values{}
	for k, v := range biz {
		if len(v) > 0 && v[0] != "" {
			p.Set(k, v[0])
		}
	}
	p.Set(ParamMethod, method)
	p.Set(ParamTimestamp, FormatChina(c.cfg.Now()))
	p.Set(ParamFormat, FormatJSON)
	p.Set(ParamAppKey, c.cfg.AppKey)
	p.Set(ParamVersion, Version)
	p.Set(ParamSignMethod, c.cfg.SignMethod)
	if c.cfg.CustomerID != "" {
		p.Set(ParamCustomerID, c.cfg.CustomerID)
	}
	if c.cfg.TargetAppKey != "" {
		p.Set(ParamTargetAppKey, c.cfg.TargetAppKey)
	}
	sign, err := Sign(c.cfg.SignMethod, c.cfg.Secret, p)
	if err != nil {
		return nil, fault.Permanent(err)
	}
	p.Set(ParamSign, sign)
	return p, nil
}

// call posts one signed call and returns its result, or a classified error.
func (c *Client) call(ctx context.Context, method string, biz url.Values) (WireResult, error) {
	p, err := c.Params(method, biz)
	if err != nil {
		return WireResult{}, err
	}
	a, err := c.http.Do(ctx, partnerhttp.Request{
		Method: http.MethodPost, Body: []byte(p.Encode()),
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded;charset=utf-8"}},
	})
	if err != nil {
		return WireResult{}, err
	}
	if !a.OK() {
		return WireResult{}, c.http.Failure(a, fmt.Errorf("HTTP %d from Jackyun to %s: %s", a.Status, method, c.http.Clean(string(a.Body))))
	}
	if a.Cut {
		return WireResult{}, fault.Transient(fmt.Errorf("the answer of Jackyun to %s was cut off", method), 0)
	}
	res, err := parseAnswer(method, a.Body)
	if err != nil {
		var je *Error
		if errors.As(err, &je) {
			je.Msg, je.SubMsg = c.http.Clean(je.Msg), c.http.Clean(je.SubMsg)
			return WireResult{}, classify(je, c.cfg.Setting)
		}
		return WireResult{}, err
	}
	return res, nil
}

// parseAnswer reads an HTTP 200 answer: a result whose data is an object
// or a JSON string holding one, or a refusal (*Error). An answer that is
// not JSON, or whose data is neither, is transient (a proxy's page, a
// truncated body): asking again may get the real answer.
func parseAnswer(method string, body []byte) (WireResult, error) {
	var w WireResponse
	if err := json.Unmarshal(body, &w); err != nil {
		return WireResult{}, fault.Transient(fmt.Errorf("the answer of Jackyun to %s is not JSON: %w", method, err), 0)
	}
	if w.ErrorResponse != nil {
		e := w.ErrorResponse
		return WireResult{}, &Error{Method: method, Code: codeText(e.Code), SubCode: e.SubCode, Msg: e.Msg, SubMsg: e.SubMsg, Router: true}
	}
	if len(w.Code) == 0 {
		return WireResult{}, fault.Transient(fmt.Errorf("the answer of Jackyun to %s has no code", method), 0)
	}
	if code := codeText(w.Code); code != strconv.Itoa(CodeOK) {
		return WireResult{}, &Error{Method: method, Code: code, SubCode: w.SubCode, Msg: w.Msg}
	}
	if w.Result == nil {
		return WireResult{}, nil
	}
	data, err := decodeData(w.Result.Data)
	if err != nil {
		return WireResult{}, fault.Transient(fmt.Errorf("the answer of Jackyun to %s: %w", method, err), 0)
	}
	return WireResult{Data: data, ScrollID: w.Result.ScrollID}, nil
}

// decodeData returns data as JSON: an object or array as it is, a string
// holding JSON as that JSON, null or nothing as nothing.
func decodeData(raw json.RawMessage) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	if raw[0] != '"' {
		return raw, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("data is not a JSON string: %w", err)
	}
	inner := bytes.TrimSpace([]byte(s))
	if len(inner) == 0 {
		return nil, nil
	}
	if !json.Valid(inner) {
		return nil, errors.New("data is a string that does not hold JSON")
	}
	return inner, nil
}
