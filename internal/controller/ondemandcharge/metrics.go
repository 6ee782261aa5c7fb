package ondemandcharge

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/controller/runmetrics"
)

const controllerName = "ondemandcharge"

// Metrics are the charge controller's Prometheus metrics. A nil *Metrics records nothing.
//
// Attempts and declines are counted when this process first sees them, whoever learned
// them (the receiver's webhook or a lookup); a charge first seen after a restart is taken
// as it stands, so a restart never counts history again.
type Metrics struct {
	runs     *runmetrics.Runs
	phases   *prometheus.GaugeVec
	started  *prometheus.CounterVec
	outcomes *prometheus.CounterVec
	declines *prometheus.CounterVec
	mu       sync.Mutex
	seen     map[types.NamespacedName]chargeSeen
}

// chargeSeen is what the metrics last counted of one charge.
type chargeSeen struct {
	phase    billingv1alpha1.ChargePhase
	attempts int // attempts counted as started
	settled  int // attempts, oldest first, whose outcome was counted
}

// NewMetrics registers the charge metrics (and the shared reconcile metrics).
func NewMetrics(registerer prometheus.Registerer) *Metrics {
	m := &Metrics{
		runs: runmetrics.New(registerer),
		phases: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "dodo_ondemandcharges",
			Help: "OnDemandCharges by phase."}, []string{"phase"}),
		started: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dodo_ondemandcharge_attempts_started_total",
			Help: "Charge attempts recorded before their call, by way (Charge or Dues)."}, []string{"via"}),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dodo_ondemandcharge_attempt_outcomes_total",
			Help: "Charge attempts whose outcome became known, by way and outcome."}, []string{"via", "outcome"}),
		declines: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dodo_ondemandcharge_declines_total",
			Help: "Declined charge attempts by Dodo's decline code."}, []string{"code"}),
		seen: map[types.NamespacedName]chargeSeen{},
	}
	registerer.MustRegister(m.phases, m.started, m.outcomes, m.declines)
	return m
}

func (m *Metrics) observe(s *scope, err error) {
	if m == nil {
		return
	}
	stallReason := ""
	if s.out.stalled != nil {
		stallReason = s.out.stalled.Reason
	}
	m.runs.Ended(controllerName, stallReason, err)
	nn := types.NamespacedName{Namespace: s.charge.Namespace, Name: s.charge.Name}
	st := &s.charge.Status
	m.mu.Lock()
	defer m.mu.Unlock()
	last, known := m.seen[nn]
	now := chargeSeen{phase: st.Phase, attempts: len(st.Attempts), settled: settledPrefix(st.Attempts)}
	if known {
		m.count(st.Attempts, last, now)
		m.phases.WithLabelValues(string(last.phase)).Dec()
	}
	m.phases.WithLabelValues(string(now.phase)).Inc()
	m.seen[nn] = now
}

// count adds the attempts started and settled since last.
func (m *Metrics) count(attempts []billingv1alpha1.ChargeAttempt, last, now chargeSeen) {
	for _, a := range attempts[min(last.attempts, now.attempts):now.attempts] {
		m.started.WithLabelValues(string(a.Via)).Inc()
	}
	for _, a := range attempts[min(last.settled, now.settled):now.settled] {
		m.outcomes.WithLabelValues(string(a.Via), string(a.Outcome)).Inc()
		if a.Outcome == billingv1alpha1.AttemptFailed && a.DeclineCode != "" {
			m.declines.WithLabelValues(a.DeclineCode).Inc()
		}
	}
}

// settledPrefix is how many attempts, oldest first, have a known outcome.
func settledPrefix(attempts []billingv1alpha1.ChargeAttempt) int {
	for i, a := range attempts {
		if a.Outcome == billingv1alpha1.AttemptPending {
			return i
		}
	}
	return len(attempts)
}

func (m *Metrics) forget(nn types.NamespacedName) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if last, ok := m.seen[nn]; ok {
		m.phases.WithLabelValues(string(last.phase)).Dec()
		delete(m.seen, nn)
	}
}
