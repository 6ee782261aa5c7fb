package sequencetest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
	"github.com/dodo-operator/dodo-operator/internal/webhookreceiver"
)

// webhookSecret signs the simulator's deliveries and the test's re-deliveries.
const webhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// hook is one webhook event the simulator sent: what happened to which object. The test
// delivers it to the receiver itself, synchronously, with the object as it is at delivery
// (as Dodo renders it), so that what the receiver sees does not depend on when the
// simulator's delivery worker ran.
type hook struct {
	id       string
	typ      dodo.EventType
	at       time.Time
	kind     dodo.WebhookPayloadType
	objectID string
}

// hookInbox is the endpoint the simulator delivers to: it only records.
type hookInbox struct {
	mu  sync.Mutex
	got []hook
}

func (in *hookInbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if h, ok := parseHook(r.Header.Get(standardwebhooks.HeaderWebhookID), body); ok {
		in.mu.Lock()
		in.got = append(in.got, h)
		in.mu.Unlock()
	}
	w.WriteHeader(http.StatusNoContent)
}

func parseHook(id string, body []byte) (hook, bool) {
	event, err := dodo.ParseWebhookEvent(body)
	if err != nil {
		return hook{}, false
	}
	h := hook{id: id, typ: event.Type, at: event.Timestamp}
	if sub, err := event.DecodeSubscription(); err == nil {
		h.kind, h.objectID = dodo.PayloadTypeSubscription, sub.SubscriptionID
	} else if p, err := event.DecodePayment(); err == nil {
		h.kind, h.objectID = dodo.PayloadTypePayment, p.PaymentID
	} else {
		return hook{}, false
	}
	return h, true
}

// startWebhooks serves the inbox and builds the receiver: its client reads the API server
// directly (enqueueing what it writes, as the watches would), its field indexes are
// evaluated on fresh lists, and it runs on the operator's clock.
func (w *world) startWebhooks() (*httptest.Server, error) {
	w.inbox = &hookInbox{}
	srv := httptest.NewServer(w.inbox)
	indexes := &indexedReader{Reader: env.Client, indexes: map[string]func(any) []string{}}
	if err := webhookreceiver.SetupIndexes(w.ctx, indexes); err != nil {
		return srv, err
	}
	var err error
	w.receiver, err = webhookreceiver.New(webhookreceiver.Options{
		Secrets: webhookreceiver.Secrets{Primary: dodo.NewSecret(webhookSecret)},
		Client:  &faultyClient{Client: env.Client, touched: w.touch}, Cache: indexes, Clock: w.opClock,
		Registerer: prometheus.NewRegistry(),
	})
	w.signer, _ = standardwebhooks.NewWebhook(webhookSecret)
	return srv, err
}

// collectHooks waits for the simulator's deliveries and adds new events to the pending
// ones, in the order they happened (IDs carry a counter).
func (w *world) collectHooks() {
	ctx, cancel := context.WithTimeout(w.ctx, 10*time.Second)
	defer cancel()
	_ = w.sim.Flush(ctx)
	w.inbox.mu.Lock()
	got := w.inbox.got
	w.inbox.got = nil
	w.inbox.mu.Unlock()
	slices.SortFunc(got, func(a, b hook) int { return strings.Compare(a.id, b.id) })
	for _, h := range got {
		if !w.hookSeen[h.id] {
			w.hookSeen[h.id] = true
			w.pendingHooks = append(w.pendingHooks, h)
		}
	}
}

// deliver sends one event to the receiver, signed now, and reports whether it was
// acknowledged (2xx); Dodo delivers again otherwise.
func (w *world) deliver(h hook) bool {
	body, ok := w.renderHook(h)
	if !ok {
		return true // the object is gone from Dodo: nothing to deliver
	}
	now := w.opClock.Now()
	signature, err := w.signer.Sign(h.id, now, body)
	if err != nil {
		return false
	}
	req := httptest.NewRequest(http.MethodPost, "/webhooks/dodo", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(standardwebhooks.HeaderWebhookID, h.id)
	req.Header.Set(standardwebhooks.HeaderWebhookTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(standardwebhooks.HeaderWebhookSignature, signature)
	rec := httptest.NewRecorder()
	w.receiver.ServeHTTP(rec, req)
	w.stats.hooks++
	return rec.Code/100 == 2
}

// renderHook builds the envelope with the object as the simulator shows it now.
func (w *world) renderHook(h hook) ([]byte, bool) {
	state := w.sim.State()
	var object any
	for _, s := range state.Subscriptions {
		if h.kind == dodo.PayloadTypeSubscription && s.SubscriptionID == h.objectID {
			object = s.Subscription
		}
	}
	for _, p := range state.Payments {
		if h.kind == dodo.PayloadTypePayment && p.PaymentID == h.objectID {
			object = p.Payment
		}
	}
	if object == nil {
		return nil, false
	}
	data, err := dodo.WebhookData(h.kind, object)
	if err != nil {
		return nil, false
	}
	body, err := json.Marshal(dodo.WebhookEvent{BusinessID: simulator.DefaultBusinessID, Type: h.typ, Timestamp: h.at, Data: data})
	return body, err == nil
}
