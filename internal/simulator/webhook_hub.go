package simulator

import (
	"context"
	"errors"
	"hash/fnv"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"k8s.io/utils/clock"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// event is one webhook event. The payload is rendered at delivery time, so
// only the object's identity is kept.
type event struct {
	ID       string
	Type     dodo.EventType
	At       time.Time
	Kind     dodo.WebhookPayloadType
	ObjectID string
	// LaneKey routes the event to a delivery worker: the subscription ID
	// for subscription and payment events alike, so one subscription's
	// events are attempted in emission order.
	LaneKey string
}

// retrySchedule is Dodo's delay after each failed attempt (docs/dodo-api.md
// §5.4): up to 8 retries, scaled by Config.WebhookTimeScale.
var retrySchedule = []time.Duration{
	0, 5 * time.Second, 5 * time.Minute, 30 * time.Minute,
	2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour,
}

// DeliveryStatus is the state of one event at one endpoint.
type DeliveryStatus string

// Delivery states.
const (
	DeliveryPending   DeliveryStatus = "pending"
	DeliveryDelivered DeliveryStatus = "delivered"
	// DeliveryFailed: every retry of the schedule failed.
	DeliveryFailed DeliveryStatus = "failed"
	// DeliveryDropped: the endpoint was removed or the simulator closed.
	DeliveryDropped DeliveryStatus = "dropped"
)

// DeliveryAttempt is one POST to an endpoint (wall-clock time).
type DeliveryAttempt struct {
	At         time.Time `json:"at"`
	StatusCode int       `json:"status_code,omitempty"`
	Error      string    `json:"error,omitempty"`
	Duplicate  bool      `json:"duplicate,omitempty"`
}

// DeliveryRecord is the delivery history of one event at one endpoint.
type DeliveryRecord struct {
	WebhookID     string            `json:"webhook_id"`
	Endpoint      string            `json:"endpoint"`
	EventType     dodo.EventType    `json:"event_type"`
	ObjectID      string            `json:"object_id"`
	EventTime     time.Time         `json:"event_time"`
	Status        DeliveryStatus    `json:"status"`
	Attempts      []DeliveryAttempt `json:"attempts"`
	Deliveries    int               `json:"deliveries"`
	NextAttemptAt *time.Time        `json:"next_attempt_at,omitempty"`
}

type delivery struct {
	ev        event
	record    *DeliveryRecord
	endpoint  *endpointQueue
	failures  int
	duplicate bool
}

type lane struct {
	queue []*delivery
	wake  chan struct{}
}

type endpointQueue struct {
	ep      WebhookEndpoint
	signers []*standardwebhooks.Webhook
	lanes   []*lane
	ctx     context.Context
	cancel  context.CancelFunc
	timers  map[*delivery]clock.Timer
	removed bool
	started bool
	// id and filter are set for an endpoint registered through the API (POST /webhooks).
	id     string
	filter []dodo.EventType
}

// webhookHub queues events per endpoint and delivers them with a fixed pool
// of workers per endpoint (one lane each). Lock order: Simulator.mu may be
// held when calling into the hub; the hub never takes Simulator.mu while
// holding its own lock.
type webhookHub struct {
	wall    clock.WithDelayedExecution
	client  *http.Client
	scale   float64
	workers int
	render  func(event) ([]byte, error)
	faults  *faultInjector
	log     *slog.Logger

	mu        sync.Mutex
	endpoints []*endpointQueue
	records   []*DeliveryRecord
	pending   int
	changed   chan struct{}
	running   bool
	closed    bool
	wg        sync.WaitGroup

	// registered are the endpoints made through POST /webhooks (webhook_endpoints.go).
	registered []*endpointQueue
}

func newWebhookHub(cfg Config, faults *faultInjector, render func(event) ([]byte, error)) *webhookHub {
	return &webhookHub{
		wall:    cfg.WallClock,
		client:  cfg.WebhookClient,
		scale:   cfg.WebhookTimeScale,
		workers: cfg.WebhookWorkers,
		render:  render,
		faults:  faults,
		log:     cfg.Logger,
		changed: make(chan struct{}),
	}
}

// setEndpoints replaces the endpoint set. Endpoints whose URL is kept keep
// their queues (with the new secrets); removed ones stop at once and their
// queued deliveries are dropped.
func (h *webhookHub) setEndpoints(endpoints []WebhookEndpoint) error {
	queues := make([]*endpointQueue, 0, len(endpoints))
	for _, ep := range endpoints {
		signers, err := endpointSigners(ep)
		if err != nil {
			return err
		}
		queues = append(queues, &endpointQueue{ep: ep, signers: signers})
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return errors.New("simulator closed")
	}
	kept := make([]*endpointQueue, 0, len(queues))
	for _, q := range queues {
		if old := h.findLocked(q.ep.URL); old != nil {
			old.ep, old.signers = q.ep, q.signers
			kept = append(kept, old)
			continue
		}
		h.initQueueLocked(q)
		kept = append(kept, q)
	}
	for _, old := range h.endpoints {
		if !slices.Contains(kept, old) {
			h.removeLocked(old)
		}
	}
	h.endpoints = kept
	h.notifyLocked()
	return nil
}

func (h *webhookHub) endpointList() []WebhookEndpoint {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]WebhookEndpoint, 0, len(h.endpoints))
	for _, q := range h.endpoints {
		out = append(out, q.ep)
	}
	return out
}

