package subscription

import (
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
	"github.com/dodo-operator/dodo-operator/test/eventstest"
)

// A refused adoption must never act on the owner's subscription: deleting the refused
// object with deletionPolicy Cancel leaves it untouched. An object written by an older
// operator may hold the refused ID in status already: the next read drops it.
func TestRefusedAdoptionNeverActsOnTheOwnersSubscription(t *testing.T) {
	for name, recordedEarlier := range map[string]bool{"refused at the first read": false, "recorded by an older operator": true} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			activeSubscription(t, h, "owner")
			id := h.get("owner").Status.SubscriptionID
			h.subscription("thief", func(s *billingv1alpha1.Subscription) {
				s.Spec.Adopt = &billingv1alpha1.AdoptSpec{SubscriptionID: id}
				s.Spec.DeletionPolicy = billingv1alpha1.DeletionPolicyCancel
				if recordedEarlier {
					s.Finalizers = []string{Finalizer} // as an older operator left it, before any read
				}
			})
			if recordedEarlier {
				legacy := h.get("thief")
				legacy.Status.SubscriptionID = id
				if err := env.Client.Status().Update(h.Ctx, legacy); err != nil {
					t.Fatal(err)
				}
			}
			h.settle("thief")
			got := h.get("thief")
			h.expectCondition(got, billingv1alpha1.ConditionStalled, "True", billingv1alpha1.ReasonAdoptionRefused)
			if got.Status.SubscriptionID != "" {
				t.Fatalf("a refused adoption recorded %q as the managed subscription", got.Status.SubscriptionID)
			}
			h.deleteAndSettle("thief")
			expectUntouched(t, h, id)
		})
	}
}

func expectUntouched(t *testing.T, h *harness, id string) {
	t.Helper()
	if n := h.api.Count("UpdateSubscription"); n != 0 {
		t.Fatalf("%d writes to a subscription owned by another object", n)
	}
	for _, s := range h.Sim.State().Subscriptions {
		if s.SubscriptionID == id && (s.Status != dodo.SubscriptionStatusActive || s.CancelAtNextBillingDate) {
			t.Fatalf("the owner's subscription was changed: %s cancelAtEnd=%v", s.Status, s.CancelAtNextBillingDate)
		}
	}
}

func (h *harness) deleteAndSettle(name string) {
	h.T.Helper()
	if err := env.Client.Delete(h.Ctx, h.get(name)); err != nil {
		h.T.Fatal(err)
	}
	h.settle(name)
	err := env.Client.Get(h.Ctx, client.ObjectKey{Namespace: h.NS, Name: name}, &billingv1alpha1.Subscription{})
	if !apierrors.IsNotFound(err) {
		h.T.Fatalf("%s still there after deletion: %v", name, err)
	}
}

// The change-plan marker is stored before the call: a process that dies right after Dodo
// took the call never sends it again.
func TestPlanChangeIsNotSentTwiceWhenTheProcessDiesAfterTheCall(t *testing.T) {
	h := newHarness(t)
	activeSubscription(t, h, "plan")
	// prevent_change: Dodo switches the plan only once the proration payment succeeds, so
	// right after the crash the subscription still shows the old plan.
	h.update("plan", func(s *billingv1alpha1.Subscription) {
		s.Spec.Quantity = 3
		s.Spec.PlanChange = &billingv1alpha1.PlanChangeSpec{OnPaymentFailure: "prevent_change"}
	})
	h.api.CrashAfterNext("ChangePlan")
	h.runCrashing("plan")
	h.settle("plan")
	h.Clock.Step(2 * time.Hour) // the next read, before Dodo applied the change
	h.settle("plan")
	h.SimClock.Step(time.Minute)
	h.Sim.ProcessDue()
	h.Clock.Step(2 * time.Hour)
	h.settle("plan")
	if n := h.api.Count("ChangePlan"); n != 1 {
		t.Fatalf("change-plan calls for one requested plan: %d", n)
	}
	h.expectCondition(h.get("plan"), billingv1alpha1.ConditionReady, "True", billingv1alpha1.ReasonAvailable)
}

// The same for update-payment-method, which on an on_hold subscription charges the dues.
func TestPaymentMethodUpdateIsNotSentTwiceWhenTheProcessDiesAfterTheCall(t *testing.T) {
	h := newHarness(t)
	activeSubscription(t, h, "pm")
	h.update("pm", func(s *billingv1alpha1.Subscription) {
		s.Spec.PaymentMethod = &billingv1alpha1.PaymentMethodSpec{New: &billingv1alpha1.NewPaymentMethodRequest{Token: "t1"}}
	})
	h.api.CrashAfterNext("UpdatePaymentMethod")
	h.runCrashing("pm")
	h.settle("pm")
	h.Clock.Step(2 * time.Hour)
	h.settle("pm")
	if n := h.api.Count("UpdatePaymentMethod"); n != 1 {
		t.Fatalf("update-payment-method calls for one request: %d", n)
	}
	if got := h.get("pm").Status.LastPaymentMethodRequest; got != "new:t1" {
		t.Fatalf("lastPaymentMethodRequest %q", got)
	}
}

