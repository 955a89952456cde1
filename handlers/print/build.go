package print

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/popsockets/integration/shared/azfunc"
	"github.com/popsockets/integration/shared/fault"
	"github.com/popsockets/integration/shared/imagevalidator"
	"github.com/popsockets/integration/shared/kit"
	"github.com/popsockets/integration/shared/printstation"
	"github.com/popsockets/integration/shared/store"
)

// Validator classifies print images.
type Validator interface {
	Classify(ctx context.Context, images []imagevalidator.Image) ([]imagevalidator.Verdict, error)
}

// PrintStation takes batches.
type PrintStation interface {
	SubmitBatch(ctx context.Context, b printstation.Batch, idempotencyKey string) (printstation.Submitted, error)
}

// Parker keeps what this flow will not act on until a person has looked,
// and alerts them.
type Parker interface {
	Park(ctx context.Context, p azfunc.Parked) (azfunc.ParkResult, error)
}

var (
	_ Validator    = (*imagevalidator.Client)(nil)
	_ PrintStation = (*printstation.Client)(nil)
	_ Parker       = (*kit.Parking)(nil)
)

// Leases.
const (
	// validateLease bounds how long a builder holds items while their
	// images are checked; a builder that dies leaves them to the next.
	validateLease = 2 * time.Minute
	// claimLease bounds a PrintStation call before another builder may
	// take the batch over (the client times out well before).
	claimLease = time.Minute
)

// Builder is the print-batch-build function. Each run (1) checks the
// images of queued lines, (2) forms batches per print site and category by
// the rules, (3) sends every formed batch to PrintStation. Any number of
// builders may run at once: lines are taken for a check and for a batch
// with FOR UPDATE SKIP LOCKED and a status change in the same transaction,
// and a line's batch is one column, so no line is in two batches; a batch
// is sent under a claim, with its batch id as the Idempotency-Key, so it
// is created once at PrintStation whatever fails. The validator or
// PrintStation being down delays lines and batches (the run fails, the
// next one tries again); it never drops them.
type Builder struct {
	Store        *store.Store
	Rules        *Rules
	Validator    Validator
	PrintStation PrintStation
	Parker       Parker
	Now          func() time.Time
	// Chunk is how many lines one validation round takes (default 64);
	// Parallel how many classification requests run at once (default 4).
	Chunk, Parallel int
}

// RunStats is what one run did.
type RunStats struct {
	Validated, Rejected, Formed, Sent, Refused, SentItems int
}

// Run implements the timer.
func (b *Builder) Run(ctx context.Context, _ *azfunc.Timer) error {
	st, err := b.Build(ctx)
	azfunc.Note(ctx, "event", "print batches built", "validated", st.Validated, "rejected", st.Rejected,
		"batches_formed", st.Formed, "batches_sent", st.Sent, "items_sent", st.SentItems, "batches_refused", st.Refused)
	return err
}

// Build runs the three steps once; an outage of one partner stops only
// its own step.
func (b *Builder) Build(ctx context.Context) (RunStats, error) {
	holder := azfunc.Info(ctx).ID
	if holder == "" {
		buf := make([]byte, 8)
		_, _ = rand.Read(buf)
		holder = "builder-" + hex.EncodeToString(buf)
	}
	var st RunStats
	errV := b.validate(ctx, holder, &st)
	errF := b.form(ctx, &st)
	errS := b.send(ctx, holder, &st)
	return st, errors.Join(errV, errF, errS)
}

// Reasons written to the journey while lines wait on a partner. They are
// fixed texts, so a line's journey gets them once, not every run.
const (
	reasonValidatorDown = "waiting: the image validator is unavailable; the lines are checked and batched once it answers (nothing is dropped)"
	reasonPrintStation  = "waiting: PrintStation has not accepted batch %s yet; it is sent again, with the same idempotency key, on every run (nothing is dropped)"
)

type checkItem struct {
	id                          int64
	orderID, line, url, imgType string
	parkings                    int
}

