package subscription

import (
	"errors"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
	"github.com/dodo-operator/dodo-operator/test/controllertest"
)

func withPaymentLink(sub *billingv1alpha1.Subscription) {
	sub.Spec.PaymentLink = ptr.To(true)
	sub.Spec.ReturnURL = "https://example.com/done"
}

func TestCreateWithPaymentLinkAwaitsPaymentThenBecomesActive(t *testing.T) {
	h := newHarness(t)
	sub := h.subscription("link", withPaymentLink, func(s *billingv1alpha1.Subscription) {
		s.Spec.Metadata = map[string]string{"team": "platform"}
	})
	h.settle("link")

	got := h.get("link")
	if got.Status.SubscriptionID == "" || got.Status.PaymentLink == "" || got.Status.PaymentLinkExpiresAt == nil {
		t.Fatalf("status after create: %+v", got.Status)
	}
	h.expectCondition(got, billingv1alpha1.ConditionReady, "False", billingv1alpha1.ReasonAwaitingPayment)
	h.expectEvent("waiting for the customer to complete the payment link")
	sims := h.simSubscriptions(sub)
	if len(sims) != 1 || sims[0].Metadata["k8s_name"] != "link" || sims[0].Metadata["team"] != "platform" {
		t.Fatalf("simulator subscriptions: %+v", sims)
	}

	if err := h.Sim.CompleteCheckout(got.Status.SubscriptionID, "4242424242424242"); err != nil {
		t.Fatal(err)
	}
	h.SimClock.Step(time.Minute)
	h.Sim.ProcessDue()
	h.update("link", func(s *billingv1alpha1.Subscription) {
		s.Annotations = map[string]string{billingv1alpha1.AnnotationReconcileRequestedAt: "now"}
	})
	h.settle("link")
	got = h.get("link")
	h.expectCondition(got, billingv1alpha1.ConditionReady, "True", billingv1alpha1.ReasonAvailable)
	h.expectCondition(got, billingv1alpha1.ConditionActive, "True", "Active")
	h.expectCondition(got, billingv1alpha1.ConditionSynced, "True", billingv1alpha1.ReasonReconcileSuccess)
	if got.Status.LastHandledReconcileAt != "now" || got.Status.ObservedGeneration != got.Generation {
		t.Fatalf("requested-at not echoed or generation not observed: %+v", got.Status)
	}
	if h.api.Count("CreateSubscription") != 1 {
		t.Fatalf("calls: %v", h.api.Counts())
	}
}

func TestOutcomeUnknownCreateEndsWithExactlyOneSubscription(t *testing.T) {
	h := newHarness(t)
	if err := h.Sim.SetFaults(simulator.Faults{Routes: map[string]simulator.RouteFaults{
		"POST /subscriptions": {FailAfterCommitRate: 1},
	}}); err != nil {
		t.Fatal(err)
	}
	sub := h.subscription("unknown")
	h.settle("unknown")
	got := h.get("unknown")
	if got.Status.SubscriptionID != "" || got.Status.CreatePendingSince == nil {
		t.Fatalf("after a lost answer: %+v", got.Status)
	}
	h.expectCondition(got, billingv1alpha1.ConditionSynced, "False", billingv1alpha1.ReasonReconcileError)
	h.expectEvent("CreateOutcomeUnknown")

	// Before the settle time nothing is looked up or created again.
	h.settle("unknown")
	if n := h.api.Count("CreateSubscription"); n != 1 {
		t.Fatalf("creates before settle: %d", n)
	}
	h.Clock.Step(31 * time.Second)
	h.settle("unknown")
	got = h.get("unknown")
	if len(h.simSubscriptions(sub)) != 1 || got.Status.SubscriptionID != h.simSubscriptions(sub)[0].SubscriptionID {
		t.Fatalf("want exactly one subscription, recorded in status; sim %d, status %q",
			len(h.simSubscriptions(sub)), got.Status.SubscriptionID)
	}
	if h.api.Count("CreateSubscription") != 1 || got.Status.CreatePendingSince != nil {
		t.Fatalf("calls %v, status %+v", h.api.Counts(), got.Status)
	}
	h.expectEvent("not creating again")
}

