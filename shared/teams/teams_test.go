package teams_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/teams"
	"github.com/popsockets/integration/shared/teams/teamstest"
)

const sig = "Zm9vYmFyLXNpZ25hdHVyZS0xMjM0"

func setup(t *testing.T, fake teamstest.Config, mod func(*teams.Config)) (*teams.Client, *teamstest.Server) {
	t.Helper()
	fake.Sig = sig
	srv := teamstest.NewServer(fake)
	t.Cleanup(srv.Close)
	cfg := teams.Config{WorkflowURL: srv.URL(), RatePerSecond: 1000, Timeout: 5 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	c, err := teams.New(cfg)
	require.NoError(t, err)
	return c, srv
}

var alert = teams.Alert{
	Title:    "Order ORD225299 parked",
	Text:     "Cirro refused the order: ship method <2DAY> & friends are not mapped.",
	Severity: teams.SeverityError,
	Facts:    []teams.Fact{{Name: "function", Value: "cirro-fulfill"}, {Name: "delivery count", Value: "3"}},
	Link:     "https://portal.azure.com/#blade/logs",
}

func TestNewNamesTheMissingSetting(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  teams.Config
		want string
	}{
		{"NoURL", teams.Config{}, "TEAMS_WORKFLOW_URL is required"},
		{"NotAURL", teams.Config{WorkflowURL: "prod-12.westus.logic.azure.com/workflows?sig=" + sig}, "TEAMS_WORKFLOW_URL must be an absolute"},
		{"NegativeRate", teams.Config{WorkflowURL: "https://x.example.com/?sig=" + sig, RatePerSecond: -1}, "rate per second"},
		{"CardLimitOverTeamsLimit", teams.Config{WorkflowURL: "https://x.example.com/?sig=" + sig, MaxCardBytes: 40_000}, "card limit"},
		{"CardLimitTooSmall", teams.Config{WorkflowURL: "https://x.example.com/?sig=" + sig, MaxCardBytes: 100}, "card limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := teams.New(tc.cfg)
			require.ErrorContains(t, err, tc.want)
			require.NotContains(t, err.Error(), sig)
		})
	}
}

func TestPayloadIsTheWorkflowsShape(t *testing.T) {
	t.Parallel()
	b, err := teams.Payload(alert, teams.DefaultMaxCardBytes)
	require.NoError(t, err)
	require.JSONEq(t, `{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","contentUrl":null,
		"content":{"$schema":"http://adaptivecards.io/schemas/adaptive-card.json","type":"AdaptiveCard","version":"1.4","body":[
			{"type":"TextBlock","text":"Order ORD225299 parked","size":"Large","weight":"Bolder","color":"Attention","wrap":true},
			{"type":"TextBlock","text":"Cirro refused the order: ship method <2DAY> & friends are not mapped.","wrap":true},
			{"type":"FactSet","facts":[{"title":"function","value":"cirro-fulfill"},{"title":"delivery count","value":"3"}]}],
		"actions":[{"type":"Action.OpenUrl","title":"Open","url":"https://portal.azure.com/#blade/logs"}]}}]}`, string(b))
}

func TestPayloadStaysUnderTheLimit(t *testing.T) {
	t.Parallel()
	manyFacts := make([]teams.Fact, 3000)
	for i := range manyFacts {
		manyFacts[i] = teams.Fact{Name: "message", Value: strings.Repeat("m", 40)}
	}
	for _, tc := range []struct {
		name  string
		alert teams.Alert
		max   int
		// kept is text that must survive the cut.
		kept string
	}{
		{"LongTextIsCut", teams.Alert{Title: "t", Text: "start " + strings.Repeat("stack frame\n", 10_000)}, teams.DefaultMaxCardBytes, "start stack frame"},
		{"LongFactValuesAreCut", teams.Alert{Title: "t", Facts: []teams.Fact{{Name: "body", Value: strings.Repeat("v", 50_000)}, {Name: "id", Value: "ORD1"}}}, teams.DefaultMaxCardBytes, "ORD1"},
		{"ManyFactsAreDropped", teams.Alert{Title: "dead letters", Text: "summary", Facts: manyFacts}, teams.DefaultMaxCardBytes, "more facts not shown"},
		{"EscapedCharactersCount", teams.Alert{Title: "t", Text: strings.Repeat("\"\\\x01", 20_000)}, teams.MinCardBytes, ""},
		{"MultibyteTextStaysValid", teams.Alert{Title: "t", Text: strings.Repeat("订单已停放😀ü", 5_000)}, 4096, "订单已停放"},
		{"InvalidUTF8IsRepaired", teams.Alert{Title: "t", Text: "a\xffb" + strings.Repeat("x", 30_000)}, 4096, "a\uFFFDb"},
		{"HugeTitleIsCut", teams.Alert{Title: strings.Repeat("T", 10_000), Text: "x"}, teams.MinCardBytes, "TTT"},
		{"HugeLinkIsDropped", teams.Alert{Title: "t", Link: "https://x.example.com/" + strings.Repeat("q", 5000)}, teams.DefaultMaxCardBytes, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, err := teams.Payload(tc.alert, tc.max)
			require.NoError(t, err)
			require.LessOrEqual(t, len(b), tc.max)
			require.True(t, utf8.Valid(b))
			var m teams.Message
			require.NoError(t, json.Unmarshal(b, &m))
			require.Len(t, m.Attachments, 1)
			require.Contains(t, string(b), "(truncated)")
			require.Contains(t, string(b), tc.kept)
			if tc.max == teams.DefaultMaxCardBytes && tc.kept != "" {
				require.Greater(t, len(b), tc.max*9/10, "the budget is used, not thrown away")
			}
		})
	}
	t.Run("EmptyAlertIsRefused", func(t *testing.T) {
		t.Parallel()
		_, err := teams.Payload(teams.Alert{Facts: []teams.Fact{{Name: "a", Value: "b"}}}, teams.DefaultMaxCardBytes)
		require.ErrorContains(t, err, "no title and no text")
	})
	t.Run("UnknownSeverityIsRefused", func(t *testing.T) {
		t.Parallel()
		_, err := teams.Payload(teams.Alert{Title: "t", Severity: "fatal"}, teams.DefaultMaxCardBytes)
		require.ErrorContains(t, err, `severity "fatal"`)
	})
}

