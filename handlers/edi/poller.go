package edi

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/popsockets/integration/shared/audit"
	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/blob"
	"github.com/popsockets/integration/shared/bus"
	"github.com/popsockets/integration/shared/sftpbox"
	"github.com/popsockets/integration/shared/store"
	"github.com/popsockets/integration/shared/teams"
)

// Box is an SFTP server the flow exchanges files with.
type Box interface {
	Open(ctx context.Context) (*sftpbox.Session, error)
}

var _ Box = (*sftpbox.Client)(nil)

// Notifier hands committed outbox rows to the background publisher.
type Notifier interface {
	Notify(id int64, m bus.Message)
}

// Alerter posts an alert to people (Teams).
type Alerter interface {
	Post(ctx context.Context, a teams.Alert) error
	Environment() string
}

// Parker keeps an input the flow will not act on, and has people told.
type Parker interface {
	Park(ctx context.Context, p azfunc.Parked) (azfunc.ParkResult, error)
}

// ArchiveContainer holds every file received, as received.
const ArchiveContainer = "edi-archive"

// pollLease bounds one poll; one instance polls a box at a time.
const pollLease = 10 * time.Minute

// decided is what processing a file decided, to record in one transaction
// with the file's own row.
type decided struct {
	doc   *Document
	park  string // non-empty: park the file with this reason (and alert)
	apply func(ctx context.Context, tx pgx.Tx, docID int64) ([]queued, error)
}

type queued struct {
	id  int64
	msg bus.Message
}

// poller takes files from one SFTP folder with the claim discipline: only
// files unchanged across two looks, downloaded whole, archived with their
// SHA-256, recorded (with what they cause) in one transaction, and deleted
// on the server only after that commit. A file seen again (same hash) is
// deleted without being processed again.
type poller struct {
	box      string // sps, nav
	client   Box
	dir      string
	prefixes []string
	settle   time.Duration
	store    *store.Store
	blobs    blob.Store
	outbox   Notifier
	alerts   Alerter
	parker   Parker
	sender   *sender
	now      func() time.Time
	// decide parses a file and says what it causes.
	decide func(ctx context.Context, name string, data []byte) (*decided, error)
}

// pollResult counts what one run did.
type pollResult struct {
	Listed, Taken, Duplicates, Parked, Sent int
}

func (p *poller) run(ctx context.Context, invocation string) (pollResult, error) {
	var res pollResult
	lease := "edi-poll-" + p.box
	ok, err := p.store.AcquireLease(ctx, lease, invocation, pollLease)
	if err != nil {
		return res, err
	}
	if !ok {
		azfunc.Note(ctx, "event", "another instance is polling", "box", p.box)
		return res, nil
	}
	defer func() { _ = p.store.ReleaseLease(context.WithoutCancel(ctx), lease, invocation) }()
	sess, err := p.client.Open(ctx)
	if err != nil {
		p.connectionAlert(ctx, err)
		return res, fmt.Errorf("polling %s: %w", p.box, err)
	}
	defer sess.Close()
	if n, err := p.sender.flush(ctx, sess, p.box); err != nil {
		azfunc.Logger(ctx).Warn("sending queued documents failed; the next run retries", "box", p.box, "error", err)
	} else {
		res.Sent += n
	}
	ready, listed, err := p.look(ctx, sess)
	if err != nil {
		return res, err
	}
	res.Listed = listed
	var errs []error
	for _, f := range ready {
		outcome, err := p.take(ctx, sess, f)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.Path, err))
			continue
		}
		switch outcome {
		case "duplicate":
			res.Duplicates++
		case "parked":
			res.Parked++
			res.Taken++
		default:
			res.Taken++
		}
	}
	if n, err := p.sender.flush(ctx, sess, p.box); err != nil {
		azfunc.Logger(ctx).Warn("sending queued documents failed; the next run retries", "box", p.box, "error", err)
	} else {
		res.Sent += n
	}
	return res, errors.Join(errs...)
}

