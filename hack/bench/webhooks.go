package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
	"github.com/dodo-operator/dodo-operator/test/harness"
)

// eventSource sends signed subscription.on_hold / subscription.active events for the
// bench's subscriptions straight to the webhook receiver, alternating each subscription's
// state so that every event is a real status change. The payloads are the simulator's
// own renderings of the subscriptions; only the status is flipped.
type eventSource struct {
	url    string
	signer *standardwebhooks.Webhook
	client *http.Client
	seq    atomic.Int64

	mu     sync.Mutex
	subs   []dodo.Subscription
	onHold []bool
}

func newEventSource(sim *harness.SimServer, ns, url string) (*eventSource, error) {
	signer, err := standardwebhooks.NewWebhook(sim.WebhookSecret)
	if err != nil {
		return nil, fmt.Errorf("webhook signer: %w", err)
	}
	e := &eventSource{url: url, signer: signer,
		client: &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1024}}}
	for _, subs := range harness.SubscriptionsByUID(sim.State(), ns) {
		e.subs = append(e.subs, subs[0].Subscription)
	}
	if len(e.subs) == 0 {
		return nil, fmt.Errorf("no subscriptions of namespace %s in the simulator", ns)
	}
	slices.SortFunc(e.subs, func(a, b dodo.Subscription) int { return strings.Compare(a.SubscriptionID, b.SubscriptionID) })
	e.onHold = make([]bool, len(e.subs))
	return e, nil
}

// next builds the next event for subscription i: its webhook-id and signed request.
func (e *eventSource) next(ctx context.Context, i int, at time.Time) (string, *http.Request, error) {
	e.mu.Lock()
	e.onHold[i] = !e.onHold[i]
	sub := e.subs[i]
	typ, status := dodo.EventSubscriptionActive, dodo.SubscriptionStatusActive
	if e.onHold[i] {
		typ, status = dodo.EventSubscriptionOnHold, dodo.SubscriptionStatusOnHold
	}
	e.mu.Unlock()
	sub.Status = status
	id := "msg_bench_" + strconv.FormatInt(e.seq.Add(1), 10)
	body, err := eventBody(sub, typ, at)
	if err != nil {
		return "", nil, err
	}
	signature, err := e.signer.Sign(id, at, body)
	if err != nil {
		return "", nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(body))
	if err != nil {
		return "", nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
	req.Header.Set("webhook-signature", signature)
	return id, req, nil
}

// eventBody is a Dodo webhook envelope carrying sub.
func eventBody(sub dodo.Subscription, typ dodo.EventType, at time.Time) ([]byte, error) {
	data, err := dodo.WebhookData(dodo.PayloadTypeSubscription, sub)
	if err != nil {
		return nil, err
	}
	return json.Marshal(dodo.WebhookEvent{BusinessID: simulator.DefaultBusinessID, Type: typ, Timestamp: at, Data: data})
}

// send delivers the next event of subscription i; it reports whether the receiver
// answered 2xx (it does so only once the status write is stored).
func (e *eventSource) send(ctx context.Context, i int, t *tracker) bool {
	at := time.Now()
	id, req, err := e.next(ctx, i, at)
	if err != nil {
		return false
	}
	if t != nil {
		t.expect(id, at)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode >= 200 && resp.StatusCode < 300
}

// saturate sends events as fast as concurrency senders can (each owns its own
// subscriptions, so no two events of one subscription race) and returns the accepted
// events per second.
func (e *eventSource) saturate(ctx context.Context, concurrency int, d time.Duration) (float64, int, int) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var ok, failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := range min(concurrency, len(e.subs)) {
		wg.Go(func() {
			for ctx.Err() == nil {
				for i := w; i < len(e.subs) && ctx.Err() == nil; i += concurrency {
					switch {
					case e.send(ctx, i, nil):
						ok.Add(1)
					case ctx.Err() == nil:
						failed.Add(1)
					}
				}
			}
		})
	}
	wg.Wait()
	return float64(ok.Load()) / time.Since(start).Seconds(), int(ok.Load()), int(failed.Load())
}

// steady sends rate events per second, round robin over the subscriptions, for d; the
// tracker measures when each one's effect becomes visible.
func (e *eventSource) steady(ctx context.Context, t *tracker, rate float64, d time.Duration) (sent, failed int) {
	ticker := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer ticker.Stop()
	deadline := time.After(d)
	inFlight := make(chan struct{}, 1024)
	var wg sync.WaitGroup
	var bad atomic.Int64
	for i := 0; ; i = (i + 1) % len(e.subs) {
		select {
		case <-deadline:
			wg.Wait()
			return sent, int(bad.Load())
		case <-ctx.Done():
			wg.Wait()
			return sent, int(bad.Load())
		case <-ticker.C:
		}
		inFlight <- struct{}{}
		sent++
		wg.Go(func() {
			defer func() { <-inFlight }()
			if !e.send(ctx, i, t) {
				bad.Add(1)
			}
		})
	}
}
