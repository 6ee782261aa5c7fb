package kubectldodo

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

// Check is one precondition resolve verifies before it writes, shown to the person whatever
// its result.
type Check struct {
	What string
	OK   bool
}

// Plan is what resolve will write and why, built from the object alone (and, for an
// adoption, the Dodo IDs other Subscriptions hold): nothing in it guesses what Dodo did;
// the person states it with a flag and the checks only refuse contradictions.
type Plan struct {
	Checks []Check
	// Effect explains what the operator does with the write.
	Effect string
	// Describe is the write in kubectl terms, for the confirmation.
	Describe    string
	annotations map[string]string
	spec        map[string]any
}

// OK is true when every check passed.
func (p *Plan) OK() bool {
	for _, c := range p.Checks {
		if !c.OK {
			return false
		}
	}
	return len(p.Checks) > 0
}

func (p *Plan) check(ok bool, format string, args ...any) {
	p.Checks = append(p.Checks, Check{What: fmt.Sprintf(format, args...), OK: ok})
}

var (
	subscriptionIDPattern = regexp.MustCompile(`\bsub_[A-Za-z0-9]+`)
	paymentIDPattern      = regexp.MustCompile(`\bpay_[A-Za-z0-9]+`)
)

// stalledFor checks that the object is stalled with the given reason for its current
// generation: the operator only reads the documented answer in that state.
func (p *Plan) stalledFor(conds []metav1.Condition, generation int64, reason string) *metav1.Condition {
	c, stalled := isTrue(conds, billingv1alpha1.ConditionStalled)
	got := "not stalled"
	if c != nil && stalled {
		got = "Stalled " + c.Reason
	}
	p.check(stalled && c.Reason == reason && c.ObservedGeneration == generation,
		"Stalled=True with reason %s for the current generation (found: %s)", reason, got)
	if !stalled {
		return nil
	}
	return c
}

// namedInMessage: when the operator's stall message lists candidate IDs (its lookup's
// matches), the one given must be among them; a message without IDs constrains nothing.
func (p *Plan) namedInMessage(c *metav1.Condition, pattern *regexp.Regexp, id string) {
	if c == nil {
		return
	}
	named := pattern.FindAllString(c.Message, -1)
	if len(named) == 0 {
		return
	}
	p.check(slices.Contains(named, id), "%s is one of the IDs the operator's lookup found: %s", id, strings.Join(named, ", "))
}

// PlanAdopt is the way out of CreateOutcomeUnknown when the person found the subscription
// to keep in Dodo: spec.adopt.subscriptionID (docs/operations.md, "Stalled resources").
// heldElsewhere lists "namespace/name" of other Subscriptions recording or adopting id.
func PlanAdopt(sub *billingv1alpha1.Subscription, id string, heldElsewhere []string) Plan {
	p := Plan{}
	c := p.stalledFor(sub.Status.Conditions, sub.Generation, billingv1alpha1.ReasonCreateOutcomeUnknown)
	p.check(sub.Status.SubscriptionID == "", "no Dodo subscription is recorded yet (status.subscriptionID: %q)",
		sub.Status.SubscriptionID)
	p.check(sub.Spec.Adopt == nil, "spec.adopt is not set (it cannot change once set)")
	p.check(strings.HasPrefix(id, "sub_"), "%q looks like a Dodo subscription ID (sub_...)", id)
	p.namedInMessage(c, subscriptionIDPattern, id)
	p.check(len(heldElsewhere) == 0, "no other Subscription records or adopts %s (found: %s)", id, orNone(heldElsewhere))
	p.Effect = "The operator reads " + id + " from Dodo, checks it is not stamped for another live object, and " +
		"manages it from then on; nothing is created. Cancel any extra subscription with this object's metadata in Dodo."
	p.Describe = "set spec.adopt.subscriptionID=" + id + " on subscription " + sub.Namespace + "/" + sub.Name
	p.spec = map[string]any{"adopt": map[string]any{"subscriptionID": id}}
	return p
}

