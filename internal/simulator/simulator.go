package simulator

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// Simulator is a local, Dodo-compatible payments API: the subscription and
// payment endpoints, a business clock, webhooks, fault injection and an admin
// API. It is safe for concurrent use.
type Simulator struct {
	cfg      Config
	clock    *Clock
	log      *slog.Logger
	products map[string]Product
	faults   *faultInjector
	limiter  *rateLimiter
	requests requestWindow
	hub      *webhookHub
	handler  http.Handler
	// endpoints are the webhook endpoints registered through the API.
	endpoints *endpointRegistry

	mu    sync.RWMutex
	st    *store
	due   dueQueue
	ids   *idGenerator
	batch []event
	// listChanged queues objects whose new state lagging lists must record.
	listChanged listChanges

	lifecycle sync.Mutex
	started   bool
	closed    bool
	stopScan  chan struct{}
	scanDone  chan struct{}
}

// New builds a Simulator. Call Start to begin webhook delivery (and the
// real-time scanner) and Close to stop them; the HTTP handler works without
// Start, queueing webhooks until then.
func New(cfg Config) (*Simulator, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("simulator config: %w", err)
	}
	products, err := productCatalogue(cfg.Products)
	if err != nil {
		return nil, fmt.Errorf("simulator products: %w", err)
	}
	s := &Simulator{
		cfg:      cfg,
		clock:    NewClock(cfg.Clock),
		log:      cfg.Logger,
		products: products,
		faults:   newFaultInjector(),
		limiter:  newRateLimiter(cfg.RateLimitPerMinute, cfg.RateLimitBurst, cfg.WallClock),
		st:       newStore(),
		ids:      newIDGenerator(cfg.Seed),
	}
	s.endpoints = newEndpointRegistry(cfg.Seed)
	s.hub = newWebhookHub(cfg, s.faults, s.renderEvent)
	if err := s.hub.setEndpoints(cfg.WebhookEndpoints); err != nil {
		return nil, fmt.Errorf("simulator webhook endpoints: %w", err)
	}
	s.handler = s.routes()
	return s, nil
}

// Handler serves the API and the /_simulator/ admin routes.
func (s *Simulator) Handler() http.Handler { return s.handler }

// Start begins webhook delivery and, when following real time, the scanner
// that processes renewals and settlements as they fall due.
func (s *Simulator) Start() error {
	s.lifecycle.Lock()
	defer s.lifecycle.Unlock()
	if s.closed {
		return fmt.Errorf("simulator already closed")
	}
	if s.started {
		return nil
	}
	s.started = true
	s.hub.start()
	if s.cfg.ScanInterval > 0 {
		s.stopScan, s.scanDone = make(chan struct{}), make(chan struct{})
		go s.scan(s.cfg.ScanInterval)
	}
	return nil
}

// Close stops the scanner and every webhook worker and retry timer. Pending
// deliveries are dropped.
func (s *Simulator) Close() error {
	s.lifecycle.Lock()
	defer s.lifecycle.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.stopScan != nil {
		close(s.stopScan)
		<-s.scanDone
	}
	s.hub.close()
	return nil
}

// scan processes due work on a real-time ticker; it only runs when the
// business clock follows real time.
func (s *Simulator) scan(every time.Duration) {
	defer close(s.scanDone)
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for {
		select {
		case <-s.stopScan:
			return
		case <-ticker.C:
			s.catchUp()
		}
	}
}

// Clock returns the business clock.
func (s *Simulator) Clock() *Clock { return s.clock }

// Now returns the business time.
func (s *Simulator) Now() time.Time { return s.clock.Now() }

// Advance moves the business clock by d and processes, in time order,
// everything that fell due (renewals, expiries, settlements, link expiry).
func (s *Simulator) Advance(d time.Duration) time.Time {
	return s.moveClock(func() time.Time { return s.clock.Advance(d) })
}

// SetTime moves the business clock to t and processes what fell due.
func (s *Simulator) SetTime(t time.Time) time.Time {
	return s.moveClock(func() time.Time { return s.clock.Set(t) })
}

// moveClock moves the business clock under the write lock and processes
// what fell due by the time it returns.
func (s *Simulator) moveClock(move func() time.Time) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := move()
	s.processDueLocked(now)
	return now
}

