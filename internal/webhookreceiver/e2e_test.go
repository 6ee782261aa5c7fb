package webhookreceiver

import (
	"context"
	"strings"
	"testing"

	"k8s.io/client-go/tools/events"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
	"github.com/dodo-operator/dodo-operator/test/eventstest"
)

// TestLifecycleDrivenByWebhooksAlone: no controller runs; every change after the create
// reaches the Subscription through the simulator's signed webhooks over real HTTP.
func TestLifecycleDrivenByWebhooksAlone(t *testing.T) {
	f := newFixture(t)
	h := newSimHarness(t, f, f.receiver)
	type conditions struct{ provider, active, onHold, failed string }
	want := map[lifecycleStep]conditions{
		stepPending:    {"pending", "False/Pending", "False/NotOnHold", "False/NotFailed"},
		stepActive:     {"active", "True/Active", "False/NotOnHold", "False/NotFailed"},
		stepOnHold:     {"on_hold", "False/OnHold", "True/InsufficientFunds", "False/NotFailed"},
		stepReactivate: {"active", "True/Active", "False/NotOnHold", "False/NotFailed"},
	}
	subscriptionID := h.runLifecycle(f, "lifecycle", func(step lifecycleStep) {
		st := f.subscription("lifecycle").Status
		got := conditions{st.ProviderStatus, conditionOf(st.Conditions, billingv1alpha1.ConditionActive),
			conditionOf(st.Conditions, billingv1alpha1.ConditionOnHold), conditionOf(st.Conditions, billingv1alpha1.ConditionFailed)}
		assertEqual(t, string(step), got, want[step])
		if step == stepOnHold {
			assertEqual(t, "decline code of the failed renewal", st.LastPayment.DeclineCode, "INSUFFICIENT_FUNDS")
		}
	})

	st := f.subscription("lifecycle").Status
	assertEqual(t, "the controller's subscriptionID", st.SubscriptionID, subscriptionID)
	// Ready follows the events, set by the receiver as the controller would set it.
	assertEqual(t, "Ready after the reactivation", conditionOf(st.Conditions, billingv1alpha1.ConditionReady),
		"True/"+billingv1alpha1.ReasonAvailable)
	assertEqual(t, "last payment is the dues payment", st.LastPayment.Status, string(dodo.PaymentStatusSucceeded))
	if st.NextBillingDate == nil || st.PaymentMethodID == "" || len(st.RecentWebhookIDs) == 0 {
		t.Fatalf("mirror or bookkeeping missing: %+v", st)
	}
	for _, d := range h.sim.Deliveries() {
		if len(d.Attempts) != 1 || d.Status != simulator.DeliveryDelivered {
			t.Fatalf("delivery %s of %s needed %d attempts (%s)", d.WebhookID, d.EventType, len(d.Attempts), d.Status)
		}
	}
	assertEqual(t, "errors", f.count(string(dodo.EventSubscriptionOnHold), outcomeError), 0.0)
	if f.count(string(dodo.EventSubscriptionOnHold), outcomeApplied) != 1 || f.count(string(dodo.EventPaymentFailed), outcomeApplied) != 1 {
		t.Fatal("the on_hold and payment.failed deliveries were not counted as applied")
	}
	if logs := f.logs.String(); strings.Contains(logs, "decline_insufficient_funds") || strings.Contains(logs, "MfKQ9r8") {
		t.Fatalf("logs carry payload content or the secret:\n%s", logs)
	}
}

