package subscription

import (
	"hash/fnv"
	"time"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// The annotations users set on a Subscription (paused, reconcile-requested-at,
// resync-interval) are billingv1alpha1's.
const (
	// Finalizer makes deletion apply the deletionPolicy in Dodo first.
	Finalizer = "billing.dodo-operator.io/finalizer"

	minResyncInterval = time.Minute

	annotationPrefix = "billing.dodo-operator.io/"
)

func isPaused(sub *billingv1alpha1.Subscription) bool {
	return sub.Annotations[billingv1alpha1.AnnotationPaused] == "true"
}

// resyncInterval is the object's read interval: the annotation when valid, otherwise the
// default, spread by up to ±10% per object (stable for an object, so reads of many
// objects created together do not stay bunched).
func resyncInterval(sub *billingv1alpha1.Subscription, fallback time.Duration) time.Duration {
	interval := fallback
	if v, ok := sub.Annotations[billingv1alpha1.AnnotationResyncInterval]; ok {
		if d, err := time.ParseDuration(v); err == nil && d >= minResyncInterval {
			interval = d
		}
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(sub.UID))
	spread := float64(h.Sum32()%2001)/10000 - 0.1 // -0.1 .. +0.1
	return time.Duration(float64(interval) * (1 + spread))
}

// readDue says whether this reconcile must read Dodo: never read yet, a new spec, an
// explicit request, or the next read (nextRead) is due. A subscription that is over
// (cancelled, expired, failed) is read only when asked; its wait is then negative.
func readDue(sub *billingv1alpha1.Subscription, now time.Time, interval time.Duration) (bool, time.Duration) {
	st := &sub.Status
	if st.LastObservedAt == nil || sub.Generation != st.ObservedGeneration ||
		sub.Annotations[billingv1alpha1.AnnotationReconcileRequestedAt] != st.LastHandledReconcileAt {
		return true, 0
	}
	if dodo.SubscriptionStatus(st.ProviderStatus).IsTerminal() {
		return false, -1
	}
	wait := nextRead(st, interval).Sub(now)
	return wait <= 0, wait
}

// planRecheckFirst is how long after a change-plan call Dodo is first read to see it
// applied; later checks double (10s, 20s, 40s, ...) until they reach the resync interval.
// Dodo applies an immediate change within about two minutes, a scheduled one at the next
// billing date, so Ready comes back quickly without polling a month-long wait.
const planRecheckFirst = 10 * time.Second

// nextRead is when Dodo is read next: one interval after the last read, sooner while a
// plan change is pending. status.lastObservedAt must be set.
func nextRead(st *billingv1alpha1.SubscriptionStatus, interval time.Duration) time.Time {
	last := st.LastObservedAt.Time
	next := last.Add(interval)
	if st.LastPlanChangeRequest == nil {
		return next
	}
	sent := st.LastPlanChangeRequest.RequestedAt.Time
	for step := planRecheckFirst; step < interval; step *= 2 {
		if check := sent.Add(step); check.After(last) {
			if check.Before(next) {
				return check
			}
			break
		}
	}
	return next
}