// validate checks the images of queued lines until none is left, in
// rounds: claim a round (one statement), classify it outside any
// transaction, record the verdicts (one short transaction).
func (b *Builder) validate(ctx context.Context, holder string, st *RunStats) error {
	chunk, parallel := b.Chunk, b.Parallel
	if chunk <= 0 {
		chunk = 64
	}
	if parallel <= 0 {
		parallel = 4
	}
	for ctx.Err() == nil {
		items, err := b.claimForCheck(ctx, holder, chunk)
		if err != nil {
			return err
		}
		if len(items) == 0 {
			return nil
		}
		verdicts, failed, cause := b.classify(ctx, items, parallel)
		if err := b.recordVerdicts(ctx, holder, items, verdicts, st); err != nil {
			return err
		}
		if len(failed) > 0 {
			if err := b.release(ctx, holder, failed, ctx.Err() == nil); err != nil {
				return errors.Join(cause, err)
			}
			return fmt.Errorf("checking print images: %w", cause)
		}
	}
	return ctx.Err()
}

func (b *Builder) claimForCheck(ctx context.Context, holder string, limit int) ([]checkItem, error) {
	rows, err := b.Store.Pool.Query(ctx, `
		UPDATE print_items SET status = 'validating', lease_until = now() + make_interval(secs => $2), lease_holder = $1, updated_at = now()
		 WHERE id IN (SELECT id FROM print_items
		               WHERE status = 'queued' OR (status = 'validating' AND lease_until < now())
		               ORDER BY due_date, id LIMIT $3 FOR UPDATE SKIP LOCKED)
		RETURNING id, order_id, line_number, image_url, image_type, parkings`, holder, validateLease.Seconds(), limit)
	if err != nil {
		return nil, store.Classify(fmt.Errorf("taking print lines to check: %w", err))
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (checkItem, error) {
		var c checkItem
		err := r.Scan(&c.id, &c.orderID, &c.line, &c.url, &c.imgType, &c.parkings)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("taking print lines to check: %w", err)
	}
	return items, nil
}

// classify asks for verdicts, parallel requests of at most
// MaxImagesPerRequest. It returns the verdicts by item id, the items whose
// request failed, and the first failure.
func (b *Builder) classify(ctx context.Context, items []checkItem, parallel int) (map[int64]imagevalidator.Verdict, []checkItem, error) {
	var chunks [][]checkItem
	for i := 0; i < len(items); i += imagevalidator.MaxImagesPerRequest {
		chunks = append(chunks, items[i:min(i+imagevalidator.MaxImagesPerRequest, len(items))])
	}
	var (
		mu       sync.Mutex
		verdicts = map[int64]imagevalidator.Verdict{}
		failed   []checkItem
		cause    error
		wg       sync.WaitGroup
		sem      = make(chan struct{}, parallel)
	)
	for _, c := range chunks {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ims := make([]imagevalidator.Image, len(c))
			for i, it := range c {
				ims[i] = imagevalidator.Image{ID: strconv.FormatInt(it.id, 10), URL: it.url, ImageType: it.imgType}
			}
			vs, err := b.Validator.Classify(ctx, ims)
			if err != nil && refusedOutright(err) && len(c) > 1 {
				// The validator refuses the request itself (a 4xx): one
				// image in it may be the cause, so each is asked alone and
				// the others are not held back by it.
				vs, err = b.classifyEach(ctx, ims), nil
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil && refusedOutright(err) {
				// Refused for this one image: it is rejected, with why.
				vs, err = []imagevalidator.Verdict{refusedVerdict(ims[0], err)}, nil
			}
			if err != nil {
				failed = append(failed, c...)
				if cause == nil {
					cause = err
				}
				return
			}
			for i, v := range vs {
				if v.ID == "" { // asked alone and the validator was down: the next run asks again
					failed = append(failed, c[i])
					if cause == nil {
						cause = errors.New(v.Reason)
					}
					continue
				}
				verdicts[c[i].id] = v
			}
		}()
	}
	wg.Wait()
	return verdicts, failed, cause
}

// classifyEach asks for each image alone, after the validator refused a
// request of several: an image it refuses alone is rejected with the
// refusal; one it could not answer for (down, throttled) has an empty ID
// and its failure as the reason.
func (b *Builder) classifyEach(ctx context.Context, ims []imagevalidator.Image) []imagevalidator.Verdict {
	out := make([]imagevalidator.Verdict, len(ims))
	for i, im := range ims {
		vs, err := b.Validator.Classify(ctx, []imagevalidator.Image{im})
		switch {
		case err == nil && len(vs) == 1:
			out[i] = vs[0]
		case err != nil && refusedOutright(err):
			out[i] = refusedVerdict(im, err)
		case err != nil:
			out[i] = imagevalidator.Verdict{Reason: err.Error()}
		default:
			out[i] = imagevalidator.Verdict{Reason: fmt.Sprintf("the image validator answered %d verdicts for one image", len(vs))}
		}
	}
	return out
}

// refusedOutright reports whether the validator refused a request for
// what it holds (a 4xx: permanent or malformed), not for being down,
// throttled or refusing our token (transient: the next run asks again).
func refusedOutright(err error) bool {
	c := fault.ClassOf(err)
	return c == fault.ClassPermanent || c == fault.ClassMalformed
}

// refusedVerdict rejects an image the validator refused to classify.
func refusedVerdict(im imagevalidator.Image, err error) imagevalidator.Verdict {
	return imagevalidator.Verdict{ID: im.ID, Classification: "refused", Reason: "the image validator refused to check it: " + err.Error()}
}

// recordVerdicts marks approved lines validated and parks rejected ones
// (parked first, so the alert exists before the line says so; parking
// the same line again only updates its row).
func (b *Builder) recordVerdicts(ctx context.Context, holder string, items []checkItem, verdicts map[int64]imagevalidator.Verdict, st *RunStats) error {
	var approved []int64
	type rejected struct {
		item   checkItem
		reason string
		parked int64
	}
	var rejects []rejected
	for _, it := range items {
		v, ok := verdicts[it.id]
		switch {
		case !ok:
		case v.Approved:
			approved = append(approved, it.id)
		default:
			rejects = append(rejects, rejected{item: it, reason: v.Reason})
		}
	}
	for i := range rejects {
		r := &rejects[i]
		res, err := b.parkLine(ctx, r.item.orderID, fmt.Sprintf("%s/line-%s/image-rejected-%d", r.item.orderID, r.item.line, r.item.parkings+1),
			fmt.Sprintf("order %s line %s: %s (image %s); replaying queues the line again for a new check", r.item.orderID, r.item.line, r.reason, azfunc.Clip(r.item.url, 200)))
		if err != nil {
			return err
		}
		r.parked = res.ID
	}
	fn := FnBuild
	return b.Store.InTx(ctx, func(tx pgx.Tx) error {
		if len(approved) > 0 {
			tag, err := tx.Exec(ctx, `
				UPDATE print_items SET status = 'validated', lease_until = NULL, lease_holder = '', updated_at = now()
				 WHERE id = ANY($1) AND status = 'validating' AND lease_holder = $2`, approved, holder)
			if err != nil {
				return fmt.Errorf("recording approved print images: %w", err)
			}
			st.Validated += int(tag.RowsAffected())
		}
		for _, r := range rejects {
			tag, err := tx.Exec(ctx, `
				UPDATE print_items SET status = 'rejected', reason = $3, wait_reason = $3, parkings = parkings + 1,
				       lease_until = NULL, lease_holder = '', updated_at = now()
				 WHERE id = $1 AND status = 'validating' AND lease_holder = $2`, r.item.id, holder, store.Text(r.reason, 1000))
			if err != nil {
				return fmt.Errorf("recording a rejected print image: %w", err)
			}
			if tag.RowsAffected() == 0 {
				continue // another builder took it over after our lease ran out
			}
			st.Rejected++
			if err := store.RecordJourney(ctx, tx, store.JourneyStep{OrderID: r.item.orderID, State: StateImageRejected, System: SystemImageValidator,
				Function: fn, Detail: fmt.Sprintf("line %s: %s; the line is parked (#%d) and people are alerted: fix the image, then handler replay %d (or OMS sends the order again)",
					r.item.line, r.reason, r.parked, r.parked)}); err != nil {
				return err
			}
		}
		return nil
	})
}

// release gives lines back to the queue after the validator failed, and
// (when it was the validator, not the run's deadline) notes in their
// journeys why they wait.
func (b *Builder) release(ctx context.Context, holder string, items []checkItem, validatorFailed bool) error {
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = it.id
	}
	ctx = context.WithoutCancel(ctx)
	return b.Store.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `
			UPDATE print_items SET status = 'queued', lease_until = NULL, lease_holder = '', updated_at = now()
			 WHERE id = ANY($1) AND status = 'validating' AND lease_holder = $2`, ids, holder); err != nil {
			return fmt.Errorf("giving print lines back to the queue: %w", err)
		}
		if !validatorFailed {
			return nil
		}
		return waitSteps(ctx, tx, ids, reasonValidatorDown, SystemImageValidator)
	})
}

