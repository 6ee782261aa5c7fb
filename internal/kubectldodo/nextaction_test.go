package kubectldodo

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

type actionWant struct {
	kind    ActionKind
	text    string // a substring of the text
	command string // a substring of the command; "" asserts there is none
}

func checkAction(t *testing.T, got Action, want actionWant) {
	t.Helper()
	if got.Kind != want.kind || !strings.Contains(got.Text, want.text) {
		t.Errorf("action = %+v, want kind %q and text containing %q", got, want.kind, want.text)
	}
	if (want.command == "") != (got.Command == "") || !strings.Contains(got.Command, want.command) {
		t.Errorf("command = %q, want one containing %q", got.Command, want.command)
	}
}

func stalled(reason, message string) metav1.Condition {
	return cond("Stalled", metav1.ConditionTrue, reason, message)
}

func ready(reason string) metav1.Condition { return cond("Ready", metav1.ConditionFalse, reason, "") }

func TestSubscriptionAction(t *testing.T) {
	cases := map[string]struct {
		mutate func(*billingv1alpha1.Subscription)
		want   actionWant
	}{
		"OnHoldAsksForAPaymentMethod": {func(*billingv1alpha1.Subscription) {},
			actionWant{ActionPerson, "set spec.paymentMethod", `"paymentMethod":{"existingID":"pm_..."}`}},
		"OnHoldWithALinkAsksToSendIt": {func(s *billingv1alpha1.Subscription) {
			s.Spec.PaymentMethod = &billingv1alpha1.PaymentMethodSpec{New: &billingv1alpha1.NewPaymentMethodRequest{Token: "t1"}}
			s.Status.PaymentLink, s.Status.PaymentLinkExpiresAt = "https://pay.example/l", at(time.Hour)
			s.Status.LastPaymentMethodRequest = "new:t1"
		}, actionWant{ActionPerson, "Send the customer the link", "kubectl dodo link acme-pro"}},
		"OnHoldWithTheOldCreationLinkAsksForAMethod": {func(s *billingv1alpha1.Subscription) {
			s.Spec.PaymentMethod = &billingv1alpha1.PaymentMethodSpec{New: &billingv1alpha1.NewPaymentMethodRequest{Token: "t2"}}
			s.Status.PaymentLink, s.Status.PaymentLinkExpiresAt = "https://pay.example/first", at(time.Hour)
			s.Status.LastPaymentMethodRequest = "new:t1"
		}, actionWant{ActionPerson, "Contact the customer", "paymentMethod"}},
		"OnHoldWithAnExpiredLinkAsksAgain": {func(s *billingv1alpha1.Subscription) {
			s.Spec.PaymentMethod = &billingv1alpha1.PaymentMethodSpec{New: &billingv1alpha1.NewPaymentMethodRequest{Token: "t1"}}
			s.Status.PaymentLink, s.Status.PaymentLinkExpiresAt = "https://pay.example/l", at(-time.Minute)
		}, actionWant{ActionPerson, "Contact the customer", "paymentMethod"}},
		"OnHoldAfterASavedMethodWasSentWaits": {func(s *billingv1alpha1.Subscription) {
			s.Spec.PaymentMethod = &billingv1alpha1.PaymentMethodSpec{ExistingID: "pm_2"}
			s.Status.LastPaymentMethodRequest = "existing:pm_2"
		}, actionWant{ActionWait, "charging the dues", ""}},
		"DeletionOutranksEverything": {func(s *billingv1alpha1.Subscription) { s.DeletionTimestamp = at(0) },
			actionWant{ActionWait, "being deleted", ""}},
		"PausedAsksToRemoveTheAnnotation": {func(s *billingv1alpha1.Subscription) {
			s.Annotations = map[string]string{billingv1alpha1.AnnotationPaused: "true"}
		}, actionWant{ActionPerson, "paused", "billing.dodo-operator.io/paused-"}},
		"CredentialsOutrankTheState": {func(s *billingv1alpha1.Subscription) {
			setCondition(&s.Status.Conditions, cond("Synced", metav1.ConditionFalse, billingv1alpha1.ReasonCredentialsInvalid, ""))
		}, actionWant{ActionPerson, "API key", ""}},
		"CreateOutcomeUnknownStallPointsToResolve": {func(s *billingv1alpha1.Subscription) {
			s.Status = billingv1alpha1.SubscriptionStatus{CreatePendingSince: at(-time.Hour),
				Conditions: []metav1.Condition{stalled(billingv1alpha1.ReasonCreateOutcomeUnknown, "")}}
		}, actionWant{ActionPerson, "k8s_uid=uid-acme-pro", "kubectl dodo resolve subscription acme-pro --adopt"}},
		"CreateBeingLookedUpWaits": {func(s *billingv1alpha1.Subscription) {
			s.Status = billingv1alpha1.SubscriptionStatus{CreatePendingSince: at(-time.Minute), Conditions: []metav1.Condition{
				cond("Synced", metav1.ConditionFalse, billingv1alpha1.ReasonReconcileError, "the create call's outcome is unknown")}}
		}, actionWant{ActionWait, "Do not delete and re-create", ""}},
		"InvalidSpecAsksToEdit": {func(s *billingv1alpha1.Subscription) {
			setCondition(&s.Status.Conditions, stalled(billingv1alpha1.ReasonInvalidSpec, "422"))
		}, actionWant{ActionPerson, "Dodo refused the spec", "kubectl edit dsub acme-pro"}},
		"ChangeRefusedAsksToEdit": {func(s *billingv1alpha1.Subscription) {
			setCondition(&s.Status.Conditions, stalled(billingv1alpha1.ReasonChangeRefused, "422"))
		}, actionWant{ActionPerson, "Dodo refused the spec", "kubectl edit dsub acme-pro"}},
		"AdoptionRefused": {func(s *billingv1alpha1.Subscription) {
			setCondition(&s.Status.Conditions, stalled(billingv1alpha1.ReasonAdoptionRefused, ""))
		}, actionWant{ActionPerson, "Fix spec.adopt", ""}},
		"NotFoundInDodo": {func(s *billingv1alpha1.Subscription) {
			setCondition(&s.Status.Conditions, stalled(billingv1alpha1.ReasonNotFoundInDodo, ""))
		}, actionWant{ActionPerson, "mode (test or live)", ""}},
		"AnUnknownStallPointsToItsMessage": {func(s *billingv1alpha1.Subscription) {
			setCondition(&s.Status.Conditions, stalled("SomethingNew", ""))
		}, actionWant{ActionPerson, "Stalled SomethingNew", "kubectl dodo refresh subscription acme-pro"}},
		"ReconcileErrorWaitsAndOffersRefresh": {func(s *billingv1alpha1.Subscription) {
			setCondition(&s.Status.Conditions, cond("Synced", metav1.ConditionFalse, billingv1alpha1.ReasonReconcileError, "503"))
		}, actionWant{ActionWait, "(503)", "kubectl dodo refresh subscription acme-pro"}},
		"AwaitingPaymentSendsTheLink": {func(s *billingv1alpha1.Subscription) {
			s.Status.ProviderStatus = providerPending
			setCondition(&s.Status.Conditions, ready(billingv1alpha1.ReasonAwaitingPayment))
		}, actionWant{ActionPerson, "Send the customer the payment link", "kubectl dodo link acme-pro"}},
		"ExpiredCreationLinkMeansANewObject": {func(s *billingv1alpha1.Subscription) {
			s.Status.ProviderStatus = providerPending
			setCondition(&s.Status.Conditions, ready(billingv1alpha1.ReasonPaymentLinkExpired))
		}, actionWant{ActionPerson, "Delete this object and create it again", ""}},
		"UnavailableLinkWaits": {func(s *billingv1alpha1.Subscription) {
			s.Status.ProviderStatus = providerPending
			setCondition(&s.Status.Conditions, ready(billingv1alpha1.ReasonPaymentLinkUnavailable))
		}, actionWant{ActionWait, "not known yet", "kubectl dodo refresh"}},
		"PlanChangePendingWaits": {func(s *billingv1alpha1.Subscription) {
			s.Status.ProviderStatus = providerActive
			setCondition(&s.Status.Conditions, ready(billingv1alpha1.ReasonPlanChangePending))
		}, actionWant{ActionWait, "plan change", ""}},
		"PlanChangeNotAppliedNeedsAPerson": {func(s *billingv1alpha1.Subscription) {
			s.Status.ProviderStatus = providerActive
			s.Status.LastPlanChangeRequest = &billingv1alpha1.PlanRequest{ProductID: "p", Quantity: 3,
				RequestedAt: metav1.NewTime(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC))}
			setCondition(&s.Status.Conditions, ready(billingv1alpha1.ReasonPlanChangeNotApplied))
		}, actionWant{ActionPerson, "neither applied nor scheduled",
			"billing.dodo-operator.io/resend-plan-change=2026-11-01T12:00:00Z"}},
		"ActiveNeedsNothing": {func(s *billingv1alpha1.Subscription) {
			s.Status.ProviderStatus = providerActive
			setCondition(&s.Status.Conditions, cond("Ready", metav1.ConditionTrue, billingv1alpha1.ReasonAvailable, ""))
		}, actionWant{ActionNone, "active and in sync", ""}},
		"ActiveCancellingSaysWhen": {func(s *billingv1alpha1.Subscription) {
			s.Status.ProviderStatus, s.Status.CancelAtNextBillingDate = providerActive, true
			setCondition(&s.Status.Conditions, cond("Ready", metav1.ConditionTrue, billingv1alpha1.ReasonAvailable, ""))
		}, actionWant{ActionNone, "cancels it at the end of the period, 2026-12-18T09:00:00Z (in 28d)", ""}},
		"FailedIsTerminal": {func(s *billingv1alpha1.Subscription) {
			s.Status.ProviderStatus = providerFailed
			setCondition(&s.Status.Conditions, ready("InsufficientFunds"))
		}, actionWant{ActionNone, "Create a new Subscription", ""}},
		"CancelledIsOver": {func(s *billingv1alpha1.Subscription) {
			s.Status.ProviderStatus = providerCancelled
			setCondition(&s.Status.Conditions, ready("Cancelled"))
		}, actionWant{ActionNone, "cancelled in Dodo", ""}},
		"NotCreatedYetWaits": {func(s *billingv1alpha1.Subscription) {
			s.Status = billingv1alpha1.SubscriptionStatus{}
		}, actionWant{ActionWait, "creating the subscription", ""}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sub := onHoldSubscription()
			tc.mutate(sub)
			checkAction(t, SubscriptionAction(sub, now), tc.want)
		})
	}
}

