package statuspatch

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// EnteredReason reports whether a condition took the reason in this reconcile (it had
// another before), so that an Event about it is emitted once per transition, not on
// every retry.
func EnteredReason(before, after []metav1.Condition, conditionType, reason string) bool {
	now := meta.FindStatusCondition(after, conditionType)
	if now == nil || now.Reason != reason {
		return false
	}
	was := meta.FindStatusCondition(before, conditionType)
	return was == nil || was.Reason != reason
}
