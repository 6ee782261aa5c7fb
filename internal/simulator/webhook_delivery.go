package simulator

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"
)

// start launches the workers of every endpoint.
func (h *webhookHub) start() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.running || h.closed {
		return
	}
	h.running = true
	for _, q := range slices.Concat(h.endpoints, h.registered) {
		h.startWorkersLocked(q)
	}
}

func (h *webhookHub) startWorkersLocked(q *endpointQueue) {
	if q.started {
		return
	}
	q.started = true
	for _, ln := range q.lanes {
		h.wg.Add(1)
		go h.worker(q, ln)
	}
}

// close stops every worker and retry timer and waits for in-flight attempts
// to return (their requests are cancelled).
func (h *webhookHub) close() {
	h.mu.Lock()
	h.closed = true
	for _, q := range slices.Concat(h.endpoints, h.registered) {
		h.removeLocked(q)
	}
	h.notifyLocked()
	h.mu.Unlock()
	h.wg.Wait()
}

func (h *webhookHub) worker(q *endpointQueue, ln *lane) {
	defer h.wg.Done()
	for {
		d, ok := h.next(q, ln)
		if !ok {
			return
		}
		h.attempt(d)
	}
}

// next pops the lane's next delivery, waiting until one arrives or the
// endpoint stops.
func (h *webhookHub) next(q *endpointQueue, ln *lane) (*delivery, bool) {
	for {
		h.mu.Lock()
		if q.removed {
			h.mu.Unlock()
			return nil, false
		}
		if len(ln.queue) > 0 {
			d := ln.queue[0]
			ln.queue = ln.queue[1:]
			h.mu.Unlock()
			return d, true
		}
		h.mu.Unlock()
		select {
		case <-ln.wake:
		case <-q.ctx.Done():
			return nil, false
		}
	}
}

// attempt renders the payload as the object is now, signs it with the
// attempt's timestamp and POSTs it.
func (h *webhookHub) attempt(d *delivery) {
	at := h.wall.Now()
	status, err := h.post(d, at)
	h.finish(d, DeliveryAttempt{At: at, StatusCode: status, Error: errorText(err), Duplicate: d.duplicate})
}

func (h *webhookHub) post(d *delivery, at time.Time) (int, error) {
	body, err := h.render(d.ev)
	if err != nil {
		return 0, fmt.Errorf("render event: %w", err)
	}
	h.mu.Lock()
	signers := d.endpoint.signers
	h.mu.Unlock()
	headers, err := signPayload(signers, d.ev.ID, at, body)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(d.endpoint.ctx, http.MethodPost, d.record.Endpoint, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("build webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("webhook-id", headers.ID)
	req.Header.Set("webhook-timestamp", headers.Timestamp)
	req.Header.Set("webhook-signature", headers.Signature)
	resp, err := h.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("deliver webhook: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

func errorText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// finish records an attempt and decides what happens next: done, a
// duplicate (fault), a retry on Dodo's schedule, or giving up.
func (h *webhookHub) finish(d *delivery, attempt DeliveryAttempt) {
	h.mu.Lock()
	defer h.mu.Unlock()
	defer h.notifyLocked()
	d.record.Attempts = append(d.record.Attempts, attempt)
	d.record.NextAttemptAt = nil
	q := d.endpoint
	if q.removed {
		h.dropLocked(d)
		return
	}
	ok := attempt.Error == "" && attempt.StatusCode >= 200 && attempt.StatusCode < 300
	switch {
	case ok:
		d.record.Deliveries++
		d.record.Status = DeliveryDelivered
		h.pending--
		if !d.duplicate && h.faults.duplicateWebhook() {
			h.pending++
			dup := &delivery{ev: d.ev, record: d.record, endpoint: q, duplicate: true}
			h.enqueueLocked(q.lanes[laneIndex(d.ev.LaneKey, len(q.lanes))], dup)
		}
	case d.duplicate:
		// A failed duplicate is not retried: the original already arrived.
		h.pending--
	default:
		h.scheduleRetryLocked(d)
	}
	h.log.Debug("webhook attempt", "webhook_id", d.ev.ID, "type", d.ev.Type, "endpoint", q.ep.URL,
		"status", attempt.StatusCode, "error", attempt.Error)
}

func (h *webhookHub) scheduleRetryLocked(d *delivery) {
	d.failures++
	if d.failures > len(retrySchedule) {
		d.record.Status = DeliveryFailed
		h.pending--
		return
	}
	delay := time.Duration(float64(retrySchedule[d.failures-1]) * h.scale)
	q := d.endpoint
	ln := q.lanes[laneIndex(d.ev.LaneKey, len(q.lanes))]
	if delay <= 0 {
		h.enqueueLocked(ln, d)
		return
	}
	next := h.wall.Now().Add(delay)
	d.record.NextAttemptAt = &next
	// The callback must not take h.mu itself: a fake clock runs it while
	// holding its own lock, and this function holds h.mu while calling the
	// clock. A goroutine breaks that lock-order cycle.
	q.timers[d] = h.wall.AfterFunc(delay, func() { go h.requeue(d, ln) })
}

func (h *webhookHub) requeue(d *delivery, ln *lane) {
	h.mu.Lock()
	defer h.mu.Unlock()
	q := d.endpoint
	if q.removed {
		return // removeLocked already dropped it
	}
	delete(q.timers, d)
	h.enqueueLocked(ln, d)
}

// flush waits until no delivery is pending (delivered, failed or dropped).
func (h *webhookHub) flush(ctx context.Context) error {
	for {
		h.mu.Lock()
		pending, changed := h.pending, h.changed
		h.mu.Unlock()
		if pending == 0 {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("webhook flush: %d deliveries still pending: %w", pending, ctx.Err())
		}
	}
}

// waitFor waits until cond holds for the delivery records.
func (h *webhookHub) waitFor(ctx context.Context, cond func([]DeliveryRecord) bool) error {
	for {
		records, changed := h.snapshot()
		if cond(records) {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("wait for webhooks: %w", ctx.Err())
		}
	}
}

// snapshot deep-copies the records; the channel closes on the next change.
func (h *webhookHub) snapshot() ([]DeliveryRecord, <-chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]DeliveryRecord, len(h.records))
	for i, r := range h.records {
		out[i] = *r
		out[i].Attempts = slices.Clone(r.Attempts)
		if r.NextAttemptAt != nil {
			next := *r.NextAttemptAt
			out[i].NextAttemptAt = &next
		}
	}
	return out, h.changed
}
