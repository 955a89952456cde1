package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

func TestMigrate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("AppliesOnceAndReportsNothingTheSecondTime", func(t *testing.T) {
		t.Parallel()
		cfg := storetest.Schema(t)
		applied, err := store.Migrate(ctx, cfg, nil)
		require.NoError(t, err)
		require.Equal(t, store.Versions(), applied)
		require.Equal(t, int64(len(store.Versions())), store.LatestVersion(), "versions are numbered 1, 2, 3 ...")
		applied, err = store.Migrate(ctx, cfg, nil)
		require.NoError(t, err)
		require.Empty(t, applied)
	})

	t.Run("ConcurrentRunnersNeverRace", func(t *testing.T) {
		t.Parallel()
		cfg := storetest.Schema(t)
		var wg sync.WaitGroup
		results := make([][]int64, 5)
		errs := make([]error, 5)
		for i := range 5 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], errs[i] = store.Migrate(ctx, cfg, nil)
			}()
		}
		wg.Wait()
		total := 0
		for i := range 5 {
			require.NoError(t, errs[i])
			total += len(results[i])
		}
		require.Equal(t, len(store.Versions()), total, "exactly one runner applies each migration")
	})

	t.Run("ReadyRefusesAnUnmigratedDatabase", func(t *testing.T) {
		t.Parallel()
		cfg := storetest.Schema(t)
		s, err := store.Open(cfg)
		require.NoError(t, err)
		defer s.Close()
		err = s.Ready(ctx)
		require.ErrorIs(t, err, store.ErrSchemaBehind)
		require.ErrorContains(t, err, "run `handler migrate`")
		_, err = store.Migrate(ctx, cfg, nil)
		require.NoError(t, err)
		require.NoError(t, s.Ready(ctx))
		current, target, err := s.SchemaVersion(ctx)
		require.NoError(t, err)
		require.Equal(t, store.LatestVersion(), target)
		require.Equal(t, target, current)
	})
}

func TestUnreachableDatabase(t *testing.T) {
	t.Parallel()
	// A port nobody listens on: connections are refused at once.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())

	s, err := store.Open(store.Config{URL: "postgres://app:pw@" + addr + "/app?sslmode=disable", ConnectTimeout: 2 * time.Second})
	require.NoError(t, err, "opening never connects")
	defer s.Close()
	err = s.Ready(context.Background())
	require.Error(t, err)
	require.Equal(t, fault.ClassTransient, fault.ClassOf(err), "a missing database is worth retrying")

	_, err = store.Open(store.Config{})
	require.ErrorContains(t, err, "DATABASE_URL is not set")
	_, err = store.Open(store.Config{URL: "postgres://u:hunter2secret@host:notaport/db"})
	require.Error(t, err)
	require.NotContains(t, err.Error(), "hunter2secret", "a bad URL never echoes its password")
}

func TestOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	setup := func(t *testing.T) *store.Store {
		s := storetest.Store(t)
		storetest.Exec(t, s, `CREATE TABLE effects (message_id text)`)
		return s
	}
	effect := func(id string) func(tx pgx.Tx) error {
		return func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO effects VALUES ($1)`, id)
			return err
		}
	}

	t.Run("SecondDeliveryIsADuplicateWithNoEffect", func(t *testing.T) {
		t.Parallel()
		s := setup(t)
		require.NoError(t, s.Once(ctx, "cirro-fulfill", "m-1", "inv-1", effect("m-1")))
		err := s.Once(ctx, "cirro-fulfill", "m-1", "inv-2", effect("m-1"))
		require.Equal(t, fault.ClassDuplicate, fault.ClassOf(err))
		require.Equal(t, 1, storetest.Count(t, s, `SELECT * FROM effects`))
		// Another consumer of the same message is independent.
		require.NoError(t, s.Once(ctx, "oms-confirm", "m-1", "inv-3", effect("m-1")))
		ok, err := s.Processed(ctx, "cirro-fulfill", "m-1")
		require.NoError(t, err)
		require.True(t, ok)
	})

	t.Run("FailedEffectRecordsNothingSoARetryWorks", func(t *testing.T) {
		t.Parallel()
		s := setup(t)
		boom := errors.New("cirro timed out")
		err := s.Once(ctx, "cirro-fulfill", "m-2", "inv-1", func(tx pgx.Tx) error {
			if err := effect("m-2")(tx); err != nil {
				return err
			}
			return boom
		})
		require.ErrorIs(t, err, boom)
		require.Equal(t, 0, storetest.Count(t, s, `SELECT * FROM effects`), "nothing half-written")
		require.Equal(t, 0, storetest.Count(t, s, `SELECT * FROM processed_messages`))
		require.NoError(t, s.Once(ctx, "cirro-fulfill", "m-2", "inv-2", effect("m-2")))
		require.Equal(t, 1, storetest.Count(t, s, `SELECT * FROM effects`))
	})

	t.Run("TwentyConcurrentDeliveriesHaveOneEffect", func(t *testing.T) {
		t.Parallel()
		s := setup(t)
		var wg sync.WaitGroup
		var mu sync.Mutex
		dups, oks := 0, 0
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := s.Once(ctx, "cirro-fulfill", "m-3", fmt.Sprint("inv-", i), effect("m-3"))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					oks++
				case fault.ClassOf(err) == fault.ClassDuplicate:
					dups++
				default:
					t.Errorf("unexpected error: %v", err)
				}
			}()
		}
		wg.Wait()
		require.Equal(t, 1, oks)
		require.Equal(t, 19, dups)
		require.Equal(t, 1, storetest.Count(t, s, `SELECT * FROM effects`))
	})
}

func TestPark(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	msg := azfunc.Parked{
		Function: "cirro-fulfill", Trigger: "serviceBusTrigger", Binding: "msg", MessageID: "ORD-1/fulfillment-request",
		CorrelationID: "ORD-1", InvocationID: "inv-1", DeliveryCount: 1, Reason: "ship method XYZ is not mapped",
		Payload: []byte(`{"order":"ORD-1"}`), Metadata: []byte(`{"DeliveryCount":"1"}`),
	}

	t.Run("ParkedOnceThenUpdated", func(t *testing.T) {
		t.Parallel()
		s := storetest.Store(t)
		r1, err := s.Park(ctx, msg)
		require.NoError(t, err)
		require.True(t, r1.First)
		again := msg
		again.DeliveryCount, again.InvocationID = 2, "inv-2"
		r2, err := s.Park(ctx, again)
		require.NoError(t, err)
		require.False(t, r2.First)
		require.Equal(t, r1.ID, r2.ID)
		p, err := s.GetParked(ctx, r1.ID)
		require.NoError(t, err)
		require.Equal(t, 2, p.TimesSeen)
		require.Equal(t, 2, p.DeliveryCount)
		require.Equal(t, "inv-2", p.InvocationID)
		require.Equal(t, msg.Reason, p.Reason)
		require.JSONEq(t, `{"order":"ORD-1"}`, string(p.Payload))
		require.JSONEq(t, `{"DeliveryCount":"1"}`, string(p.Metadata))
		require.True(t, p.Open())
		require.Equal(t, 1, storetest.Count(t, s, `SELECT * FROM parked_messages`))
	})

	t.Run("AlertedReplayedAndReopened", func(t *testing.T) {
		t.Parallel()
		s := storetest.Store(t)
		r, err := s.Park(ctx, msg)
		require.NoError(t, err)
		unalerted, err := s.ListParked(ctx, store.ParkedFilter{Unalerted: true})
		require.NoError(t, err)
		require.Len(t, unalerted, 1)
		require.NoError(t, s.MarkAlerted(ctx, []int64{r.ID}))
		unalerted, err = s.ListParked(ctx, store.ParkedFilter{Unalerted: true})
		require.NoError(t, err)
		require.Empty(t, unalerted)

		require.NoError(t, s.BeginReplay(ctx, r.ID))
		open, err := s.ListParked(ctx, store.ParkedFilter{OpenOnly: true})
		require.NoError(t, err)
		require.Empty(t, open)

		// The replay failed the same way: it is open again and worth a new alert.
		r2, err := s.Park(ctx, msg)
		require.NoError(t, err)
		require.True(t, r2.First)
		p, err := s.GetParked(ctx, r.ID)
		require.NoError(t, err)
		require.True(t, p.Open())
		require.Nil(t, p.AlertedAt)
		require.Equal(t, 1, p.ReplayCount)

		byOrder, err := s.ListParked(ctx, store.ParkedFilter{Correlation: "ORD-1", Function: "cirro-fulfill"})
		require.NoError(t, err)
		require.Len(t, byOrder, 1)
	})

	t.Run("UnknownIDIsNotFound", func(t *testing.T) {
		t.Parallel()
		s := storetest.Store(t)
		_, err := s.GetParked(ctx, 999)
		require.ErrorIs(t, err, store.ErrNotFound)
		require.ErrorIs(t, s.BeginReplay(ctx, 999), store.ErrNotFound)
	})

	t.Run("ParkingStoresAnyBytes", func(t *testing.T) {
		t.Parallel()
		s := storetest.Store(t)
		bad := azfunc.Parked{
			Function: "cirro-fulfill", Trigger: "serviceBusTrigger", MessageID: "m\x00id\xff",
			CorrelationID: strings.Repeat("O", 5000), Reason: "order \x00 refused \xfe",
			Payload:  []byte{0, 0xff, 'x'},
			Metadata: json.RawMessage(`{"MessageId":"\"m\u0000id\""}`),
		}
		r, err := s.Park(ctx, bad)
		require.NoError(t, err, "parking never fails on the data it keeps")
		p, err := s.GetParked(ctx, r.ID)
		require.NoError(t, err)
		require.Equal(t, []byte{0, 0xff, 'x'}, p.Payload, "the payload is kept byte for byte")
		require.Equal(t, string(bad.Metadata), string(p.MetadataJSON()), "metadata jsonb refuses is kept verbatim")
		require.Contains(t, p.Reason, `order \0 refused`)
		require.Less(t, len(p.CorrelationID), 300)
		again, err := s.Park(ctx, bad)
		require.NoError(t, err)
		require.Equal(t, r.ID, again.ID, "the same bad message is one row")
	})

	t.Run("AlertClaimsAreExclusive", func(t *testing.T) {
		t.Parallel()
		s := storetest.Store(t)
		for _, id := range []string{"a", "b", "c"} {
			m := msg
			m.MessageID = id
			_, err := s.Park(ctx, m)
			require.NoError(t, err)
		}
		first, err := s.ClaimUnalerted(ctx, 2, time.Minute)
		require.NoError(t, err)
		require.Len(t, first, 2)
		second, err := s.ClaimUnalerted(ctx, 10, time.Minute)
		require.NoError(t, err)
		require.Len(t, second, 1, "claimed rows are not handed out twice")
		require.NoError(t, s.ReleaseAlertClaim(ctx, []int64{first[0].ID}))
		require.NoError(t, s.MarkAlerted(ctx, []int64{first[1].ID, second[0].ID}))
		third, err := s.ClaimUnalerted(ctx, 10, time.Minute)
		require.NoError(t, err)
		require.Len(t, third, 1, "a released claim is reported by the next sender")
		require.Equal(t, first[0].ID, third[0].ID)
	})
}

func TestSchemaGateChecksInParallelDuringAnOutage(t *testing.T) {
	t.Parallel()
	// A database that accepts connections and never answers: each check
	// hangs until its own deadline. With a lock held across the check they
	// would queue one behind the other; here all of them are in flight at once.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	accepted := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	s, err := store.Open(store.Config{URL: "postgres://app:pw@" + l.Addr().String() + "/app?sslmode=disable", ConnectTimeout: time.Minute})
	require.NoError(t, err)
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	const n = 5
	errs := make(chan error, n)
	for range n {
		go func() { errs <- s.Ready(ctx) }()
	}
	deadline := time.After(20 * time.Second)
	for i := range n {
		select {
		case c := <-accepted:
			defer c.Close()
		case <-deadline:
			t.Fatalf("only %d of %d checks reached the database at once: they queue behind each other", i, n)
		}
	}
	cancel()
	for range n {
		require.Error(t, <-errs)
	}
}

func TestWatermarks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.Store(t)
	_, ok, err := store.GetWatermark(ctx, s.Pool, "jackyun-orders")
	require.NoError(t, err)
	require.False(t, ok)
	require.NoError(t, store.SetWatermark(ctx, s.Pool, "jackyun-orders", "2026-11-25T10:00:00+08:00"))

	// A watermark moved in a transaction that rolls back does not move.
	err = s.InTx(ctx, func(tx pgx.Tx) error {
		if err := store.SetWatermark(ctx, tx, "jackyun-orders", "2026-11-25T11:00:00+08:00"); err != nil {
			return err
		}
		return errors.New("publishing failed")
	})
	require.Error(t, err)
	v, ok, err := store.GetWatermark(ctx, s.Pool, "jackyun-orders")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "2026-11-25T10:00:00+08:00", v)
}

func TestLeases(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.Store(t)
	const name = "sps-inbound-poll"

	ok, err := s.AcquireLease(ctx, name, "instance-a", time.Minute)
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = s.AcquireLease(ctx, name, "instance-b", time.Minute)
	require.NoError(t, err)
	require.False(t, ok, "one holder at a time")
	ok, err = s.AcquireLease(ctx, name, "instance-a", time.Minute)
	require.NoError(t, err)
	require.True(t, ok, "the holder may extend")
	require.NoError(t, s.RenewLease(ctx, name, "instance-a", time.Minute))

	// Instance a crashed: its lease expired.
	storetest.Exec(t, s, `UPDATE leases SET expires_at = now() - interval '1 second' WHERE name = $1`, name)
	ok, err = s.AcquireLease(ctx, name, "instance-b", time.Minute)
	require.NoError(t, err)
	require.True(t, ok, "an expired lease is taken over")
	require.ErrorIs(t, s.RenewLease(ctx, name, "instance-a", time.Minute), store.ErrLeaseLost)

	require.NoError(t, s.ReleaseLease(ctx, name, "instance-a"), "releasing someone else's lease does nothing")
	ok, err = s.AcquireLease(ctx, name, "instance-c", time.Minute)
	require.NoError(t, err)
	require.False(t, ok)
	require.NoError(t, s.ReleaseLease(ctx, name, "instance-b"))
	ok, err = s.AcquireLease(ctx, name, "instance-c", time.Minute)
	require.NoError(t, err)
	require.True(t, ok)
	_, err = s.AcquireLease(ctx, name, "instance-c", 0)
	require.Error(t, err)
}
