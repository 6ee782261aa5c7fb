package simulator

import (
	"time"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// changePlan implements POST /subscriptions/{id}/change-plan (docs/dodo-api.md §3.3).
//
// effective_at=next_billing_date stores a scheduled_change applied at the
// next renewal (which then bills the new price). Immediate changes bill
// per prorate(); with a charge the payment settles after SettleDelay:
// apply_change (default) switches the plan now and a failed payment puts
// the subscription on_hold; prevent_change switches only when the payment
// succeeds and a failure leaves everything as it was.
func (s *Simulator) changePlan(id string, req dodo.ChangePlanRequest) (dodo.ChangePlanResponse, error) {
	if err := validateChangePlan(req); err != nil {
		return dodo.ChangePlanResponse{}, err
	}
	return writeSubscription(s, id, func(sub *subscription, now time.Time) (dodo.ChangePlanResponse, error) {
		return s.changePlanLocked(sub, req, now)
	})
}

func (s *Simulator) changePlanLocked(
	sub *subscription, req dodo.ChangePlanRequest, now time.Time,
) (dodo.ChangePlanResponse, error) {
	product, err := s.planChangeTarget(sub, req)
	if err != nil {
		return dodo.ChangePlanResponse{}, err
	}
	plan := &planChange{product: product, quantity: req.Quantity, onFailure: req.OnPaymentFailure}
	if plan.onFailure == "" {
		plan.onFailure = dodo.OnPaymentFailureApplyChange
	}
	resp := dodo.ChangePlanResponse{SubscriptionID: strPtr(sub.SubscriptionID), ProrationBillingMode: strPtr(string(req.ProrationBillingMode))}
	if req.EffectiveAt == dodo.EffectiveNextBillingDate {
		s.scheduleChangeLocked(sub, plan, now)
		resp.Status = strPtr("scheduled")
		return resp, nil
	}
	billed, err := prorate(prorationInput{
		Mode: req.ProrationBillingMode, OldCycleCost: sub.RecurringPreTaxAmount * int64(sub.Quantity),
		NewCycleCost: product.Price * int64(req.Quantity), PeriodStart: sub.PreviousBillingDate,
		PeriodEnd: sub.NextBillingDate, Now: now, InTrial: sub.inTrial,
	})
	if err != nil {
		return dodo.ChangePlanResponse{}, unprocessable(codeInvalidRequestParameters, "%v", err)
	}
	plan.resetCycle, plan.credit = billed.ResetCycle, billed.Credit
	if billed.Charge == 0 {
		s.applyPlanNowLocked(sub, plan, now)
		resp.Status = strPtr("succeeded")
		return resp, nil
	}
	p := s.newPaymentLocked(sub, paymentSpec{
		kind: paymentKindPlanChange, amount: billed.Charge, metadata: cloneMetadataOrNil(req.Metadata),
		method: s.methodOfLocked(sub), status: dodo.PaymentStatusProcessing,
	}, now)
	p.plan = plan
	s.startProcessingLocked(p, now)
	if plan.onFailure == dodo.OnPaymentFailureApplyChange {
		s.applyPlanNowLocked(sub, plan, now)
	}
	resp.Status, resp.PaymentID = strPtr("processing"), strPtr(p.PaymentID)
	return resp, nil
}

func validateChangePlan(req dodo.ChangePlanRequest) error {
	if err := req.Validate(); err != nil {
		return badBody(err)
	}
	switch req.ProrationBillingMode {
	case dodo.ProrationProratedImmediately, dodo.ProrationFullImmediately,
		dodo.ProrationDifferenceImmediately, dodo.ProrationDoNotBill:
	default:
		return unprocessable(codeInvalidRequestBody, "unknown proration_billing_mode %q", req.ProrationBillingMode)
	}
	switch req.EffectiveAt {
	case "", dodo.EffectiveImmediately, dodo.EffectiveNextBillingDate:
	default:
		return unprocessable(codeInvalidRequestBody, "unknown effective_at %q", req.EffectiveAt)
	}
	switch req.OnPaymentFailure {
	case "", dodo.OnPaymentFailureApplyChange, dodo.OnPaymentFailurePreventChange:
	default:
		return unprocessable(codeInvalidRequestBody, "unknown on_payment_failure %q", req.OnPaymentFailure)
	}
	if len(req.Addons) > 0 {
		return unprocessable(codeMissingAddonIDs, "the simulator has no add-ons")
	}
	if len(req.DiscountCodes) > 0 {
		return unprocessable(codeInvalidDiscountCode, "the simulator has no discount codes")
	}
	return validateMetadata(req.Metadata)
}

// planChangeTarget checks the subscription can change plan and returns the
// new product.
func (s *Simulator) planChangeTarget(sub *subscription, req dodo.ChangePlanRequest) (Product, error) {
	switch {
	case sub.OnDemand:
		return Product{}, unprocessable(codeOnDemandPlanChange, "on-demand subscription %s cannot change plan", sub.SubscriptionID)
	case sub.Status != dodo.SubscriptionStatusActive:
		return Product{}, unprocessable(codeInactivePlanChange,
			"subscription %s is %s; only active subscriptions can change plan", sub.SubscriptionID, sub.Status)
	case sub.hasOpenPayment():
		return Product{}, unprocessable(codePreviousPaymentPending, "a payment of subscription %s is still processing", sub.SubscriptionID)
	}
	product, ok := s.products[req.ProductID]
	if !ok {
		return Product{}, unprocessable(codeInvalidRequestParameters, "product %s does not exist", req.ProductID)
	}
	if product.Currency != sub.Currency {
		return Product{}, unprocessable(codeInvalidRequestParameters,
			"product %s is billed in %s, the subscription in %s", product.ID, product.Currency, sub.Currency)
	}
	return product, nil
}

func (s *Simulator) applyPlanNowLocked(sub *subscription, plan *planChange, now time.Time) {
	s.applyPlanLocked(sub, plan, now)
	s.emitSubscriptionLocked(sub, dodo.EventSubscriptionPlanChanged, now)
	s.emitSubscriptionLocked(sub, dodo.EventSubscriptionUpdated, now)
}

func (s *Simulator) scheduleChangeLocked(sub *subscription, plan *planChange, now time.Time) {
	name := plan.product.Name
	sub.scheduled = plan
	sub.ScheduledChange = &dodo.ScheduledChange{
		ID: s.ids.next(prefixScheduled), ProductID: plan.product.ID, Quantity: plan.quantity,
		EffectiveAt: sub.NextBillingDate, CreatedAt: now, Addons: []dodo.ScheduledAddon{}, ProductName: &name,
	}
	s.emitSubscriptionLocked(sub, dodo.EventSubscriptionUpdated, now)
}

func strPtr(s string) *string { return &s }

func timePtr(t time.Time) *time.Time { return &t }
