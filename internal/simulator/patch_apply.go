package simulator

import (
	"time"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// applyPatchFieldsLocked applies the non-status fields of a checked PATCH.
func (s *Simulator) applyPatchFieldsLocked(sub *subscription, req patchRequest) {
	if req.has("metadata") {
		sub.Metadata = cloneMetadata(req.Metadata)
	}
	if req.Billing != nil {
		sub.Billing = *req.Billing
	}
	if req.has("tax_id") {
		sub.TaxID = copyOrNil(req.TaxID, req.isNull("tax_id"))
	}
	if req.has("customer_business_name") {
		sub.CustomerBusinessName = copyOrNil(req.CustomerBusinessName, req.isNull("customer_business_name"))
	}
	if req.CustomerName != nil {
		sub.customer.name = *req.CustomerName
	}
	if req.CancelAtNextBillingDate != nil {
		sub.CancelAtNextBillingDate = *req.CancelAtNextBillingDate
	}
	if req.CancellationFeedback != nil {
		feedback := *req.CancellationFeedback
		sub.CancellationFeedback = &feedback
	}
	if req.CancellationComment != nil {
		comment := *req.CancellationComment
		sub.CancellationComment = &comment
	}
	if req.NextBillingDate != nil {
		s.moveNextBillingLocked(sub, req.NextBillingDate.UTC())
	}
	if req.DisableOnDemand != nil {
		sub.OnDemand = false
		sub.RecurringPreTaxAmount = sub.product.Price
		s.moveNextBillingLocked(sub, req.DisableOnDemand.NextBillingDate.UTC())
	}
	if req.SubscriptionPeriodCount != nil || req.SubscriptionPeriodInterval != nil {
		expires := newExpiry(sub, req)
		if req.SubscriptionPeriodCount != nil {
			sub.SubscriptionPeriodCount = *req.SubscriptionPeriodCount
		}
		if req.SubscriptionPeriodInterval != nil {
			sub.SubscriptionPeriodInterval = *req.SubscriptionPeriodInterval
		}
		sub.ExpiresAt = &expires
		s.scheduleExpiryLocked(sub)
	}
}

func copyOrNil(value *string, null bool) *string {
	if null || value == nil {
		return nil
	}
	v := *value
	return &v
}

func (s *Simulator) moveNextBillingLocked(sub *subscription, next time.Time) {
	sub.NextBillingDate = next
	if sub.scheduled != nil && sub.ScheduledChange != nil {
		change := *sub.ScheduledChange
		change.EffectiveAt = next
		sub.ScheduledChange = &change
	}
	s.due.schedule(next, dueRenewal, sub.SubscriptionID)
}

// applyPatchStatusLocked pauses, resumes or cancels.
func (s *Simulator) applyPatchStatusLocked(sub *subscription, req patchRequest, now time.Time) {
	if req.Status == nil || *req.Status == sub.Status {
		return // repeating the current status is a no-op
	}
	switch *req.Status {
	case dodo.SubscriptionStatusPaused:
		sub.Status = dodo.SubscriptionStatusPaused
		paused := now
		sub.PausedAt = &paused
		s.emitSubscriptionLocked(sub, dodo.EventSubscriptionPaused, now)
	case dodo.SubscriptionStatusActive:
		s.resumeLocked(sub, now)
		s.emitSubscriptionLocked(sub, dodo.EventSubscriptionUnpaused, now)
	case dodo.SubscriptionStatusCancelled:
		s.cancelLocked(sub, now)
	}
}

// resumeLocked ends a pause: next_billing_date and expires_at move forward
// by the time spent paused (docs/dodo-api.md §3.2). A renewal
// whose date is already past runs on the next processing pass.
func (s *Simulator) resumeLocked(sub *subscription, now time.Time) {
	pausedFor := time.Duration(0)
	if sub.PausedAt != nil {
		pausedFor = now.Sub(*sub.PausedAt)
	}
	sub.Status = dodo.SubscriptionStatusActive
	sub.PausedAt = nil
	sub.NextBillingDate = sub.NextBillingDate.Add(pausedFor)
	sub.termStart = sub.termStart.Add(pausedFor)
	if sub.ExpiresAt != nil {
		expires := sub.ExpiresAt.Add(pausedFor)
		sub.ExpiresAt = &expires
		s.scheduleExpiryLocked(sub)
	}
	if sub.ScheduledChange != nil {
		change := *sub.ScheduledChange
		change.EffectiveAt = sub.NextBillingDate
		sub.ScheduledChange = &change
	}
	s.due.schedule(sub.NextBillingDate, dueRenewal, sub.SubscriptionID)
}
