package webhookbench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/popsockets/integration/shared/oms"
	"github.com/popsockets/integration/shared/webhook"
)

// The minimal receiver is what the product is compared with: the least a
// correct receiver of OMS's fulfilment request does. It verifies the
// Standard Webhooks signature, opens the sealed customer data, stores the
// body with one INSERT and answers 202 after the commit. It runs in its own
// process (this test binary, re-executed), as the product does, so neither
// shares a Go runtime with the load generator.

// minimalEnv, when set in a re-executed test binary, makes it the minimal
// receiver instead of running tests.
const minimalEnv = "WEBHOOKBENCH_MINIMAL_RECEIVER"

// minimalTable is where the minimal receiver stores what it accepts.
const minimalTable = `CREATE TABLE received (
	webhook_id text PRIMARY KEY,
	order_id   text NOT NULL,
	body       bytea NOT NULL
)`

type minimalReceiver struct {
	verifier *webhook.Verifier
	keyring  *oms.Keyring
	pool     *pgxpool.Pool
}

func (m *minimalReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Path == "/" {
		w.WriteHeader(http.StatusOK) // the readiness probe
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		http.Error(w, "reading the body", http.StatusBadRequest)
		return
	}
	v, err := m.verifier.Verify(r.Header, body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var req oms.FulfillmentRequest
	if err := json.Unmarshal(body, &req); err != nil || req.OrderID == "" {
		http.Error(w, "not a fulfilment request", http.StatusBadRequest)
		return
	}
	if err := m.keyring.Open(req.OrderID, req.Sealed, &oms.Customer{}); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if _, err := m.pool.Exec(r.Context(),
		`INSERT INTO received (webhook_id, order_id, body) VALUES ($1, $2, $3) ON CONFLICT (webhook_id) DO NOTHING`,
		v.ID, req.OrderID, body); err != nil {
		http.Error(w, "storing the request", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// serveMinimal runs the receiver until SIGTERM; its settings come from the
// environment the benchmark gives the process.
func serveMinimal() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := runMinimal(ctx, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "minimal receiver:", err)
		return 1
	}
	return 0
}

func runMinimal(ctx context.Context, getenv func(string) string) error {
	verifier, err := webhook.NewVerifier("oms", webhook.ParseSecrets(getenv("OMS_WEBHOOK_SECRETS")), nil)
	if err != nil {
		return err
	}
	keyring, err := oms.NewKeyring(getenv("OMS_AES_KEY_ID"), getenv("OMS_AES_KEY"), "", "")
	if err != nil {
		return err
	}
	pc, err := pgxpool.ParseConfig(getenv("DATABASE_URL"))
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	maxConns, err := strconv.Atoi(getenv("MAX_CONNS"))
	if err != nil || maxConns <= 0 {
		return fmt.Errorf("MAX_CONNS %q is not a positive number", getenv("MAX_CONNS"))
	}
	pc.MaxConns = int32(maxConns)
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return err
	}
	defer pool.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:"+getenv("PORT"))
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: &minimalReceiver{verifier: verifier, keyring: keyring, pool: pool}, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}