func FuzzPayloadStaysUnderTheLimit(f *testing.F) {
	f.Add("title", "text", "name", "value", 2048)
	f.Add("", strings.Repeat("é\"", 3000), "n", strings.Repeat("\x00", 2000), 3000)
	f.Fuzz(func(t *testing.T, title, text, name, value string, limit int) {
		limit = teams.MinCardBytes + abs(limit)%(teams.LimitBytes-teams.MinCardBytes)
		a := teams.Alert{Title: title, Text: text, Facts: []teams.Fact{{Name: name, Value: value}, {Name: name, Value: text}}}
		b, err := teams.Payload(a, limit)
		if err != nil {
			return // an empty alert
		}
		if len(b) > limit || !utf8.Valid(b) || !json.Valid(b) {
			t.Fatalf("payload of %d bytes for limit %d (valid UTF-8 %v)", len(b), limit, utf8.Valid(b))
		}
	})
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

func TestPost(t *testing.T) {
	t.Parallel()
	t.Run("CardReachesTheChannel", func(t *testing.T) {
		t.Parallel()
		c, srv := setup(t, teamstest.Config{}, nil)
		require.NoError(t, c.Post(t.Context(), alert))
		cards := srv.Cards()
		require.Len(t, cards, 1)
		require.Equal(t, "Order ORD225299 parked", cards[0].Body[0].Text)
		require.Equal(t, "Attention", cards[0].Body[0].Color)
		require.Equal(t, []teamstest.Call{{Bytes: srv.Calls()[0].Bytes, Status: http.StatusAccepted}}, srv.Calls())
	})
	t.Run("HugeAlertIsTruncatedAndAccepted", func(t *testing.T) {
		t.Parallel()
		c, srv := setup(t, teamstest.Config{}, nil)
		require.NoError(t, c.Post(t.Context(), teams.Alert{Title: "t", Text: strings.Repeat("x", 100_000)}))
		require.LessOrEqual(t, srv.Calls()[0].Bytes, teams.DefaultMaxCardBytes)
		require.True(t, strings.HasSuffix(srv.Cards()[0].Body[1].Text, teams.TruncatedMark))
	})
	t.Run("ClientStaysUnderTheRateLimit", func(t *testing.T) {
		t.Parallel()
		// The default client rate (4/s) against the default fake (4/s):
		// six posts at once all pass, none gets a 429.
		c, srv := setup(t, teamstest.Config{}, func(c *teams.Config) { c.RatePerSecond = 0 })
		var wg sync.WaitGroup
		errs := make(chan error, 6)
		for range 6 {
			wg.Go(func() { errs <- c.Post(t.Context(), alert) })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		require.Len(t, srv.Cards(), 6)
	})
	t.Run("WaitingForTheLimiterIsBoundedByCtx", func(t *testing.T) {
		t.Parallel()
		c, srv := setup(t, teamstest.Config{}, func(c *teams.Config) { c.RatePerSecond = 0.01 })
		require.NoError(t, c.Post(t.Context(), alert))
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := c.Post(ctx, alert)
		require.ErrorIs(t, err, fault.ErrTransient)
		require.ErrorContains(t, err, "rate limit")
		require.Less(t, time.Since(start), 5*time.Second)
		require.Len(t, srv.Calls(), 1)
	})
	t.Run("InvalidAlertIsPermanentWithoutACall", func(t *testing.T) {
		t.Parallel()
		c, srv := setup(t, teamstest.Config{}, nil)
		require.ErrorIs(t, c.Post(t.Context(), teams.Alert{}), fault.ErrPermanent)
		require.Empty(t, srv.Calls())
	})
}

func TestPostFailuresAreClassifiedWithoutTheURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		fake    teamstest.Config
		prepare func(*teamstest.Server)
		config  func(*teams.Config, *teamstest.Server)
		alert   *teams.Alert
		class   error
		retry   time.Duration
		message string
	}{
		{name: "TooManyRequestsIsTransientWithRetryAfter", prepare: func(s *teamstest.Server) { s.FailNext(429, 1) }, class: fault.ErrTransient, retry: time.Second, message: "HTTP 429"},
		{name: "FakeRateLimitGivesRetryAfter", fake: teamstest.Config{RatePerSecond: 0.001, Burst: 1},
			prepare: func(s *teamstest.Server) {
				// A post from elsewhere takes the only token.
				resp, err := http.Post(s.URL(), "application/json", strings.NewReader(`{}`))
				if err == nil {
					_ = resp.Body.Close()
				}
			}, class: fault.ErrTransient, retry: 1000 * time.Second, message: "rate limit"},
		{name: "TooLargeIsPermanent", fake: teamstest.Config{MaxBytes: 1000}, config: func(c *teams.Config, _ *teamstest.Server) { c.MaxCardBytes = 4000 },
			alert: &teams.Alert{Title: "t", Text: strings.Repeat("x", 5000)}, class: fault.ErrPermanent, message: "HTTP 413"},
		{name: "ServerErrorIsTransient", prepare: func(s *teamstest.Server) { s.FailNext(502, 1) }, class: fault.ErrTransient, message: "answered 502"},
		{name: "WrongSigIsTransientCredentialsRefused", config: func(c *teams.Config, s *teamstest.Server) {
			c.WorkflowURL = strings.Replace(s.URL(), sig, "b2xkLXNpZ25hdHVyZS1yb3RhdGVk", 1)
		}, class: fault.ErrTransient, message: "credentials refused"},
		{name: "BadRequestIsPermanent", prepare: func(s *teamstest.Server) { s.FailNext(400, 1) }, class: fault.ErrPermanent, message: "answered 400"},
		{name: "EchoedURLIsScrubbed", prepare: func(s *teamstest.Server) { s.EchoCredentialsNext(401, 1) },
			class: fault.ErrTransient, message: "the signature '[REDACTED]' of the request [REDACTED]?[REDACTED] is not valid"},
		{name: "TimeoutIsTransient", prepare: func(s *teamstest.Server) { s.Delay(time.Minute) },
			config: func(c *teams.Config, _ *teamstest.Server) { c.Timeout = 50 * time.Millisecond }, class: fault.ErrTransient, message: "Teams did not answer within 50ms"},
		{name: "ConnectionRefusedIsTransient", config: func(c *teams.Config, _ *teamstest.Server) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err == nil {
				c.WorkflowURL = "http://" + l.Addr().String() + teamstest.WorkflowPath + "?sig=" + sig
				_ = l.Close()
			}
		}, class: fault.ErrTransient, message: "reaching Teams"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := tc.fake
			fake.Sig = sig
			srv := teamstest.NewServer(fake)
			t.Cleanup(srv.Close)
			cfg := teams.Config{WorkflowURL: srv.URL(), RatePerSecond: 1000, Timeout: 5 * time.Second}
			if tc.config != nil {
				tc.config(&cfg, srv)
			}
			c, err := teams.New(cfg)
			require.NoError(t, err)
			if tc.prepare != nil {
				tc.prepare(srv)
			}
			a := alert
			if tc.alert != nil {
				a = *tc.alert
			}
			err = c.Post(t.Context(), a)
			require.ErrorIs(t, err, tc.class)
			require.ErrorContains(t, err, tc.message)
			require.NotContains(t, err.Error(), sig)
			require.NotContains(t, err.Error(), "sig=")
			require.NotContains(t, err.Error(), teamstest.WorkflowPath)
			require.Empty(t, srv.Cards())
			got, ok := fault.RetryAfter(err)
			require.Equal(t, tc.retry > 0, ok)
			require.Equal(t, tc.retry, got)
		})
	}
}

func TestFakeEnforcesTheRealLimits(t *testing.T) {
	t.Parallel()
	srv := teamstest.NewServer(teamstest.Config{RatePerSecond: 0.001, Burst: 2, MaxBytes: 3000})
	t.Cleanup(srv.Close)
	post := func(body string) int {
		resp, err := http.Post(srv.URL(), "application/json", strings.NewReader(body))
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		return resp.StatusCode
	}
	ok, err := teams.Payload(alert, teams.DefaultMaxCardBytes)
	require.NoError(t, err)
	require.Equal(t, http.StatusRequestEntityTooLarge, post(strings.Repeat(" ", 3001)), "size is checked before the rate")
	require.Equal(t, http.StatusAccepted, post(string(ok)))
	require.Equal(t, http.StatusBadRequest, post(`{"type":"message","attachments":[]}`))
	require.Equal(t, http.StatusTooManyRequests, post(string(ok)))
	require.Len(t, srv.Cards(), 1)

	resp, err := http.Post(strings.Replace(srv.URL(), teamstest.DefaultSig, "nope", 1), "application/json", strings.NewReader(string(ok)))
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}
