package dodo

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// keyLabel names the API key fingerprint label.
const keyLabel = "key"

// budgetMetrics are one budget's series, labelled with the key's fingerprint.
type budgetMetrics struct {
	calls     [numPriorities]prometheus.Counter
	waits     [numPriorities]prometheus.Observer
	waiting   [numPriorities]prometheus.Gauge
	usedLast  prometheus.Gauge
	leftLast  prometheus.Gauge
	rate      prometheus.Gauge
	throttled prometheus.Counter
}

type budgetVecs struct {
	calls     *prometheus.CounterVec
	waits     *prometheus.HistogramVec
	waiting   *prometheus.GaugeVec
	used      *prometheus.GaugeVec
	left      *prometheus.GaugeVec
	rate      *prometheus.GaugeVec
	throttled *prometheus.CounterVec
}

func newBudgetVecs() budgetVecs {
	byClass := []string{keyLabel, "class"}
	return budgetVecs{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dodo_api_budget_calls_total",
			Help: "Requests the per-key budget admitted, by priority class."}, byClass),
		waits: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "dodo_api_budget_wait_seconds",
			Help:    "Time calls waited for the per-key budget, by priority class.",
			Buckets: []float64{0.001, 0.01, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300}}, byClass),
		waiting: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "dodo_api_budget_waiting",
			Help: "Calls waiting for the per-key budget, by priority class."}, byClass),
		used: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "dodo_api_budget_used_last_minute",
			Help: "Requests admitted in the last minute, per API key."}, []string{keyLabel}),
		left: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "dodo_api_budget_left_last_minute",
			Help: "The current rate times a minute, less the requests admitted in the last minute, per API key."}, []string{keyLabel}),
		rate: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "dodo_api_budget_rate",
			Help: "The budget's current rate in requests/s (below the configured one after a 429, recovering slowly)."}, []string{keyLabel}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dodo_api_budget_throttled_total",
			Help: "429 answers that paused and shrank the budget, per API key."}, []string{keyLabel}),
	}
}

// register registers the vectors (reusing ones another client registered) and binds the
// key's series.
func (v budgetVecs) register(registerer prometheus.Registerer, key string) (*budgetMetrics, error) {
	if registerer != nil {
		var err error
		if v.calls, err = register(registerer, v.calls); err != nil {
			return nil, err
		}
		if v.waits, err = register(registerer, v.waits); err != nil {
			return nil, err
		}
		if v.waiting, err = register(registerer, v.waiting); err != nil {
			return nil, err
		}
		if v.used, err = register(registerer, v.used); err != nil {
			return nil, err
		}
		if v.left, err = register(registerer, v.left); err != nil {
			return nil, err
		}
		if v.rate, err = register(registerer, v.rate); err != nil {
			return nil, err
		}
		if v.throttled, err = register(registerer, v.throttled); err != nil {
			return nil, err
		}
	}
	m := &budgetMetrics{usedLast: v.used.WithLabelValues(key), leftLast: v.left.WithLabelValues(key),
		rate: v.rate.WithLabelValues(key), throttled: v.throttled.WithLabelValues(key)}
	for p := PriorityCritical; p < numPriorities; p++ {
		m.calls[p] = v.calls.WithLabelValues(key, p.String())
		m.waits[p] = v.waits.WithLabelValues(key, p.String())
		m.waiting[p] = v.waiting.WithLabelValues(key, p.String())
	}
	return m, nil
}

// noBudgetMetrics are unregistered series, for a budget built without metrics.
func noBudgetMetrics() *budgetMetrics {
	m, _ := newBudgetVecs().register(nil, "")
	return m
}

func (m *budgetMetrics) granted(class Priority, usedLastMinute int, currentRate float64) {
	m.calls[class].Inc()
	m.usedLast.Set(float64(usedLastMinute))
	m.leftLast.Set(max(currentRate*60-float64(usedLastMinute), 0))
}

func (m *budgetMetrics) waited(class Priority, d time.Duration) {
	m.waits[class].Observe(d.Seconds())
}

func (m *budgetMetrics) setWaiting(n [numPriorities]int) {
	for p := range n {
		m.waiting[p].Set(float64(n[p]))
	}
}