func TestCrashAfterCreateBeforeStatusWriteDoesNotCreateTwice(t *testing.T) {
	h := newHarness(t)
	sub := h.subscription("crash")
	h.api.CrashAfterNext("CreateSubscription")
	h.runCrashing("crash") // adds the finalizer, then dies in the create

	// The new process waits the settle time from its own start (the dead one's call was
	// sent before it), then finds the subscription instead of creating another.
	h.Clock.Step(time.Minute)
	h.settle("crash")
	if n := h.api.Count("CreateSubscription"); n != 1 || h.get("crash").Status.SubscriptionID != "" {
		t.Fatalf("before the settle time: creates %d, status %+v", n, h.get("crash").Status)
	}
	h.Clock.Step(31 * time.Second)
	h.settle("crash")
	got := h.get("crash")
	if n := len(h.simSubscriptions(sub)); n != 1 || got.Status.SubscriptionID == "" {
		t.Fatalf("simulator has %d subscriptions for the object; status %+v", n, got.Status)
	}
	if h.api.Count("CreateSubscription") != 1 {
		t.Fatalf("calls: %v", h.api.Counts())
	}
}

func TestCreateRefusedByDodoStallsWithoutRetrying(t *testing.T) {
	h := newHarness(t)
	sub := h.subscription("refused", func(s *billingv1alpha1.Subscription) { s.Spec.ProductID = "pdt_does_not_exist" })
	h.settle("refused")
	h.Clock.Step(2 * time.Hour)
	h.settle("refused")
	got := h.get("refused")
	h.expectCondition(got, billingv1alpha1.ConditionStalled, "True", billingv1alpha1.ReasonInvalidSpec)
	h.expectCondition(got, billingv1alpha1.ConditionReady, "False", billingv1alpha1.ReasonInvalidSpec)
	if n := h.api.Count("CreateSubscription"); n != 1 || len(h.simSubscriptions(sub)) != 0 || got.Status.CreatePendingSince != nil {
		t.Fatalf("creates %d, sim %d, status %+v", n, len(h.simSubscriptions(sub)), got.Status)
	}
	// A spec change is the way out.
	h.update("refused", func(s *billingv1alpha1.Subscription) { s.Spec.ProductID = "pdt_sim_basic" })
	h.settle("refused")
	if got := h.get("refused"); got.Status.SubscriptionID == "" || len(h.simSubscriptions(sub)) != 1 {
		t.Fatalf("after fixing the spec: %+v", got.Status)
	}
}

func activeSubscription(t *testing.T, h *harness, name string, mutate ...func(*billingv1alpha1.Subscription)) *billingv1alpha1.Subscription {
	t.Helper()
	sub := h.subscription(name, append([]func(*billingv1alpha1.Subscription){withPaymentLink}, mutate...)...)
	h.settle(name)
	if err := h.Sim.CompleteCheckout(h.get(name).Status.SubscriptionID, "4242424242424242"); err != nil {
		t.Fatal(err)
	}
	h.SimClock.Step(time.Minute)
	h.Sim.ProcessDue()
	h.Clock.Step(2 * time.Hour)
	h.settle(name)
	got := h.get(name)
	if got.Status.ProviderStatus != string(dodo.SubscriptionStatusActive) {
		t.Fatalf("subscription %s is %q, want active", name, got.Status.ProviderStatus)
	}
	return sub
}