// parkLine parks an order line for a person: the order's kept message
// under print-order-intake, so that `handler replay` runs it through the
// intake again, which queues the parked line again.
func (b *Builder) parkLine(ctx context.Context, orderID, messageID, reason string) (azfunc.ParkResult, error) {
	var payload []byte
	var origID string
	if err := b.Store.Pool.QueryRow(ctx, `SELECT payload, message_id FROM print_orders WHERE order_id = $1`, orderID).Scan(&payload, &origID); err != nil {
		return azfunc.ParkResult{}, store.Classify(fmt.Errorf("reading the kept order %s to park a line: %w", orderID, err))
	}
	meta, _ := json.Marshal(map[string]string{
		"MessageId": strconv.Quote(messageID), "DeliveryCount": "1", "CorrelationId": strconv.Quote(orderID),
		"Subject": strconv.Quote("print.line.parked"), "ApplicationProperties": `{"parked_from":"` + FnBuild + `","original_message_id":` + strconv.Quote(origID) + `}`,
	})
	inv := azfunc.Info(ctx)
	res, err := b.Parker.Park(ctx, azfunc.Parked{
		Function: FnIntake, Trigger: azfunc.KindServiceBus, Binding: "msg", MessageID: messageID, CorrelationID: orderID,
		InvocationID: inv.ID, DeliveryCount: 1, Reason: reason, Payload: payload, Metadata: meta,
	})
	if err != nil {
		return res, fmt.Errorf("parking a print line of %s: %w", orderID, err)
	}
	return res, nil
}

