package subscription

import (
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/bulkobserve"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/providerstate"
	"github.com/dodo-operator/dodo-operator/internal/stamp"
)

// A resync is served from the shared bulk scan (package bulkobserve) when the scan shows
// nothing new: then nothing is called and nothing is written. Anything else (a change, a
// subscription the scan does not list, a spec change, a refresh asked for, a first read)
// takes the full read of observe, where ownership is checked and drift is applied. So
// every write to Dodo still follows a fresh GET of the subscription (docs/money-safety.md).

// observations remembers when each object was last observed, by a full read or in bulk:
// a bulk observation that changed nothing writes nothing, so status.lastObservedAt does
// not move, and this memory (lost on restart, when one shared scan serves everyone again)
// decides when the next read is due.
type observations struct {
	mu     sync.Mutex
	at     map[types.NamespacedName]time.Time
	warned time.Time // the last ResyncBehind Event
}

func (o *observations) note(nn types.NamespacedName, at time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.at == nil {
		o.at = map[types.NamespacedName]time.Time{}
	}
	if at.After(o.at[nn]) {
		o.at[nn] = at
	}
}

func (o *observations) get(nn types.NamespacedName) time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.at[nn]
}

// mayWarn allows one ResyncBehind Event per interval.
func (o *observations) mayWarn(now time.Time, interval time.Duration) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.warned.IsZero() && now.Sub(o.warned) < interval {
		return false
	}
	o.warned = now
	return true
}

func (o *observations) forget(nn types.NamespacedName) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.at, nn)
}

// oldest is the earliest last observation, the effective resync interval's worst case.
func (o *observations) oldest() (time.Time, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var oldest time.Time
	for _, at := range o.at {
		if oldest.IsZero() || at.Before(oldest) {
			oldest = at
		}
	}
	return oldest, !oldest.IsZero()
}

// lastObserved is the latest observation of the object, stored or remembered.
func (r *Reconciler) lastObserved(sub *billingv1alpha1.Subscription) time.Time {
	at := r.observed.get(types.NamespacedName{Namespace: sub.Namespace, Name: sub.Name})
	if st := sub.Status.LastObservedAt; st != nil && st.After(at) {
		return st.Time
	}
	return at
}

// withLastObserved is sub with status.lastObservedAt at the remembered observation when
// that is later, for readDue and nextRead; a copy, never written.
func withLastObserved(sub *billingv1alpha1.Subscription, at time.Time) *billingv1alpha1.Subscription {
	if at.IsZero() || (sub.Status.LastObservedAt != nil && !at.After(sub.Status.LastObservedAt.Time)) {
		return sub
	}
	c := *sub
	t := metav1.NewTime(at)
	c.Status.LastObservedAt = &t
	return &c
}

// bulkPoll is how soon a resync waiting for a scan looks again.
func bulkPoll(interval time.Duration) time.Duration {
	return min(max(interval/100, time.Second), 30*time.Second)
}

// observeInBulk serves a due resync from the shared scan. done=false sends the reconcile
// on to the full read.
func (r *Reconciler) observeInBulk(s *scope, id string, interval time.Duration) (ctrl.Result, bool) {
	st := &s.sub.Status
	linkExpired := st.PaymentLink != "" && st.PaymentLinkExpiresAt != nil && !s.now.Before(st.PaymentLinkExpiresAt.Time)
	// The scan reads the operator's own account only: objects of other accounts take the
	// per-object read (docs/accounts.md).
	if r.Bulk == nil || s.sub.Spec.AccountRef != nil || readClass(s.sub) != dodo.PriorityBackground || linkExpired {
		return ctrl.Result{}, false
	}
	item, at, state := r.Bulk.Lookup(id, r.lastObserved(s.sub))
	switch {
	case state == bulkobserve.Pending:
		s.skipStatus = true
		return resyncAfter(&s.sub.Status, max(bulkPoll(interval), r.Bulk.NextIn())), true
	case state == bulkobserve.NotListed || listedChange(s.sub, &item):
		return ctrl.Result{}, false
	}
	r.observed.note(types.NamespacedName{Namespace: s.sub.Namespace, Name: s.sub.Name}, at)
	// Nothing changed in Dodo: nothing to write, unless the object lacks this generation's
	// conditions (an object written by another tool or an older version): then the one
	// status write of finish adds them, once.
	s.skipStatus = ownConditionsCurrent(s.sub)
	return resyncAfter(&s.sub.Status, at.Add(interval).Sub(s.now)), true
}

