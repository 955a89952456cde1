package arena_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/arena"
	"github.com/popsockets/integration/shared/arena/arenatest"
	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// clock is a settable clock for the fake and the clients.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock { c := &clock{}; c.ns.Store(t.UnixNano()); return c }
func (c *clock) Now() time.Time   { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Add(d time.Duration) {
	c.ns.Add(int64(d))
}

type bundle struct {
	fake  *arenatest.Server
	store *store.Store
	clock *clock
}

func setup(t *testing.T) *bundle {
	t.Helper()
	b := &bundle{store: storetest.Store(t), clock: newClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))}
	b.fake = arenatest.NewServer(arenatest.Config{Now: b.clock.Now})
	t.Cleanup(b.fake.Close)
	return b
}

// instance is one instance of the app: its own client, the shared store.
func (b *bundle) instance(t *testing.T, name string, mod ...func(*arena.Config)) *arena.Client {
	t.Helper()
	cfg := arena.Config{BaseURL: b.fake.URL(), Email: b.fake.Email(), Password: b.fake.Password(), WorkspaceID: b.fake.WorkspaceID(),
		Sessions: &arena.PostgresSessions{Store: b.store}, Holder: name, Now: b.clock.Now, LoginPoll: 5 * time.Millisecond}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := arena.New(cfg)
	require.NoError(t, err)
	return c
}

func (b *bundle) item(t *testing.T, number string) string {
	t.Helper()
	guid, err := b.fake.AddItem(arenatest.ItemSpec{Number: number, Name: "Grip " + number, Revision: "A", Category: "Grips", UOM: "each",
		Attributes: map[string]any{"Color": "Black", "Weight g": 12}})
	require.NoError(t, err)
	return guid
}

func TestSharedSession(t *testing.T) {
	t.Parallel()
	t.Run("TwoInstancesStartingAtOnceLogInOnce", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		guid := b.item(t, "100-0001")
		a, c := b.instance(t, "instance-a"), b.instance(t, "instance-b")
		b.fake.Delay(50 * time.Millisecond) // the login takes a while: the other instance must wait for it
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, 2)
		for i, cl := range []*arena.Client{a, c} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, _, errs[i] = cl.Item(context.Background(), guid)
			}()
		}
		close(start)
		wg.Wait()
		b.fake.Delay(0)
		require.NoError(t, errs[0])
		require.NoError(t, errs[1])
		require.Equal(t, 1, b.fake.Logins(), "one login for the app: a second one would end the first session")
		require.Equal(t, int64(1), a.Logins()+c.Logins())
		s, ok, err := b.store.LoadPartnerSession(context.Background(), "arena")
		require.NoError(t, err)
		require.True(t, ok)
		require.NotEmpty(t, s.Token)
	})
	t.Run("AnExpiredSessionIsRenewedByOneReLogin", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		guid := b.item(t, "100-0002")
		a, c := b.instance(t, "instance-a"), b.instance(t, "instance-b")
		_, _, err := a.Item(context.Background(), guid)
		require.NoError(t, err)
		_, _, err = c.Item(context.Background(), guid)
		require.NoError(t, err)
		require.Equal(t, 1, b.fake.Logins())

		b.fake.ExpireSessions()
		_, _, err = a.Item(context.Background(), guid)
		require.NoError(t, err, "the 401 is answered by logging in once more and asking again")
		require.Equal(t, 2, b.fake.Logins())
		_, _, err = c.Item(context.Background(), guid)
		require.NoError(t, err, "the other instance's 401 finds the new session in the store")
		require.Equal(t, 2, b.fake.Logins(), "and does not log in again (it would end the new session)")
	})
	t.Run("ASessionRefusedTwiceIsAnErrorNotALoop", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		guid := b.item(t, "100-0003")
		a := b.instance(t, "instance-a")
		_, _, err := a.Item(context.Background(), guid)
		require.NoError(t, err)
		b.fake.RefuseSessionsNext(2)
		_, _, err = a.Item(context.Background(), guid)
		require.ErrorContains(t, err, "Arena session was refused too")
		require.Equal(t, 2, b.fake.Logins(), "one re-login, not a loop")
		_, _, err = a.Item(context.Background(), guid)
		require.NoError(t, err, "the next call logs in and succeeds")
		require.Equal(t, 3, b.fake.Logins())
	})
	t.Run("WrongCredentialsAreNamedAndNeverRepeated", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		guid := b.item(t, "100-0004")
		a := b.instance(t, "instance-a", func(c *arena.Config) { c.Password = "hunter2-is-wrong" })
		_, _, err := a.Item(context.Background(), guid)
		require.ErrorContains(t, err, "ARENA_PASSWORD")
		require.ErrorContains(t, err, "code 4001")
		require.NotContains(t, err.Error(), "hunter2-is-wrong")
		require.NotContains(t, err.Error(), b.fake.Email())
		require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
		_, ok, err := b.store.LoadPartnerSession(context.Background(), "arena")
		require.NoError(t, err)
		require.False(t, ok, "nothing is stored")
	})
	t.Run("ASessionIdleTooLongIsRenewedBeforeUse", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		guid := b.item(t, "100-0005")
		mem := &memorySessions{}
		a := b.instance(t, "instance-a", func(c *arena.Config) { c.Sessions = mem })
		_, _, err := a.Item(context.Background(), guid)
		require.NoError(t, err)
		first := mem.s.ID
		mem.idle(89 * time.Minute) // another instance used it last, 89 minutes ago
		b.clock.Add(89 * time.Minute)
		_, _, err = a.Item(context.Background(), guid)
		require.NoError(t, err)
		require.NotEqual(t, first, mem.s.ID, "renewed before Arena would have refused it")
		require.Equal(t, 2, b.fake.Logins())
		require.Equal(t, 0, countStatus(b.fake.Calls(), 401), "no call was wasted on a dead session")
	})
}

