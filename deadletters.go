package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/popsockets/integration/handlers/platform"
	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/blob"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/kit"
	"github.com/popsockets/integration/shared/messaging"
	"github.com/popsockets/integration/shared/store"
)

// deadLetterQueues is what replaying dead letters needs of the broker.
type deadLetterQueues interface {
	bus.DeadLetterReader
	bus.Resubmitter
}

var (
	_ deadLetterQueues = (*bus.ServiceBus)(nil)
	_ deadLetterQueues = (*bus.Local)(nil)
)

// brokerFor opens the broker the environment names, as the app does: the
// local host's (DEVHOST_URL), or Service Bus by connection string or by
// namespace and identity.
func brokerFor(env func(string) string) (deadLetterQueues, error) {
	switch dev, conn, ns := env("DEVHOST_URL"), env("ServiceBusConnection"), env("ServiceBusConnection__fullyQualifiedNamespace"); {
	case dev != "":
		return bus.NewLocal(bus.LocalConfig{URL: dev})
	case conn != "":
		return bus.NewServiceBus(bus.ServiceBusConfig{ConnectionString: conn})
	case ns != "":
		cred, err := azidentity.NewDefaultAzureCredential(nil)
		if err != nil {
			return nil, err
		}
		return bus.NewServiceBus(bus.ServiceBusConfig{Namespace: ns, Credential: cred})
	}
	return nil, errors.New("no broker: set ServiceBusConnection__fullyQualifiedNamespace (or ServiceBusConnection, or DEVHOST_URL for a local run)")
}

// blobsFor opens the blob store the environment names, as the app does.
func blobsFor(env func(string) string) (blob.Store, error) {
	switch local, conn, uri := env("BLOB_LOCAL_DIR"), env("BlobStorage"), env("BlobStorage__blobServiceUri"); {
	case local != "":
		return blob.NewFS(blob.FSConfig{Root: local})
	case conn != "":
		return blob.NewAzure(blob.AzureConfig{ConnectionString: conn})
	case uri != "":
		cred, err := azidentity.NewDefaultAzureCredential(nil)
		if err != nil {
			return nil, err
		}
		return blob.NewAzure(blob.AzureConfig{ServiceURL: uri, Credential: cred})
	}
	return nil, errors.New("no blob storage: set BlobStorage__blobServiceUri (or BlobStorage, or BLOB_LOCAL_DIR)")
}

// queue is one subscription of the app, with the function that consumes it.
type queue struct {
	// Topic is the entity name, Logical the catalogue's name.
	Topic, Logical, Subscription string
	Function                     string
}

// appQueues lists the app's subscriptions and their functions, from
// infra/messaging.json, the topics' app settings and functions/*/function.json.
func appQueues(cat *messaging.Catalog, env func(string) string, root string) ([]queue, error) {
	paths, err := filepath.Glob(filepath.Join(root, "functions", "*", "function.json"))
	if err != nil {
		return nil, err
	}
	consumer := map[string]string{} // "%SETTING%|sub" -> function
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var fj struct {
			Bindings []struct {
				Type             string `json:"type"`
				TopicName        string `json:"topicName"`
				SubscriptionName string `json:"subscriptionName"`
			} `json:"bindings"`
		}
		if err := json.Unmarshal(b, &fj); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		for _, bd := range fj.Bindings {
			if bd.Type == "serviceBusTrigger" {
				consumer[bd.TopicName+"|"+bd.SubscriptionName] = filepath.Base(filepath.Dir(p))
			}
		}
	}
	var out []queue
	for _, t := range cat.Topics {
		entity := env(t.Setting)
		for _, s := range t.Subscriptions {
			fn := consumer["%"+t.Setting+"%|"+s.Name]
			if fn == "" || entity == "" {
				continue // read by another system, or a topic this environment lacks
			}
			out = append(out, queue{Topic: entity, Logical: t.Name, Subscription: s.Name, Function: fn})
		}
	}
	return out, nil
}

// deadLetterFilter selects dead letters to replay.
type deadLetterFilter struct {
	topic, subscription, reason, correlation, messageID string
}

func (f deadLetterFilter) matchQueue(q queue) bool {
	return (f.topic == "" || f.topic == q.Topic || f.topic == q.Logical) && (f.subscription == "" || f.subscription == q.Subscription)
}

func (f deadLetterFilter) match(d bus.DeadLetter) bool {
	return (f.reason == "" || strings.EqualFold(f.reason, d.Reason)) &&
		(f.correlation == "" || f.correlation == d.CorrelationID) &&
		(f.messageID == "" || f.messageID == d.MessageID)
}