// ProcessDue processes what is due at the current business time (useful
// after moving an injected base clock directly).
func (s *Simulator) ProcessDue() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.processDueLocked(s.clock.Now())
}

// SetFaults replaces the active faults and reseeds the fault RNG.
func (s *Simulator) SetFaults(f Faults) error { return s.faults.set(f) }

// Faults returns the active faults.
func (s *Simulator) Faults() Faults { return s.faults.get() }

// SetWebhookEndpoints replaces the webhook endpoints.
func (s *Simulator) SetWebhookEndpoints(endpoints []WebhookEndpoint) error {
	for _, ep := range endpoints {
		if err := ep.validate(); err != nil {
			return err
		}
	}
	return s.hub.setEndpoints(endpoints)
}

// WebhookEndpoints returns the configured endpoints (with their secrets).
func (s *Simulator) WebhookEndpoints() []WebhookEndpoint { return s.hub.endpointList() }

// Flush waits until every webhook delivery is delivered, failed or dropped.
// Retries wait on the wall clock, so with a fake wall clock the caller must
// step it. Requires Start.
func (s *Simulator) Flush(ctx context.Context) error { return s.hub.flush(ctx) }

// WaitForWebhooks waits until cond holds for the delivery records.
func (s *Simulator) WaitForWebhooks(ctx context.Context, cond func([]DeliveryRecord) bool) error {
	return s.hub.waitFor(ctx, cond)
}

// Deliveries returns a copy of every webhook delivery record.
func (s *Simulator) Deliveries() []DeliveryRecord {
	records, _ := s.hub.snapshot()
	return records
}

// renderEvent builds the envelope of an event with the object as it is now
// (Dodo sends the state at delivery time).
func (s *Simulator) renderEvent(ev event) ([]byte, error) {
	var object any
	s.mu.RLock()
	switch ev.Kind {
	case dodo.PayloadTypeSubscription:
		if sub := s.st.subscriptions[ev.ObjectID]; sub != nil {
			object = s.renderSubscriptionLocked(sub)
		}
	case dodo.PayloadTypePayment:
		if p := s.st.payments[ev.ObjectID]; p != nil {
			object = s.renderPaymentLocked(p)
		}
	}
	s.mu.RUnlock()
	if object == nil {
		return nil, fmt.Errorf("event %s: %s %s not found", ev.ID, ev.Kind, ev.ObjectID)
	}
	data, err := dodo.WebhookData(ev.Kind, object)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(dodo.WebhookEvent{BusinessID: s.cfg.BusinessID, Type: ev.Type, Timestamp: ev.At, Data: data})
	if err != nil {
		return nil, fmt.Errorf("encode webhook envelope: %w", err)
	}
	return body, nil
}

// emitLocked records an event of the operation in progress.
func (s *Simulator) emitLocked(at time.Time, typ dodo.EventType, kind dodo.WebhookPayloadType, objectID, laneKey string) {
	s.batch = append(s.batch, event{
		ID: s.ids.next(prefixWebhookMsg), Type: typ, At: at,
		Kind: kind, ObjectID: objectID, LaneKey: laneKey,
	})
}

func (s *Simulator) emitSubscriptionLocked(sub *subscription, typ dodo.EventType, at time.Time) {
	s.markSubscriptionChangedLocked(sub, at)
	s.emitLocked(at, typ, dodo.PayloadTypeSubscription, sub.SubscriptionID, sub.SubscriptionID)
}

func (s *Simulator) emitPaymentLocked(p *payment, typ dodo.EventType, at time.Time) {
	s.markPaymentChangedLocked(p, at)
	lane := p.PaymentID
	if p.subscription != nil {
		lane = p.subscription.SubscriptionID
	}
	s.emitLocked(at, typ, dodo.PayloadTypePayment, p.PaymentID, lane)
}

// publishLocked ends an operation or due item: it records what lagging
// lists will show and hands the events to the webhook hub in one batch
// (under the state lock, so batches keep their global order).
func (s *Simulator) publishLocked() {
	s.recordListVersionsLocked()
	if len(s.batch) == 0 {
		return
	}
	s.hub.publish(s.batch)
	s.batch = nil
}