func (h *webhookHub) findLocked(url string) *endpointQueue {
	for _, q := range h.endpoints {
		if q.ep.URL == url {
			return q
		}
	}
	return nil
}

func (h *webhookHub) initQueueLocked(q *endpointQueue) {
	q.ctx, q.cancel = context.WithCancel(context.Background())
	q.timers = map[*delivery]clock.Timer{}
	q.lanes = make([]*lane, h.workers)
	for i := range q.lanes {
		q.lanes[i] = &lane{wake: make(chan struct{}, 1)}
	}
	if h.running {
		h.startWorkersLocked(q)
	}
}

// removeLocked stops an endpoint and drops what it still had to deliver.
func (h *webhookHub) removeLocked(q *endpointQueue) {
	q.removed = true
	q.cancel()
	for d, timer := range q.timers {
		timer.Stop()
		h.dropLocked(d)
	}
	q.timers = nil
	for _, ln := range q.lanes {
		for _, d := range ln.queue {
			h.dropLocked(d)
		}
		ln.queue = nil
	}
}

func (h *webhookHub) dropLocked(d *delivery) {
	if d.record.Status == DeliveryPending {
		d.record.Status = DeliveryDropped
		d.record.NextAttemptAt = nil
	}
	h.pending--
}

func (h *webhookHub) notifyLocked() {
	close(h.changed)
	h.changed = make(chan struct{})
}

// publish queues the events of one operation for every endpoint. With the
// reorder fault, the events a lane receives from this batch are reversed.
func (h *webhookHub) publish(batch []event) {
	if len(batch) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	for _, q := range slices.Concat(h.endpoints, h.registered) {
		byLane := make(map[int][]*delivery)
		var laneOrder []int
		for _, ev := range batch {
			if !q.accepts(ev.Type) {
				continue
			}
			d := h.newDeliveryLocked(q, ev)
			idx := laneIndex(ev.LaneKey, len(q.lanes))
			if _, seen := byLane[idx]; !seen {
				laneOrder = append(laneOrder, idx)
			}
			byLane[idx] = append(byLane[idx], d)
		}
		for _, idx := range laneOrder {
			group := byLane[idx]
			if len(group) > 1 && h.faults.reorderWebhooks() {
				slices.Reverse(group)
			}
			h.enqueueLocked(q.lanes[idx], group...)
		}
	}
	h.notifyLocked()
}

func (h *webhookHub) newDeliveryLocked(q *endpointQueue, ev event) *delivery {
	record := &DeliveryRecord{
		WebhookID: ev.ID, Endpoint: q.ep.URL, EventType: ev.Type,
		ObjectID: ev.ObjectID, EventTime: ev.At, Status: DeliveryPending,
	}
	h.records = append(h.records, record)
	h.pending++
	return &delivery{ev: ev, record: record, endpoint: q}
}

func (h *webhookHub) enqueueLocked(ln *lane, ds ...*delivery) {
	ln.queue = append(ln.queue, ds...)
	select {
	case ln.wake <- struct{}{}:
	default:
	}
}

func laneIndex(key string, lanes int) int {
	hasher := fnv.New32a()
	_, _ = hasher.Write([]byte(key))
	return int(hasher.Sum32() % uint32(lanes))
}