// deadLetterReplay replays dead-lettered messages through their functions.
type deadLetterReplay struct {
	app      *kit.App
	srv      *azfunc.Server
	broker   deadLetterQueues
	recorder *platform.DeadLetterRecorder
	queues   []queue
	force    bool
	dryRun   bool
	limit    int
	out      io.Writer
}

// outcome of one message.
type replayed struct {
	rec    *store.DeadLetterRecord
	dl     bus.DeadLetter
	result string
	ok     bool
}

func (r *deadLetterReplay) queueOf(topic, sub string) (queue, bool) {
	for _, q := range r.queues {
		if q.Topic == topic && q.Subscription == sub {
			return q, true
		}
	}
	return queue{}, false
}

// byIDs replays dead letters dead-letter-watch recorded, by record id.
func (r *deadLetterReplay) byIDs(ctx context.Context, ids []int64) (failed bool, err error) {
	s := r.app.Store()
	for _, id := range ids {
		rec, err := s.GetDeadLetter(ctx, id)
		if err != nil {
			fmt.Fprintf(r.out, "dead letter %d: %v\n", id, err)
			failed = true
			continue
		}
		q, ok := r.queueOf(rec.Topic, rec.Subscription)
		if !ok {
			fmt.Fprintf(r.out, "dead letter %d: %s/%s is not a subscription this build consumes\n", id, rec.Topic, rec.Subscription)
			failed = true
			continue
		}
		if rec.ReplayedAt != nil && !r.force {
			fmt.Fprintf(r.out, "dead letter %d (%s) was already replayed at %s: %s (use -force to replay it again)\n",
				id, rec.MessageID, rec.ReplayedAt.UTC().Format(time.RFC3339), rec.ReplayResult)
			continue
		}
		seq := rec.SequenceNumber
		res, err := r.replayQueue(ctx, q, func(d bus.DeadLetter) bool { return d.SequenceNumber == seq }, 1)
		if err != nil {
			return true, err
		}
		if len(res) == 0 {
			fmt.Fprintf(r.out, "dead letter %d (%s) is no longer in the dead-letter queue of %s/%s: it was resubmitted or purged\n",
				id, rec.MessageID, rec.Topic, rec.Subscription)
			failed = true
			continue
		}
		failed = r.print(res) || failed
	}
	return failed, nil
}

// byFilter replays the dead letters of every selected subscription that
// the filter matches, at most limit in all.
func (r *deadLetterReplay) byFilter(ctx context.Context, f deadLetterFilter) (failed bool, err error) {
	left, matched := r.limit, 0
	for _, q := range r.queues {
		if !f.matchQueue(q) || left <= 0 {
			continue
		}
		res, err := r.replayQueue(ctx, q, f.match, left)
		if err != nil {
			return true, err
		}
		left -= len(res)
		matched += len(res)
		failed = r.print(res) || failed
	}
	if matched == 0 {
		fmt.Fprintln(r.out, "no dead-lettered message matches")
	}
	return failed, nil
}

// replayQueue replays (or, in a dry run, lists) up to max dead letters of
// q that match; one already replayed is skipped unless forced.
func (r *deadLetterReplay) replayQueue(ctx context.Context, q queue, match func(bus.DeadLetter) bool, max int) ([]replayed, error) {
	s := r.app.Store()
	skip := func(d bus.DeadLetter) (*store.DeadLetterRecord, bool) {
		rec, err := s.FindDeadLetter(ctx, d.Topic, d.Subscription, d.SequenceNumber)
		if err != nil {
			return nil, false
		}
		return rec, rec.ReplayedAt != nil && !r.force
	}
	var out []replayed
	if r.dryRun {
		msgs, err := r.broker.PeekDeadLetters(ctx, q.Topic, q.Subscription, 1000)
		if err != nil {
			return nil, err
		}
		for _, d := range msgs {
			if len(out) >= max || !match(d) {
				continue
			}
			rec, skipped := skip(d)
			res := "would be replayed through " + q.Function
			if skipped {
				res = "already replayed at " + rec.ReplayedAt.UTC().Format(time.RFC3339) + " (a run with -force replays it again)"
			}
			out = append(out, replayed{rec: rec, dl: d, result: res, ok: true})
		}
		return out, nil
	}
	var skipped []replayed
	sel := bus.Selection{Max: max, Match: func(d bus.DeadLetter) bool {
		if !match(d) {
			return false
		}
		if rec, ok := skip(d); ok {
			skipped = append(skipped, replayed{rec: rec, dl: d, ok: true,
				result: "already replayed at " + rec.ReplayedAt.UTC().Format(time.RFC3339) + "; left in the queue (use -force to replay it again)"})
			return false
		}
		return true
	}}
	results := map[int64]*replayed{}
	res, err := r.broker.ResubmitDeadLetters(ctx, q.Topic, q.Subscription, sel, func(ctx context.Context, d bus.DeadLetter) error {
		rp := &replayed{dl: d}
		results[d.SequenceNumber] = rp
		// Record it first (its body archived), if dead-letter-watch has not.
		rec, _, err := r.recorder.Record(ctx, d)
		if err != nil {
			rp.result = "not replayed: " + err.Error()
			return err
		}
		rp.rec = rec
		result, err := redrive(ctx, r.srv, r.app.Store(), q.Function, d)
		rp.result = result
		if err != nil {
			return err
		}
		if merr := s.MarkDeadLetterReplayed(ctx, rec.ID, result); merr != nil {
			return merr
		}
		rp.ok = true
		return nil
	})
	for _, x := range res {
		rp := results[x.DeadLetter.SequenceNumber]
		if rp == nil {
			continue
		}
		if x.Err != nil && rp.ok {
			rp.result += " (" + x.Err.Error() + ")"
		}
		out = append(out, *rp)
	}
	out = append(out, skipped...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].dl.SequenceNumber < out[j].dl.SequenceNumber })
	return out, err
}

