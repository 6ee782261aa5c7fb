package kubectldodo

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

// ActionKind says who moves next: nobody (the object is where it should be), the operator
// or Dodo (wait), or a person.
type ActionKind string

const (
	// ActionNone means nothing needs doing.
	ActionNone ActionKind = "nothing to do"
	// ActionWait means the operator, Dodo or the customer moves next; a person only watches.
	ActionWait ActionKind = "wait"
	// ActionPerson means a person must act.
	ActionPerson ActionKind = "you"
)

// Action is the one next action for an object: what to do and why, and a command that
// does it when there is one.
type Action struct {
	Kind    ActionKind
	Text    string
	Command string
}

func condition(conds []metav1.Condition, t string) *metav1.Condition {
	return meta.FindStatusCondition(conds, t)
}

func isTrue(conds []metav1.Condition, t string) (*metav1.Condition, bool) {
	c := condition(conds, t)
	return c, c != nil && c.Status == metav1.ConditionTrue
}

// commonAction covers what both kinds share and that outranks everything else: deletion,
// the pause annotation and refused credentials. ok is false when none applies.
func commonAction(obj metav1.Object, conds []metav1.Condition, k kind) (Action, bool) {
	switch {
	case obj.GetDeletionTimestamp() != nil:
		return Action{Kind: ActionWait, Text: "The object is being deleted; the operator finishes its work in Dodo " +
			"first (see the Ready message) and then lets it go."}, true
	case obj.GetAnnotations()[billingv1alpha1.AnnotationPaused] == "true":
		return Action{Kind: ActionPerson, Text: "Reconciliation is paused: no calls are made to Dodo. Remove the " +
			"annotation to resume.", Command: fmt.Sprintf("kubectl annotate %s %s %s-", k.short(), obj.GetName(),
			billingv1alpha1.AnnotationPaused)}, true
	}
	if c := condition(conds, billingv1alpha1.ConditionSynced); c != nil && c.Status == metav1.ConditionFalse &&
		c.Reason == billingv1alpha1.ReasonCredentialsInvalid {
		return Action{Kind: ActionPerson, Text: "Dodo refuses the operator's API key; nothing is done until it is fixed. " +
			"Fix the key in the operator's Secret (DODO_PAYMENTS_API_KEY) and check that its mode (test or live) " +
			"matches the operator's base URL."}, true
	}
	return Action{}, false
}

// syncErrorAction is for an object whose last reconcile failed for a passing reason: the
// operator retries by itself, and refresh only asks for it sooner.
func syncErrorAction(conds []metav1.Condition, k kind, name string) (Action, bool) {
	c := condition(conds, billingv1alpha1.ConditionSynced)
	if c == nil || c.Status != metav1.ConditionFalse || c.Reason == billingv1alpha1.ReasonPaused {
		return Action{}, false
	}
	return Action{Kind: ActionWait, Text: "The last reconcile against Dodo failed (" + c.Message + "); the operator " +
		"retries with backoff. If it keeps failing, read the operator's log.",
		Command: fmt.Sprintf("kubectl dodo refresh %s %s", k, name)}, true
}

// formatTime is the plugin's one way of showing an instant: UTC RFC 3339, and how far it is
// from now, so that `status` answers "when" without arithmetic.
func formatTime(t, now time.Time) string {
	return t.UTC().Format(time.RFC3339) + " (" + relative(t, now) + ")"
}

// relative is "in 2d3h", "5m ago" or "now", at most two units.
func relative(t, now time.Time) string {
	d := t.Sub(now).Round(time.Second)
	switch {
	case d == 0:
		return "now"
	case d > 0:
		return "in " + shortDuration(d)
	}
	return shortDuration(-d) + " ago"
}

func shortDuration(d time.Duration) string {
	days := int(d / (24 * time.Hour))
	d -= time.Duration(days) * 24 * time.Hour
	hours, minutes, seconds := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	parts := []struct {
		n    int
		unit string
	}{{days, "d"}, {hours, "h"}, {minutes, "m"}, {seconds, "s"}}
	out := ""
	for i, p := range parts {
		if p.n == 0 {
			continue
		}
		out = fmt.Sprintf("%d%s", p.n, p.unit)
		if i+1 < len(parts) && parts[i+1].n != 0 {
			out += fmt.Sprintf("%d%s", parts[i+1].n, parts[i+1].unit)
		}
		return out
	}
	return "0s"
}
