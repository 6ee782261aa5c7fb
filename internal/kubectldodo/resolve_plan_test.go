package kubectldodo

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

// createUnknown is a Subscription stalled the way createUnknownStall leaves it.
func createUnknown() *billingv1alpha1.Subscription {
	sub := onHoldSubscription()
	sub.Status = billingv1alpha1.SubscriptionStatus{CreatePendingSince: at(-time.Hour), Conditions: []metav1.Condition{
		stalled(billingv1alpha1.ReasonCreateOutcomeUnknown, "A create call's outcome is unknown and Dodo subscriptions "+
			"[sub_a1 sub_b2] carry metadata k8s_uid=uid-acme-pro (more than one, ...)."),
	}}
	return sub
}

// paymentUnknown is a charge stalled the way unknownStall leaves it.
func paymentUnknown() *billingv1alpha1.OnDemandCharge {
	charge := retryScheduledCharge()
	charge.Status.Phase, charge.Status.NextAttemptAt = billingv1alpha1.ChargePhaseCharging, nil
	charge.Status.Attempts = append(charge.Status.Attempts, billingv1alpha1.ChargeAttempt{Number: 2, Via: "Charge",
		StartedAt: *at(-time.Hour), Outcome: billingv1alpha1.AttemptUnknown})
	setCondition(&charge.Status.Conditions, stalled(billingv1alpha1.ReasonPaymentOutcomeUnknown, "Attempt 2's outcome cannot be decided: "+
		"payments [pay_x1 pay_x2] match it, or not every payment could be read."))
	return charge
}

func failedChecks(p Plan) []string {
	var failed []string
	for _, c := range p.Checks {
		if !c.OK {
			failed = append(failed, c.What)
		}
	}
	return failed
}

func TestPlans(t *testing.T) {
	cases := map[string]struct {
		plan   func() Plan
		failed string // a substring of the one failed check; "" for a plan that may be written
		writes string // a substring of Describe
	}{
		"AdoptOneOfTheMatches": {func() Plan { return PlanAdopt(createUnknown(), "sub_b2", nil) }, "",
			"spec.adopt.subscriptionID=sub_b2"},
		"AdoptAnIDTheLookupDidNotFind": {func() Plan { return PlanAdopt(createUnknown(), "sub_zz", nil) }, "lookup found", ""},
		"AdoptNotASubscriptionID": {func() Plan {
			sub := createUnknown()
			sub.Status.Conditions[0].Message = "the lookup could not read every subscription"
			return PlanAdopt(sub, "pay_1", nil)
		}, "looks like a Dodo subscription ID", ""},
		"AdoptHeldByAnotherObject": {func() Plan { return PlanAdopt(createUnknown(), "sub_a1", []string{"other/acme"}) },
			"other/acme", ""},
		"AdoptWhenNotStalled": {func() Plan { return PlanAdopt(onHoldSubscription(), "sub_acme1", nil) }, "found: not stalled", ""},
		"AdoptAStallOfAnOlderGeneration": {func() Plan {
			sub := createUnknown()
			sub.Generation = 2
			return PlanAdopt(sub, "sub_a1", nil)
		}, "current generation", ""},
		"RetryLookup": {func() Plan { return PlanRetryLookup(createUnknown(), "2026-11-20T09:00:00Z") }, "",
			"reconcile-requested-at=2026-11-20T09:00:00Z"},
		"RetryLookupWithoutPendingCreate": {func() Plan {
			sub := createUnknown()
			sub.Status.CreatePendingSince = nil
			return PlanRetryLookup(sub, "x")
		}, "createPendingSince", ""},
		"PaymentNamed": {func() Plan { return PlanResolveAttempt(paymentUnknown(), "pay_x2") }, "",
			"billing.dodo-operator.io/resolve-attempt=2:pay_x2"},
		"NoPayment": {func() Plan { return PlanResolveAttempt(paymentUnknown(), "") }, "", "resolve-attempt=2:none"},
		"PaymentOfAnotherAttempt": {func() Plan {
			charge := paymentUnknown()
			charge.Status.Conditions[0].Message = "not every payment could be read"
			return PlanResolveAttempt(charge, "pay_try1")
		}, "another attempt", ""},
		"PaymentTheLookupDidNotFind": {func() Plan { return PlanResolveAttempt(paymentUnknown(), "pay_other") }, "lookup found", ""},
		"ChargeNotStalled":           {func() Plan { return PlanResolveAttempt(retryScheduledCharge(), "pay_try1") }, "not stalled", ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p := tc.plan()
			failed := failedChecks(p)
			if tc.failed == "" {
				if !p.OK() || len(failed) != 0 || !strings.Contains(p.Describe, tc.writes) {
					t.Fatalf("plan refused or writes %q (failed: %v)", p.Describe, failed)
				}
				return
			}
			if p.OK() || !strings.Contains(strings.Join(failed, "; "), tc.failed) {
				t.Fatalf("plan OK=%v, failed checks %v; want one about %q", p.OK(), failed, tc.failed)
			}
		})
	}
}

func TestNoPaymentWarnsThatTheAttemptIsMadeAgain(t *testing.T) {
	p := PlanResolveAttempt(paymentUnknown(), "")
	for _, want := range []string{"MAKES IT AGAIN", "k8s_charge_key=usage-2026-11", "retry_attempt=1", "since 2026-11-20T08:00:00Z"} {
		if !strings.Contains(p.Effect, want) {
			t.Errorf("effect %q lacks %q", p.Effect, want)
		}
	}
}
