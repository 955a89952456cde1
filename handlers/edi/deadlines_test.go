package edi

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/popsockets/integration/shared/x12"
)

func TestDeadlines(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { v := now.Add(d); return &v }
	warn := func(string) time.Duration { return 15 * time.Minute }
	for _, tc := range []struct {
		name string
		doc  Document
		want string
	}{
		{"ASNDueInAnHourIsQuiet", Document{Status: StatusQueued, DocType: "856", DueAt: at(time.Hour)}, ""},
		{"ASNDueInTenMinutesIsWarnedBeforeItIsLate", Document{Status: StatusQueued, DocType: "856", DueAt: at(10 * time.Minute)}, ActWarn},
		{"AWarningIsGivenOnce", Document{Status: StatusQueued, DocType: "856", DueAt: at(10 * time.Minute), WarnedAt: at(-time.Minute)}, ""},
		{"ASNPastDueIsLate", Document{Status: StatusQueued, DocType: "856", DueAt: at(-time.Minute), WarnedAt: at(-20 * time.Minute)}, ActLate},
		{"SentASNHasNoSendDeadline", Document{Status: StatusSent, DocType: "856", DueAt: at(-time.Hour)}, ""},
		{"AckDueSoonIsWarned", Document{Status: StatusSent, DocType: "856", AckDueAt: at(5 * time.Minute)}, ActWarn},
		{"AckOverdueIsLate", Document{Status: StatusSent, DocType: "856", AckDueAt: at(-time.Second)}, ActLate},
		{"AcceptedIsDone", Document{Status: StatusAccepted, DocType: "856", AckDueAt: at(-time.Hour), AckedAt: at(-2 * time.Hour)}, ""},
		{"RejectedIsAlertedOnce", Document{Status: StatusRejected, DocType: "856"}, ActRejected},
		{"AlertedIsNotAlertedAgain", Document{Status: StatusOverdue, DocType: "856", AckDueAt: at(-time.Hour), AlertedAt: at(-time.Minute)}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.doc
			acts := Deadlines(now, []*Document{&d}, warn)
			got := ""
			if len(acts) == 1 {
				got = acts[0].Action
			}
			require.Equal(t, tc.want, got)
		})
	}
}

func TestDeadlineEngineAndReconciliation(t *testing.T) {
	t.Parallel()
	t.Run("A997AcceptsWhatWeSentAndOverdueRaisesOneAlert", func(t *testing.T) {
		t.Parallel()
		b := newBench(t)
		pt, _ := b.partners.ByID("529")
		pt.ASNFormat = "x12"
		require.NoError(t, b.shipmentDocsFn(Via945SFTP).Handle(context.Background(), b.shippedOrder(t, "6736452611", walmartShipment("SO001000"))))
		d := b.deadlinesFn()
		var doc *Document
		docs, err := queryDocuments(context.Background(), b.store.Pool, `doc_type = '856'`)
		require.NoError(t, err)
		doc = docs[0]
		require.Equal(t, StatusSent, doc.Status)
		require.NotNil(t, doc.AckDueAt, "an X12 856 awaits its 997")
		// 23h50 later: warned, not late.
		b.now = b.now.Add(23*time.Hour + 50*time.Minute)
		require.NoError(t, d.Handle(context.Background(), nil))
		require.Len(t, b.rec.alerts, 1)
		require.Contains(t, b.rec.alerts[0].Title, "997 for PO 6736452611 due in")
		// A day later: overdue, one alert, however often the timer runs.
		b.now = b.now.Add(time.Hour)
		require.NoError(t, d.Handle(context.Background(), nil))
		require.NoError(t, d.Handle(context.Background(), nil))
		require.Len(t, b.rec.alerts, 2)
		require.Contains(t, b.rec.alerts[1].Title, "is late")
		require.Equal(t, 1, b.count(`SELECT count(*) FROM edi_documents WHERE doc_type = '856' AND status = 'overdue'`))
		// The 997 arrives late after all, in SPS's out.
		require.NoError(t, b.sps.WriteFile("out/FA1.edi", ackFor(t, doc, "A")))
		b.poll(b.spsPoller())
		require.Equal(t, 1, b.count(`SELECT count(*) FROM edi_documents WHERE doc_type = '856' AND status = 'accepted' AND acked_at IS NOT NULL`))
	})
	t.Run("ARejecting997RaisesOneAlert", func(t *testing.T) {
		t.Parallel()
		b := newBench(t)
		pt, _ := b.partners.ByID("529")
		pt.ASNFormat = "x12"
		require.NoError(t, b.shipmentDocsFn(Via945SFTP).Handle(context.Background(), b.shippedOrder(t, "6736452611", walmartShipment("SO001000"))))
		docs, err := queryDocuments(context.Background(), b.store.Pool, `doc_type = '856'`)
		require.NoError(t, err)
		require.NoError(t, b.sps.WriteFile("out/FA2.edi", ackFor(t, docs[0], "R")))
		b.poll(b.spsPoller())
		require.Equal(t, 1, b.count(`SELECT count(*) FROM edi_documents WHERE doc_type = '856' AND status = 'rejected'`))
		d := b.deadlinesFn()
		require.NoError(t, d.Handle(context.Background(), nil))
		require.NoError(t, d.Handle(context.Background(), nil))
		require.Len(t, b.rec.alerts, 1)
		require.Contains(t, b.rec.alerts[0].Title, "was rejected")
		require.Empty(t, b.sps.Files("in")[1:], "a 997 is never acknowledged")
	})
	t.Run("AnAlertThatCannotBeSentIsRetried", func(t *testing.T) {
		t.Parallel()
		b := newBench(t)
		require.NoError(t, b.shipmentDocsFn(Via945SFTP).Handle(context.Background(), b.shippedOrder(t, "6736452611", walmartShipment("SO001000"))))
		_, err := b.store.Pool.Exec(context.Background(), `UPDATE edi_documents SET status = 'queued', due_at = $1 WHERE doc_type = '856'`,
			b.now.Add(-time.Hour)) // the engine's clock, not the database's: it decides what is late
		require.NoError(t, err)
		b.sps.Down(true)
		b.rec.failPost = true
		d := b.deadlinesFn()
		require.Error(t, d.Handle(context.Background(), nil))
		b.rec.failPost = false
		require.NoError(t, d.Handle(context.Background(), nil))
		require.Len(t, b.rec.alerts, 1)
		require.Contains(t, b.rec.alerts[0].Title, "856 send for PO 6736452611 is late")
	})
}

// ackFor is the partner's 997 for a document we sent.
func ackFor(t *testing.T, d *Document, status string) []byte {
	t.Helper()
	body := []x12.Seg{x12.NewSeg("AK1", d.FunctionalID, d.GroupControl)}
	for _, c := range d.SetControls {
		body = append(body, x12.NewSeg("AK2", d.DocType, c), x12.NewSeg("AK5", status))
	}
	body = append(body, x12.NewSeg("AK9", status, "1", "1", map[bool]string{true: "0", false: "1"}[status == "R"]))
	var buf bytes.Buffer
	_, err := x12.Envelope{SenderQualifier: "ZZ", SenderID: d.ISAReceiver, ReceiverQualifier: "ZZ", ReceiverID: d.ISASender,
		Time: time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)}.Encode(context.Background(), &buf, &x12.Sequence{Start: 900 + int64(len(status))},
		x12.OutGroup{FunctionalID: "FA", Sets: []x12.OutSet{{ID: "997", Body: body}}})
	require.NoError(t, err)
	return []byte(strings.TrimSpace(buf.String()))
}
