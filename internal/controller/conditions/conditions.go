// Package conditions holds what the conditions of both controllers share: the reason and
// message that explain a condition, and the Stalled condition built from them.
package conditions

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

// Why is a condition's reason with its message: why an object is stalled, waits or ended.
type Why struct {
	Reason  string
	Message string
}

// ReasonNotStalled is the reason of Stalled=False.
const ReasonNotStalled = "NotStalled"

// Stalled is the Stalled condition: True with the stall's reason and message, False when
// there is no stall.
func Stalled(stall *Why) metav1.Condition {
	if stall != nil {
		return metav1.Condition{Type: billingv1alpha1.ConditionStalled, Status: metav1.ConditionTrue,
			Reason: stall.Reason, Message: stall.Message}
	}
	return metav1.Condition{Type: billingv1alpha1.ConditionStalled, Status: metav1.ConditionFalse,
		Reason: ReasonNotStalled, Message: "Nothing needs a person."}
}