func countStatus(calls []arenatest.Call, status int) int {
	n := 0
	for _, c := range calls {
		if c.Status == status {
			n++
		}
	}
	return n
}

// memorySessions is a SessionStore in memory whose idle time a test sets.
type memorySessions struct {
	mu     sync.Mutex
	s      arena.Session
	ok     bool
	holder string
}

func (m *memorySessions) idle(d time.Duration) { m.mu.Lock(); m.s.IdleFor = d; m.mu.Unlock() }
func (m *memorySessions) Load(context.Context) (arena.Session, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.s, m.ok, nil
}
func (m *memorySessions) Save(_ context.Context, s arena.Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.s, m.ok = s, true
	return nil
}
func (m *memorySessions) Drop(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.s.ID == id {
		m.s, m.ok = arena.Session{}, false
	}
	return nil
}
func (m *memorySessions) Touch(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.s.ID == id {
		m.s.IdleFor = 0
	}
	return nil
}
func (m *memorySessions) Lock(_ context.Context, holder string, _ time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.holder != "" && m.holder != holder {
		return false, nil
	}
	m.holder = holder
	return true, nil
}
func (m *memorySessions) Unlock(context.Context, string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.holder = ""
	return nil
}

func TestQuota(t *testing.T) {
	t.Parallel()
	t.Run("DownToTheReserveTheClientStopsWithoutCalling", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		guid := b.item(t, "200-0001")
		a := b.instance(t, "poll", func(c *arena.Config) { c.Reserve = 5 })
		b.fake.SetRemaining(8) // login leaves 7, then 6, then 5
		for range 2 {
			_, _, err := a.Item(context.Background(), guid)
			require.NoError(t, err)
		}
		require.Equal(t, 5, a.Remaining())
		calls := len(b.fake.Calls())
		_, _, err := a.Item(context.Background(), guid)
		require.ErrorIs(t, err, arena.ErrQuotaExhausted)
		var qe *arena.QuotaError
		require.ErrorAs(t, err, &qe)
		require.Equal(t, time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC), qe.ResetAt, "from X-Arena-Next-Request-Limit-Reset")
		require.Len(t, b.fake.Calls(), calls, "no call was made")
		require.Equal(t, fault.ClassTransient, fault.ClassOf(err))
		wait, ok := fault.RetryAfter(err)
		require.True(t, ok)
		require.Equal(t, 15*time.Hour, wait, "until the reset")

		lookup := b.instance(t, "lookup") // no reserve: the item lookup may use what the poll leaves
		_, _, err = lookup.Item(context.Background(), guid)
		require.NoError(t, err)
	})
	t.Run("WithoutAResetTimeTheClientTriesAgainAfterAPause", func(t *testing.T) {
		t.Parallel()
		b := &bundle{store: storetest.Store(t), clock: newClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))}
		b.fake = arenatest.NewServer(arenatest.Config{Now: b.clock.Now, NoResetHeader: true})
		t.Cleanup(b.fake.Close)
		guid := b.item(t, "200-0003")
		a := b.instance(t, "poll", func(c *arena.Config) { c.Reserve = 5 })
		b.fake.SetRemaining(7) // login leaves 6, the read 5
		_, _, err := a.Item(context.Background(), guid)
		require.NoError(t, err)
		_, _, err = a.Item(context.Background(), guid)
		require.ErrorIs(t, err, arena.ErrQuotaExhausted, "down to the reserve")
		b.clock.Add(59 * time.Minute)
		_, _, err = a.Item(context.Background(), guid)
		require.ErrorIs(t, err, arena.ErrQuotaExhausted, "still within the pause")
		b.fake.ResetQuota() // Arena's day turned over; nobody said when
		b.clock.Add(time.Minute)
		_, _, err = a.Item(context.Background(), guid)
		require.NoError(t, err, "one call goes through and learns the new count")
		require.Greater(t, a.Remaining(), 5)
	})
	t.Run("A429StopsEveryCallUntilTheReset", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		guid := b.item(t, "200-0002")
		a := b.instance(t, "poll")
		_, _, err := a.Item(context.Background(), guid)
		require.NoError(t, err)
		b.fake.SetRemaining(0)
		_, _, err = a.Item(context.Background(), guid)
		require.ErrorIs(t, err, arena.ErrQuotaExhausted)
		calls := len(b.fake.Calls())
		_, _, err = a.Item(context.Background(), guid)
		require.ErrorIs(t, err, arena.ErrQuotaExhausted)
		require.Len(t, b.fake.Calls(), calls, "after the 429 the client waits for the reset")

		b.clock.Add(16 * time.Hour) // the next day
		_, _, err = a.Item(context.Background(), guid)
		require.NoError(t, err, "a new day, a new quota")
	})
}

