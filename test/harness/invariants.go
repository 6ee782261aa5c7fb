package harness

import (
	"fmt"
	"slices"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
	"github.com/dodo-operator/dodo-operator/internal/stamp"
)

// Findings are the money invariants checked against the simulator's state dump, for the
// objects of one namespace. Every list must stay empty.
type Findings struct {
	// Subscriptions and ChargePayments count what the namespace's objects made in Dodo.
	Subscriptions, ChargePayments int
	// DuplicateSubscriptions lists Subscription UIDs stamped on more than one Dodo
	// subscription (a double create).
	DuplicateSubscriptions []string
	// DuplicateAttempts lists "chargeKey#retry_attempt" pairs with more than one payment
	// (one attempt charged twice).
	DuplicateAttempts []string
	// DoubleSuccesses lists charge keys with more than one succeeded payment.
	DoubleSuccesses []string
}

// Duplicates is the number of violations found.
func (f Findings) Duplicates() int {
	return len(f.DuplicateSubscriptions) + len(f.DuplicateAttempts) + len(f.DoubleSuccesses)
}

// String summarises the findings.
func (f Findings) String() string {
	return fmt.Sprintf("%d subscriptions, %d charge payments; duplicate subscriptions %v, duplicate attempts %v, "+
		"double successes %v", f.Subscriptions, f.ChargePayments, f.DuplicateSubscriptions, f.DuplicateAttempts,
		f.DoubleSuccesses)
}

// CheckState finds double creates and double charges of the objects of namespace.
func CheckState(st simulator.State, namespace string) Findings {
	var f Findings
	byUID := map[string]int{}
	for _, sub := range st.Subscriptions {
		id, ok := stamp.IdentityOf(sub.Metadata)
		if !ok || id.Namespace != namespace {
			continue
		}
		f.Subscriptions++
		byUID[string(id.UID)]++
	}
	f.DuplicateSubscriptions = keysOver(byUID, 1)
	byAttempt, successes := map[string]int{}, map[string]int{}
	for _, p := range st.Payments {
		key, ok := p.Metadata[stamp.KeyChargeKey]
		if !ok || p.Metadata[stamp.KeyNamespace] != namespace {
			continue
		}
		f.ChargePayments++
		byAttempt[key+"#"+p.Metadata[stamp.KeyRetryAttempt]]++
		if p.StatusOrEmpty() == dodo.PaymentStatusSucceeded {
			successes[key]++
		}
	}
	f.DuplicateAttempts = keysOver(byAttempt, 1)
	f.DoubleSuccesses = keysOver(successes, 1)
	return f
}

// SubscriptionsByUID maps each stamped Subscription UID of namespace to its Dodo
// subscriptions.
func SubscriptionsByUID(st simulator.State, namespace string) map[string][]simulator.SubscriptionState {
	out := map[string][]simulator.SubscriptionState{}
	for _, sub := range st.Subscriptions {
		if id, ok := stamp.IdentityOf(sub.Metadata); ok && id.Namespace == namespace {
			out[string(id.UID)] = append(out[string(id.UID)], sub)
		}
	}
	return out
}

// PaymentsOfSubscription lists the payments of a Dodo subscription by kind
// ("mandate", "renewal", "charge", "plan_change", "dues").
func PaymentsOfSubscription(st simulator.State, subscriptionID, kind string) []simulator.PaymentState {
	var out []simulator.PaymentState
	for _, p := range st.Payments {
		if p.SubscriptionID != nil && *p.SubscriptionID == subscriptionID && p.SimKind == kind {
			out = append(out, p)
		}
	}
	return out
}

func keysOver(counts map[string]int, limit int) []string {
	var out []string
	for k, n := range counts {
		if n > limit {
			out = append(out, fmt.Sprintf("%s(x%d)", k, n))
		}
	}
	slices.Sort(out)
	return out
}