// TestChargeAttemptsFromWebhooks: a charge whose response was lost is matched by its
// stamp, a declined one puts the subscription on hold with the decline code, and a dues
// payment (which carries the subscription's stamp) is matched by its recorded payment ID.
func TestChargeAttemptsFromWebhooks(t *testing.T) {
	recorder := events.NewFakeRecorder(100)
	f := newFixture(t, func(o *Options) { o.Recorder = recorder })
	h := newSimHarness(t, f, f.receiver)
	ctx := context.Background()
	good := h.onDemandSubscription(f, "good", "buyer@example.com")
	declining := h.onDemandSubscription(f, "declining", "ops+decline_card_declined@example.com")

	paid := f.createCharge("paid", "good", firstAttempt(""))
	charged, err := h.api.Charge(ctx, good, dodo.ChargeRequest{ProductPrice: 2500, Metadata: chargeStampFor(paid, 0)})
	if err != nil {
		t.Fatalf("charge: %v", err)
	}
	refused := f.createCharge("refused", "declining", firstAttempt(""))
	if _, err := h.api.Charge(ctx, declining, dodo.ChargeRequest{ProductPrice: 2500, Metadata: chargeStampFor(refused, 0)}); err != nil {
		t.Fatalf("charge: %v", err)
	}
	h.sim.Advance(simulator.DefaultSettleDelay)
	h.flush()

	attempt := f.charge("paid").Status.Attempts[0]
	assertEqual(t, "outcome", attempt.Outcome, billingv1alpha1.AttemptSucceeded)
	assertEqual(t, "payment ID learnt from the webhook", attempt.PaymentID, charged.PaymentID)
	attempt = f.charge("refused").Status.Attempts[0]
	assertEqual(t, "declined outcome", attempt.Outcome, billingv1alpha1.AttemptFailed)
	assertEqual(t, "decline code", attempt.DeclineCode, "CARD_DECLINED")
	st := f.subscription("declining").Status
	assertEqual(t, "OnHold", conditionOf(st.Conditions, billingv1alpha1.ConditionOnHold), "True/CardDeclined")
	// The receiver stored the change to on_hold and the attempts' outcomes, so it tells
	// them: one Event each.
	told := eventstest.Drain(recorder)
	assertEqual(t, "on_hold events", eventstest.Count(told, "Warning SubscriptionOnHold"), 1)
	assertEqual(t, "decline events", eventstest.Count(told, "Warning ChargeDeclined Attempt 1 (payment "), 1)
	assertEqual(t, "decline code in the event", eventstest.Count(told, "CARD_DECLINED"), 2) // on_hold's note names it too
	assertEqual(t, "success events", eventstest.Count(told, "Normal ChargeSucceeded Attempt 1 (payment "+charged.PaymentID+") succeeded"), 1)

	// The retry of an on_hold charge is a dues payment on the saved method (9.2).
	sub, err := h.api.GetSubscription(ctx, declining)
	if err != nil || sub.PaymentMethodID == nil {
		t.Fatalf("reading the subscription: %v", err)
	}
	dues, err := h.api.UpdatePaymentMethod(ctx, declining, dodo.UseExistingPaymentMethod(*sub.PaymentMethodID))
	if err != nil || dues.PaymentID == nil {
		t.Fatalf("dues payment: %v", err)
	}
	f.addAttempt("refused", billingv1alpha1.ChargeAttempt{Number: 2, PaymentID: *dues.PaymentID, Via: billingv1alpha1.AttemptViaDues,
		StartedAt: attempt.StartedAt, Outcome: billingv1alpha1.AttemptPending})
	f.waitChargeIndexed(*dues.PaymentID)
	h.sim.Advance(simulator.DefaultSettleDelay)
	h.flush()
	attempt = f.charge("refused").Status.Attempts[1]
	assertEqual(t, "dues attempt", attempt.Outcome, billingv1alpha1.AttemptFailed)
	assertEqual(t, "dues decline", attempt.DeclineCode, "CARD_DECLINED")
}

// onDemandSubscription creates a mandate-only on-demand subscription, active at once, and
// its Subscription object with the ID recorded.
func (h *simHarness) onDemandSubscription(f *fixture, name, email string) string {
	h.t.Helper()
	obj := f.createSubscription(name)
	created, err := h.api.CreateSubscription(context.Background(), dodo.CreateSubscriptionRequest{
		ProductID: "pdt_sim_on_demand", Quantity: 1, Billing: dodo.BillingAddress{Country: "US"},
		Customer: dodo.NewCustomer(email, "Buyer", ""), OnDemand: &dodo.OnDemand{MandateOnly: true}, Metadata: stampOf(obj),
	})
	if err != nil {
		h.t.Fatalf("creating the on-demand subscription: %v", err)
	}
	f.recordSubscriptionID(name, created.SubscriptionID)
	h.flush()
	assertEqual(h.t, "active", f.subscription(name).Status.ProviderStatus, "active")
	return created.SubscriptionID
}
