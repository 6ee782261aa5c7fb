package faulttest

import (
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
	"github.com/dodo-operator/dodo-operator/test/harness"
)

// matchesTruth compares every Subscription and OnDemandCharge of the namespace with the
// simulator: Dodo's status, the next billing date, the Active and OnHold conditions, and
// each charge attempt's payment and outcome.
func (s *suite) matchesTruth() (bool, string) {
	st := sys.Sim.State()
	subs, charges, err := s.list()
	if err != nil {
		return false, err.Error()
	}
	byUID := harness.SubscriptionsByUID(st, s.ns)
	payments := map[string]simulator.PaymentState{}
	for _, p := range st.Payments {
		payments[p.PaymentID] = p
	}
	var diffs []string
	for _, name := range sortedKeys(subs) {
		inDodo := byUID[string(subs[name].UID)]
		if len(inDodo) != 1 {
			diffs = append(diffs, fmt.Sprintf("%s: %d Dodo subscriptions", name, len(inDodo)))
			continue
		}
		diffs = append(diffs, subscriptionDiff(subs[name], inDodo[0])...)
	}
	for _, name := range sortedKeys(charges) {
		diffs = append(diffs, chargeDiff(charges[name], payments)...)
	}
	return len(diffs) == 0, fmt.Sprintf("%d differences: %s", len(diffs), strings.Join(diffs[:min(len(diffs), 6)], "; "))
}

func subscriptionDiff(obj *billingv1alpha1.Subscription, d simulator.SubscriptionState) []string {
	var out []string
	st := obj.Status
	if st.ProviderStatus != string(d.Status) {
		out = append(out, fmt.Sprintf("%s: status %q, Dodo %q", obj.Name, st.ProviderStatus, d.Status))
	}
	if d.Status != dodo.SubscriptionStatusActive {
		if st.NextBillingDate != nil {
			out = append(out, fmt.Sprintf("%s: nextBillingDate %v while Dodo says %s", obj.Name, timeText(st.NextBillingDate), d.Status))
		}
	} else if want := d.NextBillingDate.UTC().Truncate(time.Second); st.NextBillingDate == nil || !st.NextBillingDate.UTC().Equal(want) {
		out = append(out, fmt.Sprintf("%s: nextBillingDate %v, Dodo %v", obj.Name, timeText(st.NextBillingDate), want))
	}
	for condition, want := range map[string]bool{
		billingv1alpha1.ConditionActive: d.Status == dodo.SubscriptionStatusActive,
		billingv1alpha1.ConditionOnHold: d.Status == dodo.SubscriptionStatusOnHold,
	} {
		if got := harness.ConditionStatus(st.Conditions, condition); got != metav1.ConditionStatus(boolText(want)) {
			out = append(out, fmt.Sprintf("%s: %s=%s while Dodo says %s", obj.Name, condition, got, d.Status))
		}
	}
	return out
}

func chargeDiff(c *billingv1alpha1.OnDemandCharge, payments map[string]simulator.PaymentState) []string {
	if len(c.Status.Attempts) != 1 {
		return []string{fmt.Sprintf("%s: %d attempts, want 1", c.Name, len(c.Status.Attempts))}
	}
	a := c.Status.Attempts[0]
	p, ok := payments[a.PaymentID]
	want := map[dodo.PaymentStatus]billingv1alpha1.AttemptOutcome{
		dodo.PaymentStatusSucceeded: billingv1alpha1.AttemptSucceeded, dodo.PaymentStatusFailed: billingv1alpha1.AttemptFailed,
	}[p.StatusOrEmpty()]
	if !ok || a.Outcome != want {
		return []string{fmt.Sprintf("%s: attempt %s/%s, Dodo payment status %q", c.Name, a.PaymentID, a.Outcome, p.StatusOrEmpty())}
	}
	return nil
}

func boolText(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

func timeText(t *metav1.Time) string {
	if t == nil {
		return "<nil>"
	}
	return t.UTC().String()
}