func TestChargeAction(t *testing.T) {
	cases := map[string]struct {
		mutate func(*billingv1alpha1.OnDemandCharge)
		want   actionWant
	}{
		"RetryScheduledAsksToTellTheCustomerBeforeTheAttempt": {func(*billingv1alpha1.OnDemandCharge) {},
			actionWant{ActionPerson, "Tell the customer before the next attempt, 2026-11-23T06:00:00Z (in 2d21h)", ""}},
		"SucceededNeedsNothing": {func(c *billingv1alpha1.OnDemandCharge) { c.Status.Phase = billingv1alpha1.ChargePhaseSucceeded },
			actionWant{ActionNone, "was charged", ""}},
		"FailedMeansANewCharge": {func(c *billingv1alpha1.OnDemandCharge) { c.Status.Phase = billingv1alpha1.ChargePhaseFailed },
			actionWant{ActionNone, "create a new OnDemandCharge", ""}},
		"PausedAsksToRemoveTheAnnotation": {func(c *billingv1alpha1.OnDemandCharge) {
			c.Annotations = map[string]string{billingv1alpha1.AnnotationPaused: "true"}
		}, actionWant{ActionPerson, "paused", "kubectl annotate odc usage-2026-11 billing.dodo-operator.io/paused-"}},
		"PaymentOutcomeUnknownPointsToResolve": {func(c *billingv1alpha1.OnDemandCharge) {
			c.Status.Attempts[0].Outcome = billingv1alpha1.AttemptUnknown
			setCondition(&c.Status.Conditions, stalled(billingv1alpha1.ReasonPaymentOutcomeUnknown, ""))
		}, actionWant{ActionPerson, "k8s_charge_key=usage-2026-11 and retry_attempt=0",
			"kubectl dodo resolve charge usage-2026-11 --payment pay_..."}},
		"DeclineNotRetryableNamesTheAttempt": {func(c *billingv1alpha1.OnDemandCharge) {
			setCondition(&c.Status.Conditions, stalled(billingv1alpha1.ReasonDeclineNotRetryable, ""))
		}, actionWant{ActionPerson, "Contact the customer", "billing.dodo-operator.io/allow-retry=1"}},
		"DuesUnclear": {func(c *billingv1alpha1.OnDemandCharge) {
			setCondition(&c.Status.Conditions, stalled(billingv1alpha1.ReasonDuesPaymentUnclear, ""))
		}, actionWant{ActionPerson, "dues", "allow-retry=1"}},
		"SubscriptionChanged": {func(c *billingv1alpha1.OnDemandCharge) {
			setCondition(&c.Status.Conditions, stalled(billingv1alpha1.ReasonSubscriptionChanged, ""))
		}, actionWant{ActionPerson, "Delete this charge", ""}},
		"AnUnknownStall": {func(c *billingv1alpha1.OnDemandCharge) {
			setCondition(&c.Status.Conditions, stalled("SomethingNew", ""))
		}, actionWant{ActionPerson, "Stalled SomethingNew", ""}},
		"CredentialsInvalid": {func(c *billingv1alpha1.OnDemandCharge) {
			setCondition(&c.Status.Conditions, cond("Synced", metav1.ConditionFalse, billingv1alpha1.ReasonCredentialsInvalid, ""))
		}, actionWant{ActionPerson, "API key", ""}},
		"ReconcileError": {func(c *billingv1alpha1.OnDemandCharge) {
			setCondition(&c.Status.Conditions, cond("Synced", metav1.ConditionFalse, billingv1alpha1.ReasonReconcileError, "boom"))
		}, actionWant{ActionWait, "(boom)", "kubectl dodo refresh ondemandcharge usage-2026-11"}},
		"AwaitingCustomer": {func(c *billingv1alpha1.OnDemandCharge) {
			c.Status.Phase, c.Status.NextAttemptAt = billingv1alpha1.ChargePhaseCharging, nil
			setCondition(&c.Status.Conditions, ready(billingv1alpha1.ReasonAwaitingCustomerAction))
		}, actionWant{ActionPerson, "3-D Secure", ""}},
		"CancellingSubscription": {func(c *billingv1alpha1.OnDemandCharge) {
			c.Status.Phase, c.Status.NextAttemptAt = billingv1alpha1.ChargePhaseWaiting, nil
			setCondition(&c.Status.Conditions, ready(billingv1alpha1.ReasonSubscriptionCancelling))
		}, actionWant{ActionPerson, "Lift the cancellation", `kubectl patch dsub acme-usage`}},
		"MissingSubscription": {func(c *billingv1alpha1.OnDemandCharge) {
			c.Status.Phase, c.Status.NextAttemptAt = billingv1alpha1.ChargePhaseWaiting, nil
			setCondition(&c.Status.Conditions, ready(billingv1alpha1.ReasonSubscriptionNotFound))
		}, actionWant{ActionPerson, "Subscription acme-usage does not exist", ""}},
		"Charging": {func(c *billingv1alpha1.OnDemandCharge) {
			c.Status.Phase, c.Status.NextAttemptAt = billingv1alpha1.ChargePhaseCharging, nil
			setCondition(&c.Status.Conditions, ready("Charging"))
		}, actionWant{ActionWait, "in flight", ""}},
		"OtherWaitsQuoteTheReason": {func(c *billingv1alpha1.OnDemandCharge) {
			c.Status.Phase, c.Status.NextAttemptAt = billingv1alpha1.ChargePhaseWaiting, nil
			setCondition(&c.Status.Conditions, cond("Ready", metav1.ConditionFalse, "WaitingForCapacity", "two in flight"))
		}, actionWant{ActionWait, "(WaitingForCapacity): two in flight", ""}},
		"NotStarted": {func(c *billingv1alpha1.OnDemandCharge) { c.Status = billingv1alpha1.OnDemandChargeStatus{} },
			actionWant{ActionWait, "not started", ""}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			charge := retryScheduledCharge()
			tc.mutate(charge)
			checkAction(t, ChargeAction(charge, now), tc.want)
		})
	}
}
