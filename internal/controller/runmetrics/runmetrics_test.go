package runmetrics

import (
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestSharedAcrossControllers(t *testing.T) {
	registry := prometheus.NewRegistry()
	subscriptions, charges := New(registry), New(registry) // the second reuses the first's
	subscriptions.Ended("subscription", "", errors.New("dodo: 500"))
	charges.Ended("ondemandcharge", "PaymentOutcomeUnknown", nil)
	charges.Ended("ondemandcharge", "", nil)
	if got := testutil.ToFloat64(subscriptions.errors.WithLabelValues("subscription", reasonError)); got != 1 {
		t.Errorf("subscription errors = %v, want 1", got)
	}
	if got := testutil.ToFloat64(subscriptions.errors.WithLabelValues("ondemandcharge", "PaymentOutcomeUnknown")); got != 1 {
		t.Errorf("charge stalls seen through the shared counter = %v, want 1", got)
	}
	if n := testutil.CollectAndCount(subscriptions.errors); n != 2 {
		t.Errorf("series = %d, want 2 (a clean reconcile counts nothing)", n)
	}
	charges.Calls("ondemandcharge", 2, 1)
	if n := testutil.CollectAndCount(registry, "dodo_api_calls_per_reconcile"); n != 2 {
		t.Errorf("calls series = %d, want read and write", n)
	}
	var nilRuns *Runs
	nilRuns.Ended("x", "", errors.New("ignored")) // records nothing, no panic
}