// A failed marker write means no call at all.
func TestNoPlanChangeIsSentWhenItsMarkerCannotBeStored(t *testing.T) {
	h := newHarness(t)
	activeSubscription(t, h, "stale")
	h.update("stale", func(s *billingv1alpha1.Subscription) { s.Spec.Quantity = 2 })
	// The receiver writes status between the read and the marker write.
	h.api.AfterNext("GetSubscription", func() {
		sub := h.get("stale")
		sub.Status.RecentWebhookIDs = append(sub.Status.RecentWebhookIDs, "msg_receiver_wrote")
		if err := env.Client.Status().Update(h.Ctx, sub); err != nil {
			t.Error(err)
		}
	})
	// The conflict ends the reconcile quietly (a requeue, no error) before any call.
	if res, err := h.run("stale"); err != nil || res.IsZero() {
		t.Fatalf("after a conflicting marker write: %v %v, want a requeue", res, err)
	}
	if n := h.api.Count("ChangePlan"); n != 0 {
		t.Fatalf("change-plan sent without its marker stored: %d", n)
	}
	h.settle("stale")
	if n := h.api.Count("ChangePlan"); n != 1 {
		t.Fatalf("change-plan calls after the retry: %d", n)
	}
}

// Deleting an object whose create is outcome-unknown waits the settle time before looking,
// like a normal reconcile, and then applies the policy to what the create made.
func TestDeletionDuringAnUnknownCreateWaitsAndThenCancels(t *testing.T) {
	h := newHarness(t)
	failCreates(t, h, simulator.RouteFaults{FailAfterCommitRate: 1})
	sub := h.subscription("gone", func(s *billingv1alpha1.Subscription) {
		s.Spec.DeletionPolicy = billingv1alpha1.DeletionPolicyCancel
	})
	h.settle("gone")
	if err := env.Client.Delete(h.Ctx, h.get("gone")); err != nil {
		t.Fatal(err)
	}
	h.settle("gone")
	if n := h.api.Count("ListAllSubscriptions"); n != 0 {
		t.Fatalf("looked up %d times before the settle time", n)
	}
	if h.get("gone").DeletionTimestamp.IsZero() {
		t.Fatal("not deleting")
	}
	h.Clock.Step(31 * time.Second)
	h.deleteAndSettleOnly("gone")
	sims := h.simSubscriptions(sub)
	if len(sims) != 1 || sims[0].Status != dodo.SubscriptionStatusCancelled {
		t.Fatalf("the subscription the lost create made is left: %+v", sims)
	}
}

func (h *harness) deleteAndSettleOnly(name string) {
	h.T.Helper()
	h.settle(name)
	err := env.Client.Get(h.Ctx, client.ObjectKey{Namespace: h.NS, Name: name}, &billingv1alpha1.Subscription{})
	if !apierrors.IsNotFound(err) {
		h.T.Fatalf("%s still there: %v", name, err)
	}
}

func failCreates(t *testing.T, h *harness, f simulator.RouteFaults) {
	t.Helper()
	if err := h.Sim.SetFaults(simulator.Faults{Routes: map[string]simulator.RouteFaults{"POST /subscriptions": f}}); err != nil {
		t.Fatal(err)
	}
}

// An unanswered create that made nothing is made again only after the lookup has kept
// finding nothing for CreateAbsentAfter: a lagging list must not cause a second create.
func TestUnknownCreateIsRepeatedOnlyAfterTheAbsenceWindow(t *testing.T) {
	h := newHarness(t)
	failCreates(t, h, simulator.RouteFaults{ErrorRate: 1, ErrorStatus: 502})
	sub := h.subscription("absent")
	h.settle("absent")
	if err := h.Sim.SetFaults(simulator.Faults{}); err != nil {
		t.Fatal(err)
	}
	h.Clock.Step(31 * time.Second)
	h.settle("absent")
	if n := h.api.Count("CreateSubscription"); n != 1 {
		t.Fatalf("created again %d times before the absence window", n-1)
	}
	h.expectCondition(h.get("absent"), billingv1alpha1.ConditionSynced, "False", billingv1alpha1.ReasonReconcileError)
	h.Clock.Step(5 * time.Minute)
	h.settle("absent")
	if n, sims := h.api.Count("CreateSubscription"), h.simSubscriptions(sub); n != 2 || len(sims) != 1 {
		t.Fatalf("creates %d, subscriptions %d", n, len(sims))
	}
}

