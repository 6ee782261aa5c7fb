package webhookreceiver

import (
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// TestDuplicatesAndShufflesEndInTheSameStatus records the whole lifecycle's deliveries as
// the simulator sent them, then replays them in order, each three times, and shuffled:
// every replay must end in the same status.
func TestDuplicatesAndShufflesEndInTheSameStatus(t *testing.T) {
	f := newFixture(t)
	rec := &recorder{}
	h := newSimHarness(t, f, rec)
	subscriptionID := h.runLifecycle(f, "ordering", func(lifecycleStep) {})
	deliveries := rec.recorded()
	if len(deliveries) < 8 {
		t.Fatalf("only %d deliveries recorded", len(deliveries))
	}
	replay := func(order []recordedDelivery) string {
		t.Helper()
		f.resetStatus("ordering", subscriptionID)
		for i, d := range order {
			if code := f.post(d.header, d.body); code != http.StatusOK {
				t.Fatalf("delivery %d (%s): status %d", i, d.header.Get("webhook-id"), code)
			}
		}
		return comparableStatus(t, f.subscription("ordering").Status)
	}

	inOrder := replay(deliveries)
	final := f.subscription("ordering").Status
	assertEqual(t, "in order: provider status", final.ProviderStatus, "active")
	assertEqual(t, "in order: Active", conditionOf(final.Conditions, billingv1alpha1.ConditionActive), "True/Active")
	assertEqual(t, "in order: OnHold", conditionOf(final.Conditions, billingv1alpha1.ConditionOnHold), "False/NotOnHold")
	assertEqual(t, "in order: last payment", final.LastPayment.Status, string(dodo.PaymentStatusSucceeded))

	rng := rand.New(rand.NewPCG(5, 2026))
	for round := range 3 {
		shuffled := append([]recordedDelivery(nil), deliveries...)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		assertEqual(t, "shuffled round "+string(rune('1'+round)), replay(shuffled), inOrder)
	}

	if f.total(outcomeStale) == 0 {
		t.Fatal("no shuffle delivered an older event after a newer one: the test proves nothing")
	}

	duplicatesBefore := f.count(string(dodo.EventSubscriptionUpdated), outcomeDuplicate)
	tripled := make([]recordedDelivery, 0, 3*len(deliveries))
	for _, d := range deliveries {
		tripled = append(tripled, d, d, d)
	}
	rng.Shuffle(len(tripled), func(i, j int) { tripled[i], tripled[j] = tripled[j], tripled[i] })
	assertEqual(t, "each delivered three times, shuffled", replay(tripled), inOrder)
	if f.count(string(dodo.EventSubscriptionUpdated), outcomeDuplicate)-duplicatesBefore < 2 {
		t.Fatal("redeliveries were not counted as duplicates")
	}
	assertEqual(t, "the controller's field", f.subscription("ordering").Status.SubscriptionID, subscriptionID)
}

// comparableStatus is the status without what legitimately depends on delivery order:
// which webhook-ids were written (a no-op delivery is not), which of two events of the
// same second is named last, and when a condition last flipped.
func comparableStatus(t *testing.T, st billingv1alpha1.SubscriptionStatus) string {
	t.Helper()
	st.RecentWebhookIDs = nil
	if st.LastWebhookEvent != nil {
		st.LastWebhookEvent = &billingv1alpha1.WebhookEventRef{Timestamp: st.LastWebhookEvent.Timestamp,
			SubsecondNanos: st.LastWebhookEvent.SubsecondNanos}
	}
	for i := range st.Conditions {
		st.Conditions[i].LastTransitionTime = metav1.Time{}
	}
	out, err := json.Marshal(st)
	if err != nil {
		t.Fatalf("encoding status: %v", err)
	}
	return string(out)
}
