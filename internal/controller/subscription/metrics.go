package subscription

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

// Metrics are the controller's Prometheus metrics. A nil *Metrics records nothing.
type Metrics struct {
	status         *prometheus.GaugeVec
	paused         *prometheus.GaugeVec
	errors         *prometheus.CounterVec
	callsPerRun    *prometheus.HistogramVec
	mu             sync.Mutex
	lastStatusByNN map[types.NamespacedName]string
}

// NewMetrics registers the controller's metrics.
func NewMetrics(registerer prometheus.Registerer) *Metrics {
	m := &Metrics{
		status: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "dodo_subscription_status",
			Help: "1 for each Subscription, labelled with Dodo's status and the Ready condition."},
			[]string{"namespace", "name", "provider_status", "ready"}),
		paused: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "dodo_subscription_paused",
			Help: "1 while a Subscription carries the paused annotation."}, []string{"namespace", "name"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dodo_reconcile_errors_total",
			Help: "Reconciles that ended in an error or a stall, by reason."}, []string{"controller", "reason"}),
		callsPerRun: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "dodo_api_calls_per_reconcile",
			Help: "Payments API calls made by one reconcile.", Buckets: []float64{0, 1, 2, 3, 5, 8, 13}},
			[]string{"controller", "kind"}),
		lastStatusByNN: map[types.NamespacedName]string{},
	}
	registerer.MustRegister(m.status, m.paused, m.errors, m.callsPerRun)
	return m
}

func (m *Metrics) observe(s *scope, err error) {
	if m == nil {
		return
	}
	m.callsPerRun.WithLabelValues("subscription", "read").Observe(float64(s.api.reads))
	m.callsPerRun.WithLabelValues("subscription", "write").Observe(float64(s.api.write))
	switch {
	case s.out.stalled != nil:
		m.errors.WithLabelValues("subscription", s.out.stalled.Reason).Inc()
	case err != nil:
		m.errors.WithLabelValues("subscription", billingv1alpha1.ReasonReconcileError).Inc()
	}
	nn := types.NamespacedName{Namespace: s.sub.Namespace, Name: s.sub.Name}
	paused := 0.0
	if s.out.paused {
		paused = 1
	}
	m.paused.WithLabelValues(nn.Namespace, nn.Name).Set(paused)
	ready := "Unknown"
	if c := meta.FindStatusCondition(s.sub.Status.Conditions, billingv1alpha1.ConditionReady); c != nil {
		ready = string(c.Status)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.lastStatusByNN[nn]; ok {
		m.status.DeleteLabelValues(append([]string{nn.Namespace, nn.Name}, splitLabel(old)...)...)
	}
	label := s.sub.Status.ProviderStatus + "\x00" + ready
	m.lastStatusByNN[nn] = label
	m.status.WithLabelValues(nn.Namespace, nn.Name, s.sub.Status.ProviderStatus, ready).Set(1)
}

func (m *Metrics) forget(nn types.NamespacedName) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.lastStatusByNN[nn]; ok {
		m.status.DeleteLabelValues(append([]string{nn.Namespace, nn.Name}, splitLabel(old)...)...)
		delete(m.lastStatusByNN, nn)
	}
	m.paused.DeleteLabelValues(nn.Namespace, nn.Name)
}

func splitLabel(label string) []string {
	for i := range len(label) {
		if label[i] == 0 {
			return []string{label[:i], label[i+1:]}
		}
	}
	return []string{label, ""}
}
