package webhookreceiver

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// Metric names.
const (
	metricDeliveries        = "dodo_webhook_deliveries_total"
	metricVerifySeconds     = "dodo_webhook_verify_duration_seconds"
	metricApplySeconds      = "dodo_webhook_apply_duration_seconds"
	metricLastValidDelivery = "dodo_webhook_last_valid_delivery_timestamp_seconds"
	metricWriteConflicts    = "dodo_webhook_status_write_conflicts_total"
)

// typeUnknown labels deliveries refused before their type was known; typeOther labels
// event types outside the documented set, so a sender cannot grow the label space.
const (
	typeUnknown = "unknown"
	typeOther   = "other"
)

// knownTypes are the event types counted under their own label.
var knownTypes = map[dodo.EventType]bool{
	dodo.EventPaymentSucceeded: true, dodo.EventPaymentFailed: true, dodo.EventPaymentProcessing: true,
	dodo.EventPaymentCancelled: true, dodo.EventSubscriptionActive: true, dodo.EventSubscriptionRenewed: true,
	dodo.EventSubscriptionOnHold: true, dodo.EventSubscriptionPaused: true, dodo.EventSubscriptionUnpaused: true,
	dodo.EventSubscriptionCancelled: true, dodo.EventSubscriptionFailed: true, dodo.EventSubscriptionExpired: true,
	dodo.EventSubscriptionPlanChanged: true, dodo.EventSubscriptionUpdated: true,
	dodo.EventSubscriptionUpdatePaymentMethod: true, dodo.EventSubscriptionPastDue: true,
}

func typeLabel(t dodo.EventType) string {
	if knownTypes[t] {
		return string(t)
	}
	return typeOther
}

type metrics struct {
	deliveries        *prometheus.CounterVec
	verifySeconds     prometheus.Histogram
	applySeconds      prometheus.Histogram
	lastValidDelivery prometheus.Gauge
	writeConflicts    *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricDeliveries,
			Help: "Webhook deliveries by event type and outcome (applied, duplicate, stale, unknown_object, other_account, " +
				"unknown_account, no_account_secret, rejected_signature, malformed, too_large, error, ...).",
		}, []string{"type", "outcome"}),
		verifySeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    metricVerifySeconds,
			Help:    "Time to check a delivery's timestamp and signature and decode its envelope.",
			Buckets: prometheus.ExponentialBuckets(1e-6, 4, 10),
		}),
		applySeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    metricApplySeconds,
			Help:    "Time from a verified delivery to its status writes being stored.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
		lastValidDelivery: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: metricLastValidDelivery,
			Help: "Unix time of the last delivery with a valid signature (0: none since start). " +
				"A stale value means Dodo is not reaching the receiver.",
		}),
		writeConflicts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricWriteConflicts,
			Help: "Status writes refused with a conflict (another writer stored first; the write is read and made again), " +
				"by kind. Each costs the API server a failed write and a read.",
		}, []string{"kind"}),
	}
	for _, c := range []prometheus.Collector{m.deliveries, m.verifySeconds, m.applySeconds, m.lastValidDelivery,
		m.writeConflicts} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("registering webhook receiver metrics: %w", err)
		}
	}
	return m, nil
}

func (m *metrics) count(eventType string, o outcome) {
	m.deliveries.WithLabelValues(eventType, string(o)).Inc()
}

func (m *metrics) observeVerify(d time.Duration) { m.verifySeconds.Observe(d.Seconds()) }

func (m *metrics) observeApply(d time.Duration) { m.applySeconds.Observe(d.Seconds()) }

func (m *metrics) markValid(at time.Time) { m.lastValidDelivery.Set(float64(at.UnixNano()) / 1e9) }

func (m *metrics) conflicted(kind string) { m.writeConflicts.WithLabelValues(kind).Inc() }