func TestSteadyStateMakesNoWritesAndOneReadPerResync(t *testing.T) {
	h := newHarness(t)
	activeSubscription(t, h, "steady")
	before, calls, writes := h.api.Counts(), h.api.Total(), h.api.Writes()
	for range 5 { // reconciles inside the interval (watch events, status writes) call nothing
		h.Clock.Step(5 * time.Minute)
		h.settle("steady")
	}
	if h.api.Total() != calls {
		t.Fatalf("calls inside the resync interval: before %v after %v", before, h.api.Counts())
	}
	h.Clock.Step(time.Hour)
	h.settle("steady")
	after := h.api.Counts()
	if after["GetSubscription"] != before["GetSubscription"]+1 || h.api.Writes() != writes {
		t.Fatalf("after one resync: before %v after %v", before, after)
	}
}

func TestPlanChangeIsSentOnceAndNotOnTheNextResync(t *testing.T) {
	h := newHarness(t)
	sub := activeSubscription(t, h, "plan")
	h.update("plan", func(s *billingv1alpha1.Subscription) {
		s.Spec.ProductID, s.Spec.Quantity = "pdt_sim_pro", 2
		s.Spec.PlanChange = &billingv1alpha1.PlanChangeSpec{ProrationBillingMode: "do_not_bill"}
	})
	h.settle("plan")
	h.expectCondition(h.get("plan"), billingv1alpha1.ConditionReady, "False", billingv1alpha1.ReasonPlanChangePending)
	// Dodo applied it at once: the first recheck, 10 s later, not the hourly resync, shows it.
	h.Clock.Step(planRecheckFirst)
	if res, err := h.run("plan"); err != nil || res.RequeueAfter < 50*time.Minute {
		t.Fatalf("recheck: %v %v", res, err)
	}
	h.expectCondition(h.get("plan"), billingv1alpha1.ConditionReady, "True", billingv1alpha1.ReasonAvailable)
	h.Clock.Step(2 * time.Hour)
	h.settle("plan")
	if n := h.api.Count("ChangePlan"); n != 1 {
		t.Fatalf("change-plan calls: %d", n)
	}
	sims := h.simSubscriptions(sub)
	if sims[0].ProductID != "pdt_sim_pro" || sims[0].Quantity != 2 {
		t.Fatalf("simulator plan: %s x%d", sims[0].ProductID, sims[0].Quantity)
	}
	got := h.get("plan")
	h.expectCondition(got, billingv1alpha1.ConditionReady, "True", billingv1alpha1.ReasonAvailable)
	if got.Status.LastPlanChangeRequest != nil {
		t.Fatalf("applied plan change still pending in status: %+v", got.Status.LastPlanChangeRequest)
	}
	h.expectEvent("PlanChanged")
}

func TestFieldChangesArePatchedOnlyWhenDrifted(t *testing.T) {
	h := newHarness(t)
	sub := activeSubscription(t, h, "fields")
	h.update("fields", func(s *billingv1alpha1.Subscription) {
		s.Spec.Metadata = map[string]string{"cost_center": "42"}
		s.Spec.Billing.City = "Austin"
		s.Spec.CancelAtNextBillingDate = ptr.To(true)
	})
	h.settle("fields")
	sims := h.simSubscriptions(sub)
	if sims[0].Metadata["cost_center"] != "42" || ptr.Deref(sims[0].Billing.City, "") != "Austin" || !sims[0].CancelAtNextBillingDate {
		t.Fatalf("simulator after patch: %+v", sims[0].Subscription)
	}
	if n := h.api.Count("UpdateSubscription"); n != 1 {
		t.Fatalf("PATCH calls: %d", n)
	}
	h.Clock.Step(2 * time.Hour)
	h.settle("fields")
	if n := h.api.Count("UpdateSubscription"); n != 1 {
		t.Fatalf("PATCH calls after a resync with no drift: %d", n)
	}
	if got := h.get("fields"); !got.Status.CancelAtNextBillingDate {
		t.Fatalf("status does not mirror the scheduled cancellation: %+v", got.Status)
	}
}