// look lists the folder, compares with the previous look (kept in the
// database), looks a second time after the settle pause for files seen for
// the first time, and keeps the last look for the next run.
func (p *poller) look(ctx context.Context, sess *sftpbox.Session) ([]sftpbox.File, int, error) {
	list := func() ([]sftpbox.File, error) {
		var all []sftpbox.File
		for _, pre := range p.prefixes {
			fs, err := sess.List(ctx, p.dir, pre)
			if err != nil {
				return nil, err
			}
			all = append(all, fs...)
		}
		return all, nil
	}
	prev, err := p.previousLook(ctx)
	if err != nil {
		return nil, 0, err
	}
	first, err := list()
	if err != nil {
		return nil, 0, err
	}
	ready := sftpbox.Stable(prev, first)
	last := first
	if len(ready) < len(first) {
		if p.settle > 0 {
			t := time.NewTimer(p.settle)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, 0, ctx.Err()
			case <-t.C:
			}
		}
		second, err := list()
		if err != nil {
			return nil, 0, err
		}
		taken := map[string]bool{}
		for _, f := range ready {
			taken[f.Path] = true
		}
		for _, f := range sftpbox.Stable(sftpbox.Looks(first), second) {
			if !taken[f.Path] {
				ready = append(ready, f)
			}
		}
		last = second
	}
	if err := p.keepLook(ctx, last); err != nil {
		return nil, 0, err
	}
	return ready, len(last), nil
}

func (p *poller) previousLook(ctx context.Context) (map[string]sftpbox.Look, error) {
	rows, err := p.store.Pool.Query(ctx, `SELECT path, size, mod_time FROM sftp_looks WHERE box = $1`, p.box)
	if err != nil {
		return nil, fmt.Errorf("reading the previous look at %s: %w", p.box, err)
	}
	defer rows.Close()
	out := map[string]sftpbox.Look{}
	for rows.Next() {
		var path string
		var l sftpbox.Look
		if err := rows.Scan(&path, &l.Size, &l.ModTime); err != nil {
			return nil, err
		}
		out[path] = l
	}
	return out, rows.Err()
}