func TestItemsAndEvents(t *testing.T) {
	t.Parallel()
	t.Run("ItemWithAttributesAndBOM", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.item(t, "300-0001")
		guid, err := b.fake.AddItem(arenatest.ItemSpec{Number: "300-1000", Name: "Grip kit", Revision: "A", Category: "Kits",
			Attributes: map[string]any{"Image Type": "CPOD"}, BOM: []arenatest.BOMSpec{{Number: "300-0001", Quantity: 2}}})
		require.NoError(t, err)
		a := b.instance(t, "a")
		it, raw, err := a.Item(context.Background(), guid)
		require.NoError(t, err)
		require.Equal(t, "300-1000", it.Number)
		require.Equal(t, "A", it.RevisionNumber)
		require.Len(t, it.AdditionalAttributes, 1)
		require.Equal(t, "CPOD", it.AdditionalAttributes[0].Text())
		require.Contains(t, string(raw), `"additionalAttributes"`)
		bom, _, err := a.BOM(context.Background(), guid)
		require.NoError(t, err)
		require.Len(t, bom, 1)
		require.Equal(t, "300-0001", bom[0].Item.Number)
		require.Equal(t, "2", bom[0].Quantity.String())

		found, err := a.FindItems(context.Background(), "300-1000")
		require.NoError(t, err)
		require.Len(t, found, 1)
		found, err = a.FindItems(context.Background(), "300-9999")
		require.NoError(t, err)
		require.Empty(t, found)
		_, _, err = a.Item(context.Background(), "NOSUCHGUID")
		require.ErrorIs(t, err, arena.ErrNotFound)
		require.Equal(t, fault.ClassPermanent, fault.ClassOf(err))
	})
	t.Run("PagesHoldAtMost400", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		since := b.clock.Now()
		for i := range 900 {
			_, err := b.fake.AddItem(arenatest.ItemSpec{Number: fmt.Sprintf("400-%04d", i), Name: "Part", Revision: "A", Effective: since.Add(time.Duration(i) * time.Second)})
			require.NoError(t, err)
		}
		a := b.instance(t, "a")
		var all []arena.Item
		pages := 0
		for off := 0; ; off += arena.MaxPageLimit {
			items, last, err := a.ItemsEffectiveSince(context.Background(), since, arena.Page{Offset: off})
			require.NoError(t, err)
			pages++
			all = append(all, items...)
			if last {
				break
			}
		}
		require.Equal(t, 3, pages)
		require.Len(t, all, 900)
		_, _, err := a.ItemsEffectiveSince(context.Background(), since, arena.Page{Limit: 401})
		require.ErrorContains(t, err, "1 to 400")
	})
	t.Run("EventsNameTheRevisionTheyMadeEffectiveUntilReconciled", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.item(t, "500-0001")
		rev, err := b.fake.Revise(arenatest.ItemSpec{Number: "500-0001", Name: "Grip, new", Revision: "B"})
		require.NoError(t, err)
		a := b.instance(t, "a")
		events, last, err := a.Events(context.Background(), b.fake.Integration(), arena.Page{})
		require.NoError(t, err)
		require.True(t, last)
		require.Len(t, events, 1)
		items, _, err := a.EventItems(context.Background(), b.fake.Integration(), events[0].GUID, arena.Page{})
		require.NoError(t, err)
		require.Len(t, items, 1)
		require.Equal(t, rev, items[0].Effective.GUID)
		require.Equal(t, "B", items[0].Effective.RevisionNumber)
		require.Equal(t, "A", items[0].Superseded.RevisionNumber)
		it, _, err := a.Item(context.Background(), rev)
		require.NoError(t, err)
		require.Equal(t, "Grip, new", it.Name)

		require.NoError(t, a.Reconcile(context.Background(), b.fake.Integration(), events[0].GUID))
		require.NoError(t, a.Reconcile(context.Background(), b.fake.Integration(), events[0].GUID), "twice is harmless")
		events, _, err = a.Events(context.Background(), b.fake.Integration(), arena.Page{})
		require.NoError(t, err)
		require.Empty(t, events)
	})
}

func TestNewNamesWhatIsMissing(t *testing.T) {
	t.Parallel()
	_, err := arena.New(arena.Config{})
	for _, want := range []string{"ARENA_BASE_URL is not set", "ARENA_EMAIL is not set", "ARENA_PASSWORD is not set", "session store"} {
		require.ErrorContains(t, err, want)
	}
}

func TestAttributeText(t *testing.T) {
	t.Parallel()
	cases := map[string]string{`"CPOD"`: "CPOD", `12`: "12", `["China","USA"]`: "China;USA", `null`: "", ``: "", `true`: "true"}
	for raw, want := range cases {
		require.Equal(t, want, arena.Attribute{Value: []byte(raw)}.Text(), raw)
	}
	require.True(t, errors.Is(&arena.QuotaError{}, arena.ErrQuotaExhausted))
	require.True(t, strings.Contains((&arena.QuotaError{Remaining: 3}).Error(), "3 requests left"))
}
