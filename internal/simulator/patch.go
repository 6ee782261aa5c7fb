package simulator

import (
	"bytes"
	"encoding/json"
	"reflect"
	"time"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// patchRequest is a decoded PATCH body plus which fields were present
// (null included), since presence matters: status paused/active must be
// alone, and null clears customer_business_name and tax_id.
type patchRequest struct {
	dodo.UpdateSubscriptionRequest
	present map[string]json.RawMessage
}

func (p patchRequest) has(field string) bool { _, ok := p.present[field]; return ok }

func (p patchRequest) isNull(field string) bool {
	raw, ok := p.present[field]
	return ok && bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

func decodePatch(body []byte) (patchRequest, error) {
	var req patchRequest
	if err := json.Unmarshal(body, &req.present); err != nil {
		return patchRequest{}, unprocessable(codeInvalidRequestBody, "malformed JSON body: %v", err)
	}
	if err := json.Unmarshal(body, &req.UpdateSubscriptionRequest); err != nil {
		return patchRequest{}, unprocessable(codeInvalidRequestBody, "invalid body: %v", err)
	}
	return req, validatePatchShape(req)
}

// validatePatchShape checks what needs no state (docs/dodo-api.md §3.2).
func validatePatchShape(req patchRequest) error {
	if req.has("pause") {
		return unprocessable(codeInvalidRequestParameters, "the pause field was removed; send status paused or active")
	}
	if err := validatePatchStatus(req); err != nil {
		return err
	}
	if req.Billing != nil && req.Billing.Country == "" {
		return unprocessable(codeInvalidRequestBody, "billing.country is required")
	}
	if req.SubscriptionPeriodCount != nil && *req.SubscriptionPeriodCount < 1 {
		return unprocessable(codeInvalidRequestParameters, "subscription_period_count must be at least 1")
	}
	if req.SubscriptionPeriodInterval != nil && !validInterval(*req.SubscriptionPeriodInterval) {
		return unprocessable(codeInvalidRequestParameters, "unknown subscription_period_interval %q", *req.SubscriptionPeriodInterval)
	}
	return validateMetadata(req.Metadata)
}

// validatePatchStatus: paused/active must be sent alone; cancellation
// details need a cancellation.
func validatePatchStatus(req patchRequest) error {
	if req.Status != nil {
		switch *req.Status {
		case dodo.SubscriptionStatusPaused, dodo.SubscriptionStatusActive:
			if len(req.present) != 1 {
				return unprocessable(codeInvalidRequestParameters, "status %s must be sent alone", *req.Status)
			}
		case dodo.SubscriptionStatusCancelled:
		default:
			return unprocessable(codeInvalidRequestParameters, "status can only be set to paused, active or cancelled")
		}
	}
	if !req.cancelling() && (req.CancellationFeedback != nil || req.CancellationComment != nil || req.CancelReason != nil) {
		return unprocessable(codeInvalidRequestParameters, "cancellation fields are only valid when cancelling")
	}
	return nil
}

func (p patchRequest) cancelling() bool {
	return (p.Status != nil && *p.Status == dodo.SubscriptionStatusCancelled) ||
		(p.CancelAtNextBillingDate != nil && *p.CancelAtNextBillingDate)
}

// patchSubscription implements PATCH /subscriptions/{id}. Everything is
// checked before anything changes. Metadata has replace semantics (the
// docs do not say; the sent object becomes the whole metadata). A change
// emits its specific event (paused, unpaused, cancelled) and then one
// subscription.updated.
func (s *Simulator) patchSubscription(id string, req patchRequest) (dodo.Subscription, error) {
	return writeSubscription(s, id, func(sub *subscription, now time.Time) (dodo.Subscription, error) {
		if err := checkPatchAgainstState(sub, req, now); err != nil {
			return dodo.Subscription{}, err
		}
		before := s.renderSubscriptionLocked(sub)
		s.applyPatchFieldsLocked(sub, req)
		s.applyPatchStatusLocked(sub, req, now)
		after := s.renderSubscriptionLocked(sub)
		if !reflect.DeepEqual(before, after) {
			s.emitSubscriptionLocked(sub, dodo.EventSubscriptionUpdated, now)
		}
		return after, nil
	})
}

func checkPatchAgainstState(sub *subscription, req patchRequest, now time.Time) error {
	if req.Status != nil {
		if err := checkStatusChange(sub, *req.Status); err != nil {
			return err
		}
	}
	changesBilling := req.NextBillingDate != nil || req.DisableOnDemand != nil ||
		(req.CancelAtNextBillingDate != nil && *req.CancelAtNextBillingDate)
	if sub.Status.IsTerminal() && changesBilling {
		return unprocessable(codeSubscriptionInactive, "subscription %s is %s", sub.SubscriptionID, sub.Status)
	}
	if err := checkBillingDates(sub, req, now); err != nil {
		return err
	}
	if req.SubscriptionPeriodCount != nil || req.SubscriptionPeriodInterval != nil {
		if expires := newExpiry(sub, req); sub.ExpiresAt != nil && !expires.After(*sub.ExpiresAt) {
			return unprocessable(codeInvalidRequestParameters, "the subscription period can only be extended")
		}
	}
	return nil
}

// checkBillingDates: a new next_billing_date must be in the future, and
// disable_on_demand needs an on-demand subscription.
func checkBillingDates(sub *subscription, req patchRequest, now time.Time) error {
	if req.NextBillingDate != nil && !req.NextBillingDate.After(now) {
		return unprocessable(codeInvalidRequestParameters, "Cannot change next_billing_date to past time")
	}
	if req.DisableOnDemand != nil {
		if !sub.OnDemand {
			return unprocessable(codeSubscriptionNotOnDemand, "Subscription is already not on demand")
		}
		if !req.DisableOnDemand.NextBillingDate.After(now) {
			return unprocessable(codeInvalidRequestParameters, "Cannot change next_billing_date to past time")
		}
	}
	return nil
}

func checkStatusChange(sub *subscription, want dodo.SubscriptionStatus) error {
	switch want {
	case dodo.SubscriptionStatusPaused:
		if sub.Status != dodo.SubscriptionStatusActive && sub.Status != dodo.SubscriptionStatusPaused {
			return unprocessable(codeInvalidRequestParameters, "only an active subscription can be paused; %s is %s", sub.SubscriptionID, sub.Status)
		}
	case dodo.SubscriptionStatusActive:
		if sub.Status != dodo.SubscriptionStatusPaused && sub.Status != dodo.SubscriptionStatusActive {
			return unprocessable(codeInvalidRequestParameters, "only a paused subscription can be resumed; %s is %s", sub.SubscriptionID, sub.Status)
		}
	case dodo.SubscriptionStatusCancelled:
		if sub.Status == dodo.SubscriptionStatusFailed || sub.Status == dodo.SubscriptionStatusExpired {
			return unprocessable(codeSubscriptionInactive, "subscription %s is %s", sub.SubscriptionID, sub.Status)
		}
	}
	return nil
}

// newExpiry is the end of the term after a subscription_period change,
// counted from the start of the current term.
func newExpiry(sub *subscription, req patchRequest) time.Time {
	count, interval := sub.SubscriptionPeriodCount, sub.SubscriptionPeriodInterval
	if req.SubscriptionPeriodCount != nil {
		count = *req.SubscriptionPeriodCount
	}
	if req.SubscriptionPeriodInterval != nil {
		interval = *req.SubscriptionPeriodInterval
	}
	start := sub.termStart
	if start.IsZero() {
		start = sub.CreatedAt
	}
	return mustAddInterval(start, interval, count)
}
