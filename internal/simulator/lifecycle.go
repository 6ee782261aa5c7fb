package simulator

import (
	"slices"
	"time"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// startPeriodLocked starts a billing period at from and schedules its end.
func (s *Simulator) startPeriodLocked(sub *subscription, from time.Time) {
	sub.PreviousBillingDate = from
	sub.NextBillingDate = mustAddInterval(from, sub.PaymentFrequencyInterval, sub.PaymentFrequencyCount)
	s.due.schedule(sub.NextBillingDate, dueRenewal, sub.SubscriptionID)
}

// mustAddInterval is addInterval for intervals validated at load time.
func mustAddInterval(t time.Time, interval dodo.TimeInterval, count int) time.Time {
	next, err := addInterval(t, interval, count)
	if err != nil {
		panic(err) // intervals are validated when products load
	}
	return next
}

func (s *Simulator) scheduleExpiryLocked(sub *subscription) {
	if sub.ExpiresAt != nil {
		s.due.schedule(*sub.ExpiresAt, dueExpiry, sub.SubscriptionID)
	}
}

// activateLocked turns a pending subscription active at its mandate: the
// first period (or the trial) and the term start now.
func (s *Simulator) activateLocked(sub *subscription, at time.Time) {
	sub.Status = dodo.SubscriptionStatusActive
	sub.PreviousBillingDate = at
	if sub.inTrial {
		sub.NextBillingDate = at.AddDate(0, 0, sub.TrialPeriodDays)
		s.due.schedule(sub.NextBillingDate, dueRenewal, sub.SubscriptionID)
	} else {
		s.startPeriodLocked(sub, at)
	}
	sub.termStart = at
	expires := mustAddInterval(at, sub.SubscriptionPeriodInterval, sub.SubscriptionPeriodCount)
	sub.ExpiresAt = &expires
	s.scheduleExpiryLocked(sub)
	s.emitSubscriptionLocked(sub, dodo.EventSubscriptionActive, at)
}

// putOnHoldLocked records a failed payment as dues and holds an active
// subscription: payment.failed (already emitted) → subscription.on_hold.
func (s *Simulator) putOnHoldLocked(sub *subscription, failed *payment, at time.Time) {
	if sub.Status != dodo.SubscriptionStatusActive && sub.Status != dodo.SubscriptionStatusOnHold {
		return
	}
	sub.dues = append(sub.dues, failed)
	if sub.Status == dodo.SubscriptionStatusOnHold {
		return
	}
	sub.Status = dodo.SubscriptionStatusOnHold
	s.emitSubscriptionLocked(sub, dodo.EventSubscriptionOnHold, at)
	s.emitSubscriptionLocked(sub, dodo.EventSubscriptionUpdated, at)
}

// settleDuesLocked marks every due paid by the dues payment and reactivates
// the subscription: payment.succeeded (emitted) → subscription.active. When
// a failed renewal was among the dues, a new period starts now (no catch-up
// charges for the time spent on hold).
func (s *Simulator) settleDuesLocked(sub *subscription, duesPayment *payment, at time.Time) {
	restartPeriod := false
	for _, due := range duesPayment.duesFor {
		if due.paidBy == "" { // a later, duplicate dues payment pays nothing
			due.paidBy = duesPayment.PaymentID
		}
		restartPeriod = restartPeriod || due.kind == paymentKindRenewal
	}
	sub.dues = slices.DeleteFunc(sub.dues, func(p *payment) bool { return p.paidBy != "" })
	if sub.Status != dodo.SubscriptionStatusOnHold || len(sub.dues) > 0 {
		return
	}
	sub.Status = dodo.SubscriptionStatusActive
	if restartPeriod || !sub.NextBillingDate.After(at) {
		sub.inTrial = false
		s.startPeriodLocked(sub, at)
	} else {
		s.due.schedule(sub.NextBillingDate, dueRenewal, sub.SubscriptionID)
	}
	s.emitSubscriptionLocked(sub, dodo.EventSubscriptionActive, at)
	s.emitSubscriptionLocked(sub, dodo.EventSubscriptionUpdated, at)
}

// renewLocked is the due work at next_billing_date (docs/dodo-api.md §8.3).
func (s *Simulator) renewLocked(sub *subscription, at time.Time) {
	if sub.Status != dodo.SubscriptionStatusActive || !sub.NextBillingDate.Equal(at) {
		return // stale item: the date moved or billing is frozen
	}
	if sub.ExpiresAt != nil && !at.Before(*sub.ExpiresAt) {
		return // the expiry item ends it
	}
	if sub.CancelAtNextBillingDate {
		s.cancelLocked(sub, at)
		s.emitSubscriptionLocked(sub, dodo.EventSubscriptionUpdated, at)
		return
	}
	if sub.scheduled != nil {
		s.applyPlanLocked(sub, sub.scheduled, at)
		s.emitSubscriptionLocked(sub, dodo.EventSubscriptionPlanChanged, at)
	}
	if sub.OnDemand {
		// On-demand subscriptions are billed by charges; the period just rolls.
		s.startPeriodLocked(sub, at)
		s.emitSubscriptionLocked(sub, dodo.EventSubscriptionUpdated, at)
		return
	}
	s.chargeRenewalLocked(sub, at)
}

func (s *Simulator) chargeRenewalLocked(sub *subscription, at time.Time) {
	amount, credit := applyCredit(sub.RecurringPreTaxAmount*int64(sub.Quantity), sub.credit)
	sub.credit = credit
	sub.inTrial = false
	p := s.newPaymentLocked(sub, paymentSpec{
		kind: paymentKindRenewal, amount: amount, method: s.methodOfLocked(sub),
		status: dodo.PaymentStatusProcessing,
	}, at)
	if !s.chargeLocked(p, at) {
		s.putOnHoldLocked(sub, p, at)
		return
	}
	s.startPeriodLocked(sub, at)
	s.emitSubscriptionLocked(sub, dodo.EventSubscriptionRenewed, at)
	s.emitSubscriptionLocked(sub, dodo.EventSubscriptionUpdated, at)
}

func (s *Simulator) methodOfLocked(sub *subscription) *paymentMethod {
	if sub.PaymentMethodID == nil {
		return nil
	}
	return s.st.methods[*sub.PaymentMethodID]
}

// expireLocked ends a subscription at the end of its term.
func (s *Simulator) expireLocked(sub *subscription, at time.Time) {
	if sub.ExpiresAt == nil || !sub.ExpiresAt.Equal(at) {
		return
	}
	if sub.Status != dodo.SubscriptionStatusActive && sub.Status != dodo.SubscriptionStatusOnHold {
		return // paused terms are frozen; terminal ones are done
	}
	sub.Status = dodo.SubscriptionStatusExpired
	s.emitSubscriptionLocked(sub, dodo.EventSubscriptionExpired, at)
	s.emitSubscriptionLocked(sub, dodo.EventSubscriptionUpdated, at)
}

// cancelLocked cancels now and emits subscription.cancelled; the caller
// emits subscription.updated. A pending subscription's open checkout and
// first payment are cancelled too.
func (s *Simulator) cancelLocked(sub *subscription, at time.Time) {
	sub.Status = dodo.SubscriptionStatusCancelled
	cancelled := at
	sub.CancelledAt = &cancelled
	for _, p := range sub.payments {
		if p.StatusOrEmpty() == dodo.PaymentStatusRequiresPaymentMethod {
			s.setPaymentStatusLocked(p, dodo.PaymentStatusCancelled, at)
			s.emitPaymentLocked(p, dodo.EventPaymentCancelled, at)
		}
	}
	for _, co := range s.st.checkouts {
		if co.subscription == sub && co.status == checkoutOpen {
			co.status = checkoutExpired
		}
	}
	s.emitSubscriptionLocked(sub, dodo.EventSubscriptionCancelled, at)
}

// applyPlanLocked switches product and quantity; the caller emits events.
func (s *Simulator) applyPlanLocked(sub *subscription, plan *planChange, at time.Time) {
	plan.applied = true
	sub.product = plan.product
	sub.ProductID = plan.product.ID
	sub.Quantity = plan.quantity
	sub.RecurringPreTaxAmount = plan.product.Price
	sub.PaymentFrequencyInterval = plan.product.Interval
	sub.PaymentFrequencyCount = plan.product.IntervalCount
	sub.credit += plan.credit
	if sub.scheduled == plan {
		sub.scheduled = nil
		sub.ScheduledChange = nil
	}
	if plan.resetCycle {
		sub.inTrial = false
		s.startPeriodLocked(sub, at)
	}
}