// print writes one line per message and reports whether any failed.
func (r *deadLetterReplay) print(rs []replayed) (failed bool) {
	for _, x := range rs {
		id := "dead letter (not recorded yet)"
		if x.rec != nil {
			id = fmt.Sprintf("dead letter %d", x.rec.ID)
		}
		fmt.Fprintf(r.out, "%s  %s  %s  correlation %s  %s: %s\n", id, x.dl.Ref(), x.dl.MessageID, x.dl.CorrelationID, x.dl.Reason, x.result)
		failed = failed || !x.ok
	}
	return failed
}

// redrive runs one dead-lettered message through its function in this
// process, as the host would deliver it: the same MessageId (so the
// consumer's claim makes a second run a duplicate), body and properties.
// A message the function parks is handled (it is kept in PostgreSQL and
// people are alerted), so it leaves the dead-letter queue; a transient
// failure leaves it there.
func redrive(ctx context.Context, srv *azfunc.Server, s *store.Store, function string, d bus.DeadLetter) (string, error) {
	var reg *azfunc.Registration
	for _, r := range srv.Registrations() {
		if r.Name == function {
			reg = &r
		}
	}
	if reg == nil || reg.Kind != azfunc.KindServiceBus {
		return "", fmt.Errorf("%s is not a Service Bus function of this build", function)
	}
	var data json.RawMessage
	if reg.Binary {
		data, _ = json.Marshal(base64.StdEncoding.EncodeToString(d.Body))
	} else {
		data, _ = json.Marshal(string(d.Body))
	}
	props := d.Properties
	if props == nil {
		props = map[string]any{}
	}
	meta := map[string]any{
		"MessageId": d.MessageID, "DeliveryCount": d.DeliveryCount, "SequenceNumber": d.SequenceNumber,
		"EnqueuedTimeUtc": d.EnqueuedAt.UTC().Format(time.RFC3339Nano), "ApplicationProperties": props, "UserProperties": props,
		"sys": map[string]any{"MethodName": function, "UtcNow": time.Now().UTC().Format(time.RFC3339Nano), "RandGuid": bus.NewSpanID()},
	}
	for k, v := range map[string]string{"CorrelationId": d.CorrelationID, "Subject": d.Subject, "Label": d.Subject, "ContentType": d.ContentType} {
		if v != "" {
			meta[k] = v
		}
	}
	body, err := json.Marshal(map[string]any{"Data": map[string]json.RawMessage{reg.Binding: data}, "Metadata": meta})
	if err != nil {
		return "", err
	}
	before, err := s.FindParked(ctx, function, d.MessageID)
	if err != nil {
		return "", err
	}
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/"+function, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Azure-Functions-InvocationId", fmt.Sprintf("replay-dl-%d-%d", d.SequenceNumber, time.Now().UnixNano()))
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return fmt.Sprintf("failed again (transient, %d): it stays in the dead-letter queue; see the log line above", rec.Code),
			fmt.Errorf("%s answered %d", function, rec.Code)
	}
	after, err := s.FindParked(ctx, function, d.MessageID)
	if err != nil {
		return "", err
	}
	if after != nil && (before == nil || after.TimesSeen > before.TimesSeen || after.LastSeen.After(before.LastSeen)) {
		return fmt.Sprintf("replayed through %s: failed permanently and is parked as #%d (%s); people are alerted", function, after.ID, after.Reason), nil
	}
	return "replayed through " + function + ": succeeded", nil
}