// waitSteps records reason as the wait reason of the lines ids, and a
// journey step for each order whose lines had another reason before.
func waitSteps(ctx context.Context, tx pgx.Tx, ids []int64, reason, system string) error {
	rows, err := tx.Query(ctx, `
		UPDATE print_items SET wait_reason = $2 WHERE id = ANY($1) AND wait_reason <> $2 RETURNING order_id`, ids, reason)
	if err != nil {
		return fmt.Errorf("noting why print lines wait: %w", err)
	}
	orders, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("noting why print lines wait: %w", err)
	}
	fn := FnBuild
	var steps []store.JourneyStep
	seen := map[string]bool{}
	for _, o := range orders {
		if !seen[o] {
			seen[o] = true
			steps = append(steps, store.JourneyStep{OrderID: o, State: StatePrintWaiting, System: system, Function: fn, Detail: reason})
		}
	}
	return recordSteps(ctx, tx, steps)
}

// recordSteps appends journey steps in one statement (the columns
// store.RecordJourney writes).
func recordSteps(ctx context.Context, tx pgx.Tx, steps []store.JourneyStep) error {
	if len(steps) == 0 {
		return nil
	}
	n := len(steps)
	ids, states, systems, fns, msgs, details := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, s := range steps {
		ids[i], states[i], systems[i], fns[i], msgs[i], details[i] = s.OrderID, s.State, s.System, s.Function, s.MessageID, s.Detail
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO order_journey (order_id, state, system, function, message_id, detail)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])`,
		ids, states, systems, fns, msgs, details)
	if err != nil {
		return fmt.Errorf("recording %d journey steps: %w", n, err)
	}
	return nil
}

// errWait ends a forming transaction that made no batch.
var errWait = errors.New("no batch now")

// form makes batches of validated lines, per site and category, oldest
// due date first, as long as the rules say one leaves now.
func (b *Builder) form(ctx context.Context, st *RunStats) error {
	rows, err := b.Store.Pool.Query(ctx, `
		SELECT site, category FROM print_items WHERE status = 'validated'
		 GROUP BY site, category ORDER BY min(due_date), site, category`)
	if err != nil {
		return store.Classify(fmt.Errorf("listing print lines to batch: %w", err))
	}
	groups, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]string, error) {
		var g [2]string
		err := r.Scan(&g[0], &g[1])
		return g, err
	})
	if err != nil {
		return fmt.Errorf("listing print lines to batch: %w", err)
	}
	for _, g := range groups {
		for ctx.Err() == nil {
			plan, err := b.formOne(ctx, g[0], g[1])
			if errors.Is(err, errWait) {
				if err := b.noteWait(ctx, g[0], g[1], plan.Why); err != nil {
					return err
				}
				break
			}
			if err != nil {
				return err
			}
			st.Formed++
		}
	}
	return ctx.Err()
}

// formOne takes up to a batch of a group's lines (skipping lines another
// builder holds) and, if the rules send it now, makes them a batch.
func (b *Builder) formOne(ctx context.Context, site, category string) (Plan, error) {
	size := 1
	if s, ok := b.Rules.Sites[site]; ok {
		size = s.MaxItemsPerBatch
	}
	var plan Plan
	err := b.Store.InTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			SELECT id, queued_at FROM print_items WHERE status = 'validated' AND site = $1 AND category = $2
			 ORDER BY due_date, queued_at, id LIMIT $3 FOR UPDATE SKIP LOCKED`, site, category, size)
		if err != nil {
			return fmt.Errorf("taking print lines to batch: %w", err)
		}
		var ids []int64
		var oldest time.Time
		for rows.Next() {
			var id int64
			var q time.Time
			if err := rows.Scan(&id, &q); err != nil {
				rows.Close()
				return fmt.Errorf("taking print lines to batch: %w", err)
			}
			ids = append(ids, id)
			if oldest.IsZero() || q.Before(oldest) {
				oldest = q
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("taking print lines to batch: %w", err)
		}
		plan = b.Rules.Plan(Group{Site: site, Category: category, Count: len(ids), OldestQueued: oldest}, b.Now())
		if !plan.Send {
			return errWait
		}
		ids = ids[:min(plan.Size, len(ids))]
		var seq int64
		if err := tx.QueryRow(ctx, `SELECT nextval('print_batch_seq')`).Scan(&seq); err != nil {
			return fmt.Errorf("numbering a print batch: %w", err)
		}
		day := b.Now().UTC()
		if s, ok := b.Rules.Sites[site]; ok {
			day = day.In(s.loc)
		}
		batchID := fmt.Sprintf("PB-%s-%s-%06d", site, day.Format("20060102"), seq)
		if _, err := tx.Exec(ctx, `
			INSERT INTO print_batches (batch_id, site, category, status, item_count, reason) VALUES ($1, $2, $3, 'formed', $4, $5)`,
			batchID, site, category, len(ids), plan.Why); err != nil {
			return fmt.Errorf("recording print batch %s: %w", batchID, err)
		}
		if _, err := tx.Exec(ctx, `
			UPDATE print_items SET status = 'assigned', batch_id = $1, updated_at = now() WHERE id = ANY($2) AND status = 'validated'`,
			batchID, ids); err != nil {
			return fmt.Errorf("putting print lines in batch %s: %w", batchID, err)
		}
		return nil
	})
	return plan, err
}