func (p *poller) keepLook(ctx context.Context, files []sftpbox.File) error {
	paths, sizes, times := make([]string, len(files)), make([]int64, len(files)), make([]time.Time, len(files))
	for i, f := range files {
		paths[i], sizes[i], times[i] = f.Path, f.Size, f.ModTime
	}
	return p.store.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM sftp_looks WHERE box = $1 AND path <> ALL($2)`, p.box, paths); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `
			INSERT INTO sftp_looks (box, path, size, mod_time)
			SELECT $1, * FROM unnest($2::text[], $3::bigint[], $4::timestamptz[])
			ON CONFLICT (box, path) DO UPDATE SET size = excluded.size, mod_time = excluded.mod_time, seen_at = now()`,
			p.box, paths, sizes, times)
		return err
	})
}

// take processes one stable file.
func (p *poller) take(ctx context.Context, sess *sftpbox.Session, f sftpbox.File) (string, error) {
	data, err := sess.Download(ctx, f)
	if err != nil {
		return "", err
	}
	hash := sha(data)
	if prior, err := inboundByHash(ctx, p.store.Pool, p.box, hash); err != nil {
		return "", err
	} else if prior != nil {
		// Processed before (a run that crashed before deleting, or the
		// partner sent it again): it is never processed twice.
		azfunc.Logger(ctx).Info("file already received; deleting it", "box", p.box, "file", f.Name, "document_id", prior.ID)
		return "duplicate", p.remove(ctx, sess, f)
	}
	d, err := p.decide(ctx, f.Name, data)
	if err != nil {
		return "", err
	}
	d.doc.Direction, d.doc.Box, d.doc.FileName, d.doc.RemoteDir = "in", p.box, f.Name, p.dir
	d.doc.SHA256, d.doc.Size = hash, int64(len(data))
	if d.doc.Partner == "" {
		d.doc.Partner = "unknown"
	}
	// Archive first: the record says where, and nothing is deleted on the
	// server unless both committed.
	// The name holds the content's hash: a partner that sends another file
	// under a name it used before the same day gets its own blob, and an
	// existing blob of that name is this very file, archived by a run
	// that stopped before recording it.
	name := fmt.Sprintf("inbound/%s/%s/%s-%s", d.doc.Partner, p.now().UTC().Format("2006-01-02"), hash[:12], safeName(f.Name))
	if _, err := p.blobs.Put(ctx, ArchiveContainer, name, data, &blob.PutOptions{IfNotExists: true,
		Metadata: map[string]string{"sha256": hash, "box": p.box}}); err != nil && !errors.Is(err, blob.ErrExists) {
		return "", fmt.Errorf("archiving %s: %w", f.Name, err)
	}
	d.doc.ArchivePath = ArchiveContainer + "/" + name
	audit.Archived(ctx, d.doc.ArchivePath) // the audit trail names the file; it never copies it
	if d.park != "" {
		if d.doc.Status == StatusReceived {
			d.doc.Status = StatusParked
		}
		d.doc.Reason = d.park
	}
	var notify []queued
	created := false
	err = p.store.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		notify = nil
		if created, err = insertDocument(ctx, tx, d.doc); err != nil || !created {
			return err
		}
		if d.apply != nil {
			q, err := d.apply(ctx, tx, d.doc.ID)
			if err != nil {
				return err
			}
			notify = q
		}
		if d.park != "" && d.doc.Status == StatusReceived {
			// What the file held could not all be acted on (apply said why).
			_, err := tx.Exec(ctx, `UPDATE edi_documents SET status = 'parked', reason = $2, updated_at = now() WHERE id = $1`,
				d.doc.ID, store.Text(d.park, 4000))
			return err
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	if !created {
		return "duplicate", p.remove(ctx, sess, f)
	}
	for _, q := range notify {
		p.outbox.Notify(q.id, q.msg)
	}
	outcome := "taken"
	if d.park != "" {
		outcome = "parked"
		if _, err := p.parker.Park(ctx, azfunc.Parked{
			Function: azfunc.Info(ctx).Function, Trigger: "timer", Binding: p.box, MessageID: p.box + "/" + f.Name + "/" + hash[:16],
			CorrelationID: d.doc.PONumber, InvocationID: azfunc.Info(ctx).ID, DeliveryCount: 1, Payload: data,
			Reason: fmt.Sprintf("%s file %s (document %d, archived at %s): %s", p.box, f.Name, d.doc.ID, d.doc.ArchivePath, d.park),
		}); err != nil {
			azfunc.Logger(ctx).Error("parking a bad file failed; it is archived and recorded", "file", f.Name, "error", err)
		}
	}
	azfunc.Logger(ctx).Info("file received", "box", p.box, "file", f.Name, "document_id", d.doc.ID, "doc_type", d.doc.DocType,
		"partner", d.doc.Partner, "outcome", outcome)
	return outcome, p.remove(ctx, sess, f)
}

// remove deletes a file once it is recorded; a refusal is logged and the
// next run, finding the hash recorded, tries again.
func (p *poller) remove(ctx context.Context, sess *sftpbox.Session, f sftpbox.File) error {
	if err := sess.Remove(ctx, f.Path); err != nil {
		azfunc.Logger(ctx).Warn("deleting a recorded file failed; the next run deletes it", "box", p.box, "file", f.Name, "error", err)
	}
	return nil
}

func (p *poller) connectionAlert(ctx context.Context, err error) {
	if !errors.Is(err, sftpbox.ErrHostKeyMismatch) && !errors.Is(err, sftpbox.ErrAuth) {
		return
	}
	what := "host key mismatch"
	if errors.Is(err, sftpbox.ErrAuth) {
		what = "login refused"
	}
	azfunc.Logger(ctx).Error("sftp connection refused", "outcome", "needs_attention", "box", p.box, "reason", what, "error", err)
	if aerr := p.alerts.Post(ctx, teams.Alert{
		Title:    fmt.Sprintf("[%s] %s SFTP: %s", p.alerts.Environment(), strings.ToUpper(p.box), what),
		Text:     "The poll refused the connection and took nothing. Check the server's key with its owner before changing the pinned known_hosts line.",
		Severity: teams.SeverityError,
		Facts:    []teams.Fact{{Name: "Box", Value: p.box}, {Name: "Error", Value: err.Error()}},
	}); aerr != nil {
		azfunc.Logger(ctx).Warn("alerting failed", "error", aerr)
	}
}

// safeName keeps a remote file name usable as a blob name segment.
func safeName(n string) string {
	n = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '/' || r == '\\' {
			return '_'
		}
		return r
	}, n)
	n = strings.TrimRight(n, ". ")
	if n == "" {
		n = "_"
	}
	return n
}