func TestPauseMakesNoCalls(t *testing.T) {
	h := newHarness(t)
	h.subscription("paused", func(s *billingv1alpha1.Subscription) {
		s.Annotations = map[string]string{billingv1alpha1.AnnotationPaused: "true"}
	})
	h.settle("paused")
	h.Clock.Step(3 * time.Hour)
	h.settle("paused")
	if h.api.Total() != 0 {
		t.Fatalf("calls while paused: %v", h.api.Counts())
	}
	got := h.get("paused")
	h.expectCondition(got, billingv1alpha1.ConditionSynced, "False", billingv1alpha1.ReasonPaused)
	h.expectEvent("Reconciliation paused")
	h.update("paused", func(s *billingv1alpha1.Subscription) { delete(s.Annotations, billingv1alpha1.AnnotationPaused) })
	h.settle("paused")
	if got := h.get("paused"); got.Status.SubscriptionID == "" {
		t.Fatal("unpausing did not resume work")
	}
}

var _ = errors.New

func TestCreatedIDSurvivesAWebhookWriteDuringTheReconcile(t *testing.T) {
	// Found by the fault suite: the receiver's status write landed between the create and
	// the reconcile's status patch, the patch conflicted, and the ID had to be looked up.
	h := newHarness(t)
	sub := h.subscription("raced")
	h.api.AfterNext("CreateSubscription", func() {
		got := h.get("raced")
		got.Status.RecentWebhookIDs = []string{"msg_receiver"}
		if err := env.Client.Status().Update(h.Ctx, got); err != nil {
			t.Error(err)
		}
	})
	h.settle("raced")
	got := h.get("raced")
	if got.Status.SubscriptionID == "" || got.Status.CreatePendingSince != nil || len(got.Status.RecentWebhookIDs) != 1 {
		t.Fatalf("status after the race: %+v", got.Status)
	}
	if n := h.api.Count("ListAllSubscriptions"); n != 0 || len(h.simSubscriptions(sub)) != 1 {
		t.Fatalf("looked the ID up %d times; simulator has %d", n, len(h.simSubscriptions(sub)))
	}
}

func TestAWebhookWriteDuringTheReadIsKeptAndTheReadIsNotRepeated(t *testing.T) {
	// The benchmark's create-time race: the receiver applies an event between the
	// operator's read of Dodo and its status write. The write is laid over the receiver's
	// instead of dropped, so Dodo is not read again and the receiver's state stays.
	h := newHarness(t)
	h.subscription("read-raced")
	h.settle("read-raced")
	h.Clock.Step(2 * time.Hour) // past the resync, whatever this object's ±10% spread
	h.api.AfterNext("GetSubscription", func() {
		got := h.get("read-raced")
		got.Status.ProviderStatus = "on_hold"
		got.Status.LastWebhookEvent = &billingv1alpha1.WebhookEventRef{ID: "msg_hold", Type: "subscription.on_hold",
			Timestamp: metav1.NewTime(controllertest.T0)}
		got.Status.RecentWebhookIDs = []string{"msg_hold"}
		if err := env.Client.Status().Update(h.Ctx, got); err != nil {
			t.Error(err)
		}
	})
	reads := h.api.Count("GetSubscription")
	res, err := h.run("read-raced")
	if err != nil || res.RequeueAfter < 50*time.Minute {
		t.Fatalf("reconcile: %v %v; want the next resync, not a conflict requeue", res, err)
	}
	got := h.get("read-raced")
	if n := h.api.Count("GetSubscription") - reads; n != 1 {
		t.Fatalf("read Dodo %d times; want 1", n)
	}
	if got.Status.LastObservedAt == nil || !got.Status.LastObservedAt.Time.Equal(h.Clock.Now().Truncate(time.Second)) ||
		got.Status.ProviderStatus != "on_hold" || len(got.Status.RecentWebhookIDs) != 1 {
		t.Fatalf("status after the race: %+v", got.Status)
	}
	h.expectCondition(got, billingv1alpha1.ConditionOnHold, "True", "PaymentFailed")
	h.expectCondition(got, billingv1alpha1.ConditionReady, "False", "PaymentFailed")
}