// noteWait records why a group's validated lines wait, for those whose
// journey says otherwise (they waited on the validator, say).
func (b *Builder) noteWait(ctx context.Context, site, category, why string) error {
	rows, err := b.Store.Pool.Query(ctx, `
		SELECT id FROM print_items WHERE status = 'validated' AND site = $1 AND category = $2 AND wait_reason <> $3`, site, category, why)
	if err != nil {
		return store.Classify(fmt.Errorf("reading waiting print lines: %w", err))
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil || len(ids) == 0 {
		return err
	}
	return b.Store.InTx(ctx, func(tx pgx.Tx) error { return waitSteps(ctx, tx, ids, why, SystemIntegration) })
}

type formedBatch struct {
	id, site, category string
}

// send sends every formed batch: claim it (a builder holding it is
// skipped), call PrintStation outside any transaction with the batch id as
// Idempotency-Key, record. A transient failure stops sending for this run.
func (b *Builder) send(ctx context.Context, holder string, st *RunStats) error {
	rows, err := b.Store.Pool.Query(ctx, `
		SELECT batch_id, site, category FROM print_batches WHERE status = 'formed' ORDER BY formed_at, batch_id LIMIT 1000`)
	if err != nil {
		return store.Classify(fmt.Errorf("listing print batches to send: %w", err))
	}
	batches, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (formedBatch, error) {
		var f formedBatch
		err := r.Scan(&f.id, &f.site, &f.category)
		return f, err
	})
	if err != nil {
		return fmt.Errorf("listing print batches to send: %w", err)
	}
	for _, fb := range batches {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		claim, err := b.Store.Claim(ctx, FnBuild, "batch/"+fb.id, holder, claimLease)
		switch {
		case errors.Is(err, store.ErrInFlight) || fault.ClassOf(err) == fault.ClassDuplicate && err != nil:
			continue // another builder has it
		case err != nil:
			return err
		}
		if err := b.sendOne(ctx, claim, fb, st); err != nil {
			return err
		}
	}
	return nil
}

