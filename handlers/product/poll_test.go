package product

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/arena"
	"github.com/popsockets/integration/shared/arena/arenatest"
	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/store/storetest"
)

var morning = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

type pollBundle struct {
	store  *store.Store
	fake   *arenatest.Server
	clock  *clock
	outbox *outbox
}

func setupArena(t *testing.T) *pollBundle {
	t.Helper()
	b := &pollBundle{store: storetest.Store(t), clock: newClock(morning), outbox: &outbox{}}
	b.fake = arenatest.NewServer(arenatest.Config{Now: b.clock.Now})
	t.Cleanup(b.fake.Close)
	return b
}

// client is one instance's Arena client on the shared session.
func (b *pollBundle) client(t *testing.T, holder string, reserve int) *arena.Client {
	t.Helper()
	c, err := arena.New(arena.Config{BaseURL: b.fake.URL(), Email: b.fake.Email(), Password: b.fake.Password(), WorkspaceID: b.fake.WorkspaceID(),
		Sessions: &arena.PostgresSessions{Store: b.store}, Holder: holder, Reserve: reserve, Now: b.clock.Now, LoginPoll: 5 * time.Millisecond})
	require.NoError(t, err)
	return c
}

// instance is one instance of the app's poll, behind the host protocol.
func (b *pollBundle) instance(t *testing.T, holder string, integration string) *harness {
	t.Helper()
	p := &Poll{Store: b.store, Arena: b.client(t, holder, 0), Outbox: b.outbox, Parker: b.store, Now: b.clock.Now, Integration: integration,
		FirstLookback: 2 * time.Hour}
	return newHarness(t, b.store, func(srv *azfunc.Server) { srv.Timer(FnPoll, "timer", p.Run) })
}

func (b *pollBundle) add(t *testing.T, number, rev string, attrs map[string]any, bom ...arenatest.BOMSpec) {
	t.Helper()
	_, err := b.fake.AddItem(arenatest.ItemSpec{Number: number, Name: "Item " + number, Revision: rev, Category: "Grips", UOM: "each",
		Attributes: attrs, BOM: bom, Effective: b.clock.Now()})
	require.NoError(t, err)
}

func (b *pollBundle) revise(t *testing.T, number, rev string) {
	t.Helper()
	b.clock.Add(time.Minute)
	_, err := b.fake.Revise(arenatest.ItemSpec{Number: number, Name: "Item " + number + " rev " + rev, Revision: rev, Category: "Grips", UOM: "each",
		Attributes: map[string]any{"Image Type": "CYO"}, Effective: b.clock.Now()})
	require.NoError(t, err)
}

// published are the item revisions published, sorted.
func (b *pollBundle) published(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, m := range b.outbox.All() {
		var r Revision
		require.NoError(t, json.Unmarshal(m.Envelope.RequestedPayload, &r))
		require.Equal(t, r.ItemNumber+"/products/"+r.Revision, m.Key)
		out = append(out, r.Key())
	}
	sort.Strings(out)
	return out
}