// warnIfBehind tells (Warning Event) when a due read comes more than twice the interval
// after the previous one: the budget does not keep up with the resync (docs/operations.md).
// Once per interval for the whole controller: when it falls behind, it is behind for
// thousands of objects at once, and the oldest-observation metric shows the extent.
func (r *Reconciler) warnIfBehind(s *scope, interval time.Duration) {
	last := r.lastObserved(s.sub)
	if last.IsZero() || s.now.Sub(last) <= 2*interval || !r.observed.mayWarn(s.now, interval) {
		return
	}
	r.event(s.sub, corev1.EventTypeWarning, "ResyncBehind", "Observe",
		"Dodo was last read %s ago, more than twice the resync interval (%s): the API budget does not keep up "+
			"(see dodo_subscription_oldest_observation_age_seconds and docs/operations.md)",
		s.now.Sub(last).Round(time.Second), interval)
}

// listedChange reports whether the list shows anything the stored status or the spec
// does not: a status field, a plan or field drift, or a stamp for another object.
func listedChange(sub *billingv1alpha1.Subscription, item *dodo.SubscriptionListItem) bool {
	observed := fromListItem(item)
	mirrored := sub.Status.DeepCopy()
	providerstate.MirrorSubscription(mirrored, observed)
	mirrored.ExpiresAt = sub.Status.ExpiresAt // lists do not carry expires_at
	if !equality.Semantic.DeepEqual(truncated(mirrored), truncated(sub.Status.DeepCopy())) {
		return true
	}
	// Add-ons are not listed: a plan is compared by product and quantity; add-ons change
	// only through the operator's own change-plan, which rereads.
	if item.ProductID != sub.Spec.ProductID || item.Quantity != int(sub.Spec.Quantity) {
		return true
	}
	if owner, ok := stamp.IdentityOf(item.Metadata); ok && owner.UID != sub.UID {
		return true
	}
	return sub.Spec.ManagementPolicy != billingv1alpha1.ManagementPolicyObserveOnly && fieldUpdate(sub, observed) != nil
}

// truncated drops sub-second precision: status stores times to the second.
func truncated(st *billingv1alpha1.SubscriptionStatus) *billingv1alpha1.SubscriptionStatus {
	for _, t := range []*metav1.Time{st.NextBillingDate, st.PreviousBillingDate, st.CancelledAt, st.ExpiresAt} {
		if t != nil {
			*t = metav1.NewTime(t.Truncate(time.Second))
		}
	}
	st.LastObservedAt = nil
	return st
}

// fromListItem is the subscription as far as a list item tells it.
func fromListItem(item *dodo.SubscriptionListItem) *dodo.Subscription {
	return &dodo.Subscription{SubscriptionID: item.SubscriptionID, Status: item.Status, ProductID: item.ProductID,
		Quantity: item.Quantity, Customer: item.Customer, Billing: item.Billing, Currency: item.Currency,
		RecurringPreTaxAmount: item.RecurringPreTaxAmount, TaxInclusive: item.TaxInclusive,
		PaymentFrequencyCount: item.PaymentFrequencyCount, PaymentFrequencyInterval: item.PaymentFrequencyInterval,
		SubscriptionPeriodCount: item.SubscriptionPeriodCount, SubscriptionPeriodInterval: item.SubscriptionPeriodInterval,
		TrialPeriodDays: item.TrialPeriodDays, CreatedAt: item.CreatedAt, PreviousBillingDate: item.PreviousBillingDate,
		NextBillingDate: item.NextBillingDate, CancelAtNextBillingDate: item.CancelAtNextBillingDate,
		OnDemand: item.OnDemand, Metadata: item.Metadata, CancelledAt: item.CancelledAt, PausedAt: item.PausedAt,
		PaymentMethodID: item.PaymentMethodID, ScheduledChange: item.ScheduledChange, TaxID: item.TaxID,
		CustomerBusinessName: item.CustomerBusinessName, DiscountID: item.DiscountID,
		DiscountCyclesRemaining: item.DiscountCyclesRemaining, TrialAmount: item.TrialAmount}
}

// ownConditionsCurrent says whether Ready, Synced and Stalled are there for the object's
// generation.
func ownConditionsCurrent(sub *billingv1alpha1.Subscription) bool {
	for _, t := range []string{billingv1alpha1.ConditionReady, billingv1alpha1.ConditionSynced, billingv1alpha1.ConditionStalled} {
		c := meta.FindStatusCondition(sub.Status.Conditions, t)
		if c == nil || c.ObservedGeneration != sub.Generation {
			return false
		}
	}
	return true
}
