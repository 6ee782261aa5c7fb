package dodo

import (
	"errors"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the client's Prometheus collectors. The endpoint label is the
// route template (e.g. /subscriptions/{id}/charge), never a raw ID, so the
// cardinality stays fixed.
type metrics struct {
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	limiterWait prometheus.Histogram
}

func newMetrics(registerer prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dodo_api_requests_total",
			Help: "HTTP attempts made to the Dodo Payments API, by route, method and status class.",
		}, []string{"endpoint", "method", "code_class"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "dodo_api_request_duration_seconds",
			Help:    "Latency of HTTP attempts to the Dodo Payments API.",
			Buckets: prometheus.DefBuckets,
		}, []string{"endpoint", "method"}),
		limiterWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "dodo_api_rate_limiter_wait_seconds",
			Help:    "Time spent waiting for the client-side rate limiter.",
			Buckets: []float64{0.001, 0.01, 0.1, 0.5, 1, 2.5, 5, 10, 30},
		}),
	}
	if registerer == nil {
		return m, nil
	}
	var err error
	if m.requests, err = register(registerer, m.requests); err != nil {
		return nil, err
	}
	if m.duration, err = register(registerer, m.duration); err != nil {
		return nil, err
	}
	if m.limiterWait, err = register(registerer, m.limiterWait); err != nil {
		return nil, err
	}
	return m, nil
}

// register reuses an identical collector already registered (several
// clients in one process share the series).
func register[C prometheus.Collector](registerer prometheus.Registerer, collector C) (C, error) {
	err := registerer.Register(collector)
	if err == nil {
		return collector, nil
	}
	var already prometheus.AlreadyRegisteredError
	if errors.As(err, &already) {
		if existing, ok := already.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	var zero C
	return zero, err
}

func (m *metrics) observeAttempt(route, method string, status int, elapsed time.Duration) {
	m.requests.WithLabelValues(route, method, codeClass(status)).Inc()
	m.duration.WithLabelValues(route, method).Observe(elapsed.Seconds())
}

// codeClass maps a status to "2xx".."5xx", or "error" when no response came.
func codeClass(status int) string {
	if status < 100 || status > 599 {
		return "error"
	}
	return strconv.Itoa(status/100) + "xx"
}