// PlanRetryLookup is the way out of CreateOutcomeUnknown when the person found no
// subscription in Dodo: a new reconcile-requested-at makes the operator look again.
func PlanRetryLookup(sub *billingv1alpha1.Subscription, value string) Plan {
	p := Plan{}
	p.stalledFor(sub.Status.Conditions, sub.Generation, billingv1alpha1.ReasonCreateOutcomeUnknown)
	p.check(sub.Status.SubscriptionID == "", "no Dodo subscription is recorded yet (status.subscriptionID: %q)",
		sub.Status.SubscriptionID)
	p.check(sub.Status.CreatePendingSince != nil, "a create is pending (status.createPendingSince is set)")
	p.Effect = "The operator looks the subscription up again by its metadata (k8s_uid=" + string(sub.UID) + "). " +
		"It creates one only if that lookup, after its absence window, finds none; one match is recorded; more " +
		"than one stalls again."
	p.Describe = "set " + billingv1alpha1.AnnotationReconcileRequestedAt + "=" + value + " on subscription " +
		sub.Namespace + "/" + sub.Name
	p.annotations = map[string]string{billingv1alpha1.AnnotationReconcileRequestedAt: value}
	return p
}

// PlanResolveAttempt is the way out of PaymentOutcomeUnknown: the annotation
// resolve-attempt "<attempt>:<payment ID>", or "<attempt>:none" when the person found that
// the attempt made no payment (paymentID empty).
func PlanResolveAttempt(charge *billingv1alpha1.OnDemandCharge, paymentID string) Plan {
	p := Plan{}
	st := &charge.Status
	c := p.stalledFor(st.Conditions, charge.Generation, billingv1alpha1.ReasonPaymentOutcomeUnknown)
	var last *billingv1alpha1.ChargeAttempt
	if n := len(st.Attempts); n > 0 {
		last = &st.Attempts[n-1]
	}
	outcome := "no attempt"
	if last != nil {
		outcome = fmt.Sprintf("attempt %d is %s", last.Number, last.Outcome)
	}
	p.check(last != nil && last.Outcome == billingv1alpha1.AttemptUnknown, "the last attempt's outcome is Unknown (%s)", outcome)
	if last == nil {
		return p
	}
	answer := "none"
	if paymentID != "" {
		answer = paymentID
		p.check(strings.HasPrefix(paymentID, "pay_"), "%q looks like a Dodo payment ID (pay_...)", paymentID)
		other := ""
		for _, a := range st.Attempts {
			if a.PaymentID == paymentID && a.Number != last.Number {
				other = strconv.Itoa(int(a.Number))
			}
		}
		p.check(other == "", "%s is not the payment of another attempt of this charge (found: %s)", paymentID, orNone([]string{other}))
		p.namedInMessage(c, paymentIDPattern, paymentID)
		p.Effect = fmt.Sprintf("The operator records %s as attempt %d's payment and follows its outcome; it never "+
			"charges attempt %d again.", paymentID, last.Number, last.Number)
	} else {
		p.Effect = fmt.Sprintf("The operator removes attempt %d and MAKES IT AGAIN. If attempt %d did charge, the "+
			"customer is charged twice: confirm only after checking Dodo's payments of subscription %s for metadata "+
			"k8s_charge_key=%s and retry_attempt=%d, and any payment without metadata since %s (dues payments carry none).",
			last.Number, last.Number, st.SubscriptionID, st.ChargeKey, last.Number-1, last.StartedAt.UTC().Format("2006-01-02T15:04:05Z"))
	}
	value := fmt.Sprintf("%d:%s", last.Number, answer)
	p.Describe = "set " + billingv1alpha1.AnnotationResolveAttempt + "=" + value + " on ondemandcharge " + charge.Namespace + "/" + charge.Name
	p.annotations = map[string]string{billingv1alpha1.AnnotationResolveAttempt: value}
	return p
}

func orNone(items []string) string {
	var kept []string
	for _, s := range items {
		if s != "" {
			kept = append(kept, s)
		}
	}
	if len(kept) == 0 {
		return "none"
	}
	return strings.Join(kept, ", ")
}
