// Package dmfake is a fake Kusto data-management (DM) endpoint for tests
// of queued ingestion, backed by a real Azurite.
//
// The queued client of azkustoingest asks the DM endpoint two management
// commands: ".get ingestion resources" (which blob container and which
// queue to use) and ".get kusto identity token" (an opaque string it puts
// in every queue message). It then uploads the data to the container and
// puts a message in the queue. The fake answers both commands, naming an
// Azurite container and queue with an account SAS, and records every
// command it receives. The test then reads the blob and the message back
// from Azurite.
//
// Everything is served over TLS on loopback. The client refuses to send a
// token over plain HTTP, and it accepts only https storage URIs. Azurite
// speaks plain HTTP, so the fake also runs one TLS front for Azurite's
// blob service and one for its queue service. Client trusts all three.
package dmfake

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	blobsas "github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue"
	queuesas "github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue/sas"
)

// Config says which Azurite resources the fake hands out.
type Config struct {
	// BlobEndpoint and QueueEndpoint are Azurite's path-style endpoints,
	// such as http://127.0.0.1:PORT/devstoreaccount1.
	BlobEndpoint, QueueEndpoint string
	// AccountName and AccountKey sign the SAS.
	AccountName, AccountKey string
	// Container and Queue are the names handed out. They must exist.
	Container, Queue string
	// Token is the bearer token every request must carry. Empty means
	// any request is accepted.
	Token string
	// AuthContext is the identity token handed out (default
	// "dmfake-authorization-context").
	AuthContext string
}

// Command is one management command the fake received.
type Command struct {
	DB  string `json:"db"`
	CSL string `json:"csl"`
	// Authorization is the request's Authorization header.
	Authorization string `json:"-"`
}

// Server is a running fake.
type Server struct {
	// URL is the DM endpoint, https://127.0.0.1:PORT.
	URL string
	// Client trusts the TLS certificates of the fake and its storage
	// fronts. Give it to the ingest client.
	Client *http.Client

	cfg      Config
	mgmt     *httptest.Server
	blob     *httptest.Server
	queue    *httptest.Server
	resource [][]string

	mu       sync.Mutex
	commands []Command
}

// Start starts the fake; it stops when the test ends.
func Start(tb testing.TB, cfg Config) *Server {
	tb.Helper()
	if cfg.AuthContext == "" {
		cfg.AuthContext = "dmfake-authorization-context"
	}
	for name, v := range map[string]string{"BlobEndpoint": cfg.BlobEndpoint, "QueueEndpoint": cfg.QueueEndpoint,
		"AccountName": cfg.AccountName, "AccountKey": cfg.AccountKey, "Container": cfg.Container, "Queue": cfg.Queue} {
		if v == "" {
			tb.Fatalf("dmfake: Config.%s is empty", name)
		}
	}
	s := &Server{cfg: cfg}

	var err error
	if s.blob, err = front(cfg.BlobEndpoint); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.blob.Close)
	if s.queue, err = front(cfg.QueueEndpoint); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.queue.Close)

	blobSAS, queueSAS, err := accountSAS(cfg.AccountName, cfg.AccountKey)
	if err != nil {
		tb.Fatal(err)
	}
	s.resource = [][]string{
		{"TempStorage", s.blob.URL + "/" + cfg.Container + "?" + blobSAS},
		{"SecuredReadyForAggregationQueue", s.queue.URL + "/" + cfg.Queue + "?" + queueSAS},
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/rest/auth/metadata", s.metadata)
	mux.HandleFunc("POST /v1/rest/mgmt", s.command)
	s.mgmt = httptest.NewTLSServer(mux)
	tb.Cleanup(s.mgmt.Close)
	s.URL = s.mgmt.URL

	pool := x509.NewCertPool()
	for _, ts := range []*httptest.Server{s.mgmt, s.blob, s.queue} {
		pool.AddCert(ts.Certificate())
	}
	tr := s.mgmt.Client().Transport.(*http.Transport).Clone()
	tr.TLSClientConfig.RootCAs = pool
	s.Client = &http.Client{Transport: tr, Timeout: 30 * time.Second}
	tb.Cleanup(tr.CloseIdleConnections)
	return s
}

// Commands returns the commands received so far, oldest first.
func (s *Server) Commands() []Command {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Command(nil), s.commands...)
}

// BlobURL is the address of the TLS front for Azurite's blob service, as
// the storage URIs handed out name it.
func (s *Server) BlobURL() string { return s.blob.URL }

// QueueURL is the address of the TLS front for Azurite's queue service.
func (s *Server) QueueURL() string { return s.queue.URL }