// A lost create answer must not lose the payment link: it is recovered from the
// subscription's first payment.
func TestLostCreateAnswerKeepsThePaymentLink(t *testing.T) {
	h := newHarness(t)
	failCreates(t, h, simulator.RouteFaults{FailAfterCommitRate: 1})
	h.subscription("link", withPaymentLink)
	h.settle("link")
	h.Clock.Step(31 * time.Second)
	h.settle("link")
	got := h.get("link")
	if got.Status.SubscriptionID == "" || got.Status.PaymentLink == "" {
		t.Fatalf("after the lookup: id %q, link %q", got.Status.SubscriptionID, got.Status.PaymentLink)
	}
	h.expectCondition(got, billingv1alpha1.ConditionReady, "False", billingv1alpha1.ReasonAwaitingPayment)
	if err := h.Sim.CompleteCheckout(got.Status.SubscriptionID, "4242424242424242"); err != nil {
		t.Fatal(err)
	}
	h.SimClock.Step(time.Minute)
	h.Sim.ProcessDue()
	h.Clock.Step(2 * time.Hour)
	h.settle("link")
	h.expectCondition(h.get("link"), billingv1alpha1.ConditionActive, "True", "Active")
}

// A wrong API key is a definite refusal: Synced says CredentialsInvalid (not "outcome
// unknown"), one Warning Event tells it, and nothing is pending.
func TestAWrongKeyIsReportedAsCredentialsInvalid(t *testing.T) {
	h := newHarness(t)
	wrong, err := dodo.New(dodo.Config{BaseURL: h.api.Client.BaseURL(), APIKey: dodo.NewSecret("sk_wrong"),
		RateLimit: 1000, Burst: 1000, Timeout: 5 * time.Second, MaxGetRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	h.reconcile.API = wrong
	sub := h.subscription("badkey")
	for range 3 {
		_, _ = h.run("badkey")
	}
	got := h.get("badkey")
	h.expectCondition(got, billingv1alpha1.ConditionSynced, "False", billingv1alpha1.ReasonCredentialsInvalid)
	if got.Status.CreatePendingSince != nil || len(h.simSubscriptions(sub)) != 0 {
		t.Fatalf("a refused create left a pending marker or a subscription: %+v", got.Status)
	}
	n := 0
	for _, e := range h.drainEvents() {
		if strings.Contains(e, billingv1alpha1.ReasonCredentialsInvalid) {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("want one CredentialsInvalid event, got %d", n)
	}
	if wrong.CredentialsError() == nil {
		t.Fatal("readiness does not report the refused key")
	}
}

// A change-plan whose answer was lost before Dodo took it is never sent again on its own:
// once a read long after shows it neither applied nor scheduled, Ready says
// PlanChangeNotApplied with a Warning, and only the resend annotation (naming that
// request) sends it once more.
func TestALostPlanChangeIsToldAndSentAgainOnlyWhenAsked(t *testing.T) {
	h := newHarness(t)
	activeSubscription(t, h, "lost-plan")
	if err := h.Sim.SetFaults(simulator.Faults{Routes: map[string]simulator.RouteFaults{
		simulator.RouteChangePlan: {ErrorRate: 1, ErrorStatus: 502}}}); err != nil {
		t.Fatal(err)
	}
	h.update("lost-plan", func(s *billingv1alpha1.Subscription) { s.Spec.Quantity = 3 })
	h.settle("lost-plan")
	h.expectCondition(h.get("lost-plan"), billingv1alpha1.ConditionReady, "False", billingv1alpha1.ReasonPlanChangePending)
	if err := h.Sim.SetFaults(simulator.Faults{}); err != nil {
		t.Fatal(err)
	}
	for range 3 { // reads over the next hours: told once, never sent again
		h.Clock.Step(2 * time.Hour)
		h.settle("lost-plan")
	}
	got := h.get("lost-plan")
	h.expectCondition(got, billingv1alpha1.ConditionReady, "False", billingv1alpha1.ReasonPlanChangeNotApplied)
	if n := h.api.Count("ChangePlan"); n != 1 {
		t.Fatalf("change-plan calls before the annotation: %d", n)
	}
	if n := eventstest.Count(h.drainEvents(), billingv1alpha1.ReasonPlanChangeNotApplied); n != 1 {
		t.Fatalf("PlanChangeNotApplied Events: %d, want 1", n)
	}

	sent := got.Status.LastPlanChangeRequest.RequestedAt.UTC().Format(time.RFC3339)
	h.update("lost-plan", func(s *billingv1alpha1.Subscription) {
		s.Annotations = map[string]string{billingv1alpha1.AnnotationResendPlanChange: sent}
	})
	h.settle("lost-plan")
	h.Clock.Step(2 * time.Hour)
	h.settle("lost-plan")
	h.Clock.Step(2 * time.Hour) // the annotation stays: it named the old request, not the new one
	h.settle("lost-plan")
	if n := h.api.Count("ChangePlan"); n != 2 {
		t.Fatalf("change-plan calls after the annotation: %d, want 2", n)
	}
	got = h.get("lost-plan")
	h.expectCondition(got, billingv1alpha1.ConditionReady, "True", billingv1alpha1.ReasonAvailable)
	if got.Status.Quantity != 3 {
		t.Fatalf("quantity in Dodo %d", got.Status.Quantity)
	}
}