func TestPollEvents(t *testing.T) {
	t.Parallel()
	t.Run("EachRevisionAnEventMadeEffectiveIsPublishedOnceWithAttributesAndBOM", func(t *testing.T) {
		t.Parallel()
		b := setupArena(t)
		b.add(t, "900-0001", "A", nil)
		b.add(t, "900-1000", "A", map[string]any{"Image Type": "CPOD"}, arenatest.BOMSpec{Number: "900-0001", Quantity: 2})
		_, err := b.fake.Publish("900-1000")
		require.NoError(t, err)
		b.revise(t, "900-0001", "B")
		h := b.instance(t, "a", b.fake.Integration())
		require.Equal(t, http.StatusOK, h.Fire(t, FnPoll))
		require.Equal(t, []string{"900-0001@B", "900-1000@A"}, b.published(t))
		require.Zero(t, b.fake.UnreconciledEvents(), "reconciled once published")
		for _, m := range b.outbox.All() {
			var r Revision
			require.NoError(t, json.Unmarshal(m.Envelope.RequestedPayload, &r))
			if r.ItemNumber == "900-1000" {
				require.Equal(t, "CPOD", r.Attr("Image Type"))
				require.Equal(t, []BOMLine{{LineNumber: 1, ItemNumber: "900-0001", Revision: "A", Quantity: "2"}}, r.BOM)
			}
		}
		require.Equal(t, http.StatusOK, h.Fire(t, FnPoll))
		require.Len(t, b.outbox.All(), 2, "nothing new: nothing published")
	})
	t.Run("ARevisionArenaAnswers404ForIsParkedAndTheRestGoesOn", func(t *testing.T) {
		t.Parallel()
		b := setupArena(t)
		b.add(t, "907-0001", "A", nil)
		b.add(t, "907-0002", "A", nil)
		b.clock.Add(time.Minute)
		gone, err := b.fake.Revise(arenatest.ItemSpec{Number: "907-0001", Name: "Item 907-0001 rev B", Revision: "B", Category: "Grips",
			UOM: "each", Effective: b.clock.Now()})
		require.NoError(t, err)
		b.revise(t, "907-0002", "B")
		b.fake.OnRequest(func(r *http.Request) (int, bool) { return http.StatusNotFound, strings.Contains(r.URL.Path, gone) })
		h := b.instance(t, "a", b.fake.Integration())
		for range 2 { // and the next run is not held back either
			require.Equal(t, http.StatusOK, h.Fire(t, FnPoll))
		}
		require.Equal(t, []string{"907-0002@B"}, b.published(t), "the revision Arena cannot find holds back nothing")
		var reason string
		require.NoError(t, b.store.Pool.QueryRow(context.Background(), `SELECT reason FROM parked_messages WHERE message_id = $1`,
			"arena/"+gone).Scan(&reason))
		require.Contains(t, reason, "404")
		require.Zero(t, b.fake.UnreconciledEvents())
	})
	t.Run("AnItemThatCannotBePublishedIsParkedAndTheRestGoesOn", func(t *testing.T) {
		t.Parallel()
		b := setupArena(t)
		b.add(t, "905-0001", "A", nil)
		b.add(t, "905-0002", "A", nil)
		b.clock.Add(time.Minute)
		_, err := b.fake.Revise(arenatest.ItemSpec{Number: "905-0001", Name: "", Revision: "B", Effective: b.clock.Now()}) // no name
		require.NoError(t, err)
		b.revise(t, "905-0002", "B")
		h := b.instance(t, "a", b.fake.Integration())
		require.Equal(t, http.StatusOK, h.Fire(t, FnPoll))
		require.Equal(t, []string{"905-0002@B"}, b.published(t))
		var reason string
		require.NoError(t, b.store.Pool.QueryRow(context.Background(), `SELECT reason FROM parked_messages WHERE correlation_id = '905-0001'`).Scan(&reason))
		require.Contains(t, reason, "has no name")
		require.Zero(t, b.fake.UnreconciledEvents())
		require.Contains(t, h.Logs.String(), `"parked":1`)
	})
	t.Run("AnEventPublishedButNotReconciledIsNotPublishedAgain", func(t *testing.T) {
		t.Parallel()
		b := setupArena(t)
		b.add(t, "910-0001", "A", nil)
		b.revise(t, "910-0001", "B")
		h := b.instance(t, "a", b.fake.Integration())
		b.fake.OnRequest(func(r *http.Request) (int, bool) {
			return http.StatusInternalServerError, r.Method == http.MethodPut // the reconcile fails
		})
		require.Equal(t, http.StatusInternalServerError, h.Fire(t, FnPoll))
		require.Equal(t, []string{"910-0001@B"}, b.published(t))
		b.fake.OnRequest(nil)
		calls := len(b.fake.Calls())
		require.Equal(t, http.StatusOK, h.Fire(t, FnPoll))
		require.Equal(t, []string{"910-0001@B"}, b.published(t), "once")
		require.Zero(t, b.fake.UnreconciledEvents())
		for _, c := range b.fake.Calls()[calls:] {
			require.NotContains(t, c.Path, "/items/", "the revision was not fetched again: the quota is precious")
		}
	})
	t.Run("QuotaExhaustedTheRunStopsCleanlyAndTheNextResumes", func(t *testing.T) {
		t.Parallel()
		b := setupArena(t)
		for i := range 6 {
			b.add(t, fmt.Sprintf("920-%04d", i), "A", nil)
			b.revise(t, fmt.Sprintf("920-%04d", i), "B")
		}
		h := b.instance(t, "a", b.fake.Integration())
		// Login, events, then items and revisions: the quota ends mid-run.
		b.fake.SetRemaining(9)
		require.Equal(t, http.StatusOK, h.Fire(t, FnPoll), "a clean stop is not a failure")
		require.Contains(t, h.Logs.String(), "arena quota exhausted")
		done := len(b.published(t))
		require.Greater(t, done, 0)
		require.Less(t, done, 6)
		require.GreaterOrEqual(t, b.fake.UnreconciledEvents(), 6-done, "nothing was reconciled before it was published")
		calls := len(b.fake.Calls())
		require.Equal(t, http.StatusOK, h.Fire(t, FnPoll), "still exhausted: the run stops without calling")
		require.Len(t, b.fake.Calls(), calls)

		b.clock.Add(24 * time.Hour) // a new day: the quota resets
		require.Equal(t, http.StatusOK, h.Fire(t, FnPoll))
		require.Len(t, b.published(t), 6, "resumed where it stopped, each revision once")
		require.Zero(t, b.fake.UnreconciledEvents())
	})
	t.Run("TwoInstancesStartingAtOnceLogInOnceAndPollOnce", func(t *testing.T) {
		t.Parallel()
		b := setupArena(t)
		b.add(t, "930-0001", "A", nil)
		b.revise(t, "930-0001", "B")
		a, c := b.instance(t, "instance-a", b.fake.Integration()), b.instance(t, "instance-b", b.fake.Integration())
		lookup := &Lookup{Arena: b.client(t, "instance-c", 0)}
		var wg sync.WaitGroup
		start := make(chan struct{})
		statuses := make([]int, 2)
		for i, h := range []*harness{a, c} {
			wg.Add(1)
			go func() { defer wg.Done(); <-start; statuses[i] = h.Fire(t, FnPoll) }()
		}
		wg.Add(1)
		var lookupErr error
		go func() {
			defer wg.Done()
			<-start
			_, lookupErr = lookup.Arena.FindItems(context.Background(), "930-0001")
		}()
		close(start)
		wg.Wait()
		require.Equal(t, []int{http.StatusOK, http.StatusOK}, statuses, "%s\n%s", a.Logs.String(), c.Logs.String())
		require.NoError(t, lookupErr)
		require.Equal(t, 1, b.fake.Logins(), "three callers, one session")
		require.Equal(t, []string{"930-0001@B"}, b.published(t), "one instance polled, or both in turn: published once")
	})
}

func TestPollEffectiveSince(t *testing.T) {
	t.Parallel()
	b := setupArena(t)
	b.add(t, "940-0001", "A", nil)
	b.clock.Add(time.Minute)
	b.add(t, "940-0002", "A", map[string]any{"Image Type": "STD"})
	h := b.instance(t, "a", "")
	require.Equal(t, http.StatusOK, h.Fire(t, FnPoll))
	require.Equal(t, []string{"940-0001@A", "940-0002@A"}, b.published(t))
	v, ok, err := store.GetWatermark(context.Background(), b.store.Pool, PollName)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, b.clock.Now().Format(time.RFC3339Nano), v)
	b.clock.Add(5 * time.Minute)
	b.revise(t, "940-0001", "B")
	require.Equal(t, http.StatusOK, h.Fire(t, FnPoll))
	require.Equal(t, []string{"940-0001@A", "940-0001@B", "940-0002@A"}, b.published(t))
	require.Equal(t, http.StatusOK, h.Fire(t, FnPoll))
	require.Len(t, b.published(t), 3)
}
