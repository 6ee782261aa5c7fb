package bulkobserve

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	scans    *prometheus.CounterVec
	pages    prometheus.Counter
	duration prometheus.Histogram
}

func noMetrics() *metrics {
	return &metrics{
		scans: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dodo_bulk_observe_scans_total",
			Help: "Complete scans of the key's subscriptions (GET /subscriptions, pages of 100), by result."}, []string{"result"}),
		pages: prometheus.NewCounter(prometheus.CounterOpts{Name: "dodo_bulk_observe_pages_total",
			Help: "Pages read by bulk observation (one API call each)."}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "dodo_bulk_observe_scan_duration_seconds",
			Help:    "How long a scan took, budget waits included.",
			Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 600, 1800}}),
	}
}

// RegisterMetrics registers the observer's series, and the age of its last scan.
func (o *Observer) RegisterMetrics(registerer prometheus.Registerer) error {
	age := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "dodo_bulk_observe_last_scan_age_seconds",
		Help: "Age of the last complete scan (-1 before the first)."}, func() float64 {
		if d, ok := o.Age(); ok {
			return d.Seconds()
		}
		return -1
	})
	collectors := []prometheus.Collector{o.metrics.scans, o.metrics.pages, o.metrics.duration, age}
	errs := make([]error, 0, len(collectors))
	for _, c := range collectors {
		errs = append(errs, registerer.Register(c))
	}
	return errors.Join(errs...)
}

func (m *metrics) scanned(pages int, took time.Duration, err error) {
	result := "complete"
	if err != nil {
		result = "failed"
	}
	m.scans.WithLabelValues(result).Inc()
	m.pages.Add(float64(pages))
	m.duration.Observe(took.Seconds())
}
