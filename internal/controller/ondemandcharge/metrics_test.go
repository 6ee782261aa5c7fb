package ondemandcharge

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/controller/conditions"
)

func metricsScope(phase billingv1alpha1.ChargePhase, attempts ...billingv1alpha1.ChargeAttempt) *scope {
	charge := &billingv1alpha1.OnDemandCharge{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "usage"}}
	charge.Status.Phase = phase
	charge.Status.Attempts = attempts
	return &scope{charge: charge}
}

func metricsAttempt(number int32, outcome billingv1alpha1.AttemptOutcome, code string) billingv1alpha1.ChargeAttempt {
	return billingv1alpha1.ChargeAttempt{Number: number, Via: billingv1alpha1.AttemptViaCharge, Outcome: outcome, DeclineCode: code}
}

func TestMetricsCountEachAttemptOnce(t *testing.T) {
	registry := prometheus.NewRegistry()
	m := NewMetrics(registry)
	declined := metricsAttempt(1, billingv1alpha1.AttemptFailed, "INSUFFICIENT_FUNDS")
	steps := []*scope{
		metricsScope(billingv1alpha1.ChargePhaseWaiting),
		metricsScope(billingv1alpha1.ChargePhaseCharging, metricsAttempt(1, billingv1alpha1.AttemptPending, "")),
		metricsScope(billingv1alpha1.ChargePhaseRetryScheduled, declined),
		metricsScope(billingv1alpha1.ChargePhaseRetryScheduled, declined), // a reconcile that changed nothing
		metricsScope(billingv1alpha1.ChargePhaseSucceeded, declined, metricsAttempt(2, billingv1alpha1.AttemptSucceeded, "")),
	}
	for _, s := range steps {
		m.observe(s, nil)
	}
	want := map[string]float64{
		"started":   testutil.ToFloat64(m.started.WithLabelValues("Charge")),
		"failed":    testutil.ToFloat64(m.outcomes.WithLabelValues("Charge", "Failed")),
		"succeeded": testutil.ToFloat64(m.outcomes.WithLabelValues("Charge", "Succeeded")),
		"declines":  testutil.ToFloat64(m.declines.WithLabelValues("INSUFFICIENT_FUNDS")),
		"inSuccess": testutil.ToFloat64(m.phases.WithLabelValues("Succeeded")),
		"inRetry":   testutil.ToFloat64(m.phases.WithLabelValues("RetryScheduled")),
	}
	expected := map[string]float64{"started": 2, "failed": 1, "succeeded": 1, "declines": 1, "inSuccess": 1, "inRetry": 0}
	for k, v := range expected {
		if want[k] != v {
			t.Errorf("%s = %v, want %v", k, want[k], v)
		}
	}
	m.forget(types.NamespacedName{Namespace: "team", Name: "usage"})
	if got := testutil.ToFloat64(m.phases.WithLabelValues("Succeeded")); got != 0 {
		t.Errorf("a deleted charge still counted in its phase: %v", got)
	}
}

func TestMetricsAfterRestartDoNotCountHistory(t *testing.T) {
	m := NewMetrics(prometheus.NewRegistry())
	m.observe(metricsScope(billingv1alpha1.ChargePhaseFailed,
		metricsAttempt(1, billingv1alpha1.AttemptFailed, "INSUFFICIENT_FUNDS"),
		metricsAttempt(2, billingv1alpha1.AttemptFailed, "DO_NOT_HONOR")), nil)
	if n := testutil.CollectAndCount(m.declines); n != 0 {
		t.Errorf("history counted as new declines: %d series", n)
	}
	if got := testutil.ToFloat64(m.phases.WithLabelValues("Failed")); got != 1 {
		t.Errorf("phase gauge = %v, want 1", got)
	}
}

func TestMetricsCountStallsUnderTheChargeController(t *testing.T) {
	registry := prometheus.NewRegistry()
	m := NewMetrics(registry)
	s := metricsScope(billingv1alpha1.ChargePhaseCharging)
	s.out.stalled = &conditions.Why{Reason: billingv1alpha1.ReasonPaymentOutcomeUnknown}
	m.observe(s, nil)
	if n := testutil.CollectAndCount(registry, "dodo_reconcile_errors_total"); n != 1 {
		t.Errorf("stall series = %d, want 1", n)
	}
}