// front is a TLS reverse proxy to a path-style Azurite endpoint. It serves
// the account at its root, as Azure does at https://ACCOUNT.blob.core.windows.net/:
// a request for /container/blob goes to ENDPOINT/container/blob.
//
// Two things in azkustoingest make this necessary. Its resource URI parser
// accepts only https. And its storage clients take only the scheme and
// host of a resource URI as the service address, and the rest of the path
// as the container or queue name. A path-style Azurite URI would make the
// account part of that name; the queue client then escapes the slash
// (devstoreaccount1%2Fqueue), which is not the queue.
func front(endpoint string) (*httptest.Server, error) {
	target, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("dmfake: endpoint %q: %w", endpoint, err)
	}
	prefix := strings.TrimSuffix(target.Path, "/")
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.Out.URL.Scheme = target.Scheme
		r.Out.URL.Host = target.Host
		r.Out.URL.Path = prefix + r.In.URL.Path
		if r.In.URL.RawPath != "" {
			r.Out.URL.RawPath = prefix + r.In.URL.RawPath
		}
		r.Out.Host = target.Host
	}}
	return httptest.NewTLSServer(proxy), nil
}

// accountSAS signs one account SAS for the blob service and one for the
// queue service, valid for a day. Azurite accepts account SAS.
func accountSAS(account, key string) (blobSAS, queueSAS string, err error) {
	expiry := time.Now().UTC().Add(24 * time.Hour)
	bcred, err := azblob.NewSharedKeyCredential(account, key)
	if err != nil {
		return "", "", fmt.Errorf("dmfake: blob key: %w", err)
	}
	bperm := blobsas.AccountPermissions{Read: true, Write: true, Add: true, Create: true, List: true}
	btypes := blobsas.AccountResourceTypes{Service: true, Container: true, Object: true}
	bq, err := blobsas.AccountSignatureValues{
		Protocol: blobsas.ProtocolHTTPSandHTTP, ExpiryTime: expiry,
		Permissions: bperm.String(), ResourceTypes: btypes.String(),
	}.SignWithSharedKey(bcred)
	if err != nil {
		return "", "", fmt.Errorf("dmfake: blob SAS: %w", err)
	}
	qcred, err := azqueue.NewSharedKeyCredential(account, key)
	if err != nil {
		return "", "", fmt.Errorf("dmfake: queue key: %w", err)
	}
	qperm := queuesas.AccountPermissions{Read: true, Add: true, Process: true, List: true}
	qtypes := queuesas.AccountResourceTypes{Service: true, Container: true, Object: true}
	qq, err := queuesas.AccountSignatureValues{
		Protocol: queuesas.ProtocolHTTPSandHTTP, ExpiryTime: expiry,
		Permissions: qperm.String(), ResourceTypes: qtypes.String(),
	}.SignWithSharedKey(qcred)
	if err != nil {
		return "", "", fmt.Errorf("dmfake: queue SAS: %w", err)
	}
	return bq.Encode(), qq.Encode(), nil
}

// metadata answers the client's cloud-metadata probe. An empty 200 makes
// azkustodata use its public-cloud defaults.
func (s *Server) metadata(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusOK)
}

func (s *Server) command(w http.ResponseWriter, r *http.Request) {
	var c Command
	body, err := io.ReadAll(r.Body)
	if err == nil {
		err = json.Unmarshal(body, &c)
	}
	if err != nil {
		kustoError(w, http.StatusBadRequest, "dmfake: bad request body: "+err.Error())
		return
	}
	c.Authorization = r.Header.Get("Authorization")
	s.mu.Lock()
	s.commands = append(s.commands, c)
	s.mu.Unlock()

	if s.cfg.Token != "" && c.Authorization != "Bearer "+s.cfg.Token {
		kustoError(w, http.StatusUnauthorized, "dmfake: missing or wrong bearer token")
		return
	}
	switch strings.TrimSpace(c.CSL) {
	case ".get ingestion resources":
		table(w, []string{"ResourceTypeName", "StorageRoot"}, s.resource)
	case ".get kusto identity token":
		table(w, []string{"AuthorizationContext"}, [][]string{{s.cfg.AuthContext}})
	default:
		kustoError(w, http.StatusBadRequest, "dmfake: unknown command "+c.CSL)
	}
}

// table writes a v1 management response with one table of string
// columns. With a single table the client takes it as the primary
// result; the columns are matched by name (the `kusto` struct tags of
// azkustoingest's internal/resources).
func table(w http.ResponseWriter, columns []string, rows [][]string) {
	type column struct {
		ColumnName string
		DataType   string
		ColumnType string
	}
	type rawTable struct {
		TableName string
		Columns   []column
		Rows      [][]string
	}
	t := rawTable{TableName: "Table_0", Rows: rows}
	for _, c := range columns {
		t.Columns = append(t.Columns, column{ColumnName: c, DataType: "String", ColumnType: "string"})
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(struct{ Tables []rawTable }{[]rawTable{t}})
}

// kustoError writes an error the way Kusto does: a status and a JSON body
// with an "error" object.
func kustoError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": http.StatusText(status), "message": msg, "@permanent": true}})
}