type sentItem struct {
	id    int64
	order string
	item  printstation.BatchItem
}

func (b *Builder) sendOne(ctx context.Context, claim *store.Claim, fb formedBatch, st *RunStats) error {
	rows, err := b.Store.Pool.Query(ctx, `
		SELECT id, order_id, line_number, product_sku, recipe_id, image_type, image_url, quantity, due_date
		  FROM print_items WHERE batch_id = $1 AND status = 'assigned' ORDER BY due_date, queued_at, id`, fb.id)
	if err != nil {
		return errors.Join(store.Classify(fmt.Errorf("reading print batch %s: %w", fb.id, err)), claim.Release(ctx, err))
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (sentItem, error) {
		var s sentItem
		var due time.Time
		var qty int32
		err := r.Scan(&s.id, &s.order, &s.item.LineNumber, &s.item.ProductSKU, &s.item.RecipeID, &s.item.ImageType, &s.item.ImageURL, &qty, &due)
		s.item.OrderID, s.item.Quantity, s.item.DueDate = s.order, int(qty), due.Format(time.DateOnly)
		return s, err
	})
	if err != nil {
		return errors.Join(fmt.Errorf("reading print batch %s: %w", fb.id, err), claim.Release(ctx, err))
	}
	batch := printstation.Batch{BatchID: fb.id, SiteID: fb.site, Category: fb.category}
	ids := make([]int64, len(items))
	for i, it := range items {
		batch.Items, ids[i] = append(batch.Items, it.item), it.id
		if batch.DueDate == "" || it.item.DueDate < batch.DueDate {
			batch.DueDate = it.item.DueDate
		}
	}
	if len(items) == 0 {
		return claim.Record(ctx, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE print_batches SET status = 'refused', reason = 'no items left in the batch' WHERE batch_id = $1 AND status = 'formed'`, fb.id)
			return err
		})
	}
	sub, err := b.PrintStation.SubmitBatch(ctx, batch, claim.IdempotencyKey(fb.id))
	fn := FnBuild
	switch c := fault.ClassOf(err); {
	case err == nil:
		err = claim.Record(ctx, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `
				UPDATE print_batches SET status = 'sent', printstation_ref = $2, sent_at = now(), attempts = attempts + 1, last_error = ''
				 WHERE batch_id = $1 AND status = 'formed'`, fb.id, sub.PrintStationBatchID); err != nil {
				return fmt.Errorf("recording print batch %s sent: %w", fb.id, err)
			}
			orders, err := updateOrders(ctx, tx, `
				UPDATE print_items SET status = 'sent', wait_reason = '', updated_at = now() WHERE batch_id = $1 AND status = 'assigned'
				RETURNING order_id`, fb.id)
			if err != nil {
				return err
			}
			var steps []store.JourneyStep
			for _, o := range orders.keys {
				steps = append(steps, store.JourneyStep{OrderID: o, State: StatePrintBatched, System: SystemPrintStation, Function: fn, MessageID: fb.id,
					Detail: fmt.Sprintf("batched in %s with %s of the order (a batch of %d %s items at %s), accepted by PrintStation as %s",
						fb.id, lines(orders.count[o]), len(items), fb.category, fb.site, sub.PrintStationBatchID)})
			}
			return recordSteps(ctx, tx, steps)
		})
		if err != nil {
			return err
		}
		st.Sent++
		st.SentItems += len(items)
		return nil
	case c == fault.ClassTransient:
		rerr := claim.Release(ctx, err)
		wctx := context.WithoutCancel(ctx)
		werr := b.Store.InTx(wctx, func(tx pgx.Tx) error {
			if _, err := tx.Exec(wctx, `UPDATE print_batches SET attempts = attempts + 1, last_error = $2 WHERE batch_id = $1`,
				fb.id, store.Text(err.Error(), 1000)); err != nil {
				return err
			}
			return waitSteps(wctx, tx, ids, fmt.Sprintf(reasonPrintStation, fb.id), SystemPrintStation)
		})
		return errors.Join(err, rerr, werr)
	default:
		return b.refused(ctx, claim, fb, items, err, st)
	}
}

// orderCounts is how many lines each order had in a statement's rows.
type orderCounts struct {
	keys  []string
	count map[string]int
}

func updateOrders(ctx context.Context, tx pgx.Tx, sql string, args ...any) (orderCounts, error) {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return orderCounts{}, fmt.Errorf("updating print lines: %w", err)
	}
	orders, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return orderCounts{}, fmt.Errorf("updating print lines: %w", err)
	}
	oc := orderCounts{count: map[string]int{}}
	for _, o := range orders {
		if oc.count[o] == 0 {
			oc.keys = append(oc.keys, o)
		}
		oc.count[o]++
	}
	return oc, nil
}

// refused parks a batch PrintStation refused outright: each of its orders
// is parked (with an alert) and its lines wait for a person; replaying an
// order queues its lines again.
func (b *Builder) refused(ctx context.Context, claim *store.Claim, fb formedBatch, items []sentItem, cause error, st *RunStats) error {
	reason := store.Text(cause.Error(), 1000)
	parked := map[string]int64{}
	for _, it := range items {
		if _, ok := parked[it.order]; ok {
			continue
		}
		res, err := b.parkLine(ctx, it.order, fmt.Sprintf("%s/batch-%s-refused", it.order, fb.id),
			fmt.Sprintf("order %s: PrintStation refused batch %s: %s; replaying queues the order's refused lines again for a new batch", it.order, fb.id, reason))
		if err != nil {
			return errors.Join(err, claim.Release(ctx, err))
		}
		parked[it.order] = res.ID
	}
	fn := FnBuild
	err := claim.Record(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE print_batches SET status = 'refused', reason = $2, attempts = attempts + 1, last_error = $2
			WHERE batch_id = $1 AND status = 'formed'`, fb.id, reason); err != nil {
			return fmt.Errorf("recording print batch %s refused: %w", fb.id, err)
		}
		orders, err := updateOrders(ctx, tx, `
			UPDATE print_items SET status = 'refused', reason = $2, wait_reason = $2, parkings = parkings + 1, updated_at = now()
			 WHERE batch_id = $1 AND status = 'assigned' RETURNING order_id`, fb.id, reason)
		if err != nil {
			return err
		}
		var steps []store.JourneyStep
		for _, o := range orders.keys {
			steps = append(steps, store.JourneyStep{OrderID: o, State: StateBatchRefused, System: SystemPrintStation, Function: fn, MessageID: fb.id,
				Detail: fmt.Sprintf("PrintStation refused batch %s (%s of the order): %s; parked (#%d) and people are alerted: handler replay %d queues them again",
					fb.id, lines(orders.count[o]), reason, parked[o], parked[o])})
		}
		return recordSteps(ctx, tx, steps)
	})
	if err != nil {
		return err
	}
	st.Refused++
	azfunc.Logger(ctx).Warn("print batch refused by PrintStation", "batch_id", fb.id, "error", reason, "orders", len(parked))
	return nil
}
