// Package runmetrics holds the reconcile metrics every controller shares, labelled with
// the controller's name, so dashboards and alerts read both controllers from one series.
package runmetrics

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

// reasonError is the reason of dodo_reconcile_errors_total for an error that is not a stall.
const reasonError = billingv1alpha1.ReasonReconcileError

// Runs records how reconciles end. A nil *Runs records nothing.
type Runs struct {
	errors      *prometheus.CounterVec
	callsPerRun *prometheus.HistogramVec
}

// New registers the shared metrics on registerer, or reuses them when another controller
// registered them first.
func New(registerer prometheus.Registerer) *Runs {
	return &Runs{
		errors: register(registerer, prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dodo_reconcile_errors_total",
			Help: "Reconciles that ended in an error or a stall, by controller and reason."}, []string{"controller", "reason"})),
		callsPerRun: register(registerer, prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "dodo_api_calls_per_reconcile",
			Help: "Payments API calls made by one reconcile.", Buckets: []float64{0, 1, 2, 3, 5, 8, 13}},
			[]string{"controller", "kind"})),
	}
}

func register[C prometheus.Collector](registerer prometheus.Registerer, collector C) C {
	err := registerer.Register(collector)
	var already prometheus.AlreadyRegisteredError
	if errors.As(err, &already) {
		if existing, ok := already.ExistingCollector.(C); ok {
			return existing
		}
	}
	if err != nil {
		panic(err) // a programming error: two different metrics under one name
	}
	return collector
}

// Ended counts a reconcile that ended stalled (stallReason set) or with an error.
func (r *Runs) Ended(controller, stallReason string, err error) {
	if r == nil {
		return
	}
	switch {
	case stallReason != "":
		r.errors.WithLabelValues(controller, stallReason).Inc()
	case err != nil:
		r.errors.WithLabelValues(controller, reasonError).Inc()
	}
}

// Calls records the payments API reads and writes one reconcile made.
func (r *Runs) Calls(controller string, reads, writes int) {
	if r == nil {
		return
	}
	r.callsPerRun.WithLabelValues(controller, "read").Observe(float64(reads))
	r.callsPerRun.WithLabelValues(controller, "write").Observe(float64(writes))
}
