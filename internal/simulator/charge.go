package simulator

import (
	"time"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// charge implements POST /subscriptions/{id}/charge (docs/dodo-api.md §3.4,
// §8.2): the payment is created processing and settles after SettleDelay.
// Charging a non-on-demand subscription is allowed (Dodo: it "may fail").
func (s *Simulator) charge(id string, req dodo.ChargeRequest) (dodo.ChargeResponse, error) {
	if err := req.Validate(); err != nil {
		return dodo.ChargeResponse{}, badBody(err)
	}
	if err := validateMetadata(req.Metadata); err != nil {
		return dodo.ChargeResponse{}, err
	}
	// No events yet, but lagging lists record the payment.
	return writeSubscription(s, id, func(sub *subscription, now time.Time) (dodo.ChargeResponse, error) {
		if err := chargeable(sub); err != nil {
			return dodo.ChargeResponse{}, err
		}
		currency := ""
		if req.ProductCurrency != nil {
			currency = *req.ProductCurrency
		}
		p := s.newPaymentLocked(sub, paymentSpec{
			kind: paymentKindCharge, amount: req.ProductPrice, currency: currency,
			metadata: cloneMetadataOrNil(req.Metadata), method: s.methodOfLocked(sub),
			status: dodo.PaymentStatusProcessing,
		}, now)
		s.startProcessingLocked(p, now)
		return dodo.ChargeResponse{PaymentID: p.PaymentID}, nil
	})
}

// chargeable refuses charges on a subscription that is not active
// (SUBSCRIPTION_INACTIVE, or SUBSCRIPTION_EXPIRED) or that still has a
// payment in flight (PREVIOUS_PAYMENT_PENDING).
func chargeable(sub *subscription) error {
	switch {
	case sub.Status == dodo.SubscriptionStatusExpired:
		return unprocessable(codeSubscriptionExpired, "subscription %s has expired", sub.SubscriptionID)
	case sub.Status != dodo.SubscriptionStatusActive:
		return unprocessable(codeSubscriptionInactive, "subscription %s is %s, not active", sub.SubscriptionID, sub.Status)
	case sub.hasOpenPayment():
		return unprocessable(codePreviousPaymentPending, "a previous payment of subscription %s is still processing", sub.SubscriptionID)
	}
	return nil
}

// linkTarget is where a hosted link points and returns to.
type linkTarget struct {
	baseURL   string
	returnURL *string
}

// updatePaymentMethod implements POST /subscriptions/{id}/update-payment-method
// (docs/dodo-api.md §3.5, §8.2). Active or paused: switch the method, no charge
// (type new: a link to add one). On hold: one payment for all dues, charged
// on the chosen method (type new: once its link is completed).
func (s *Simulator) updatePaymentMethod(
	id string, req dodo.UpdatePaymentMethodRequest, baseURL string,
) (dodo.UpdatePaymentMethodResponse, error) {
	if err := req.Validate(); err != nil {
		return dodo.UpdatePaymentMethodResponse{}, badBody(err)
	}
	return writeSubscription(s, id, func(sub *subscription, now time.Time) (dodo.UpdatePaymentMethodResponse, error) {
		return s.updatePaymentMethodLocked(sub, req, linkTarget{baseURL, req.ReturnURL}, now)
	})
}

func (s *Simulator) updatePaymentMethodLocked(
	sub *subscription, req dodo.UpdatePaymentMethodRequest, link linkTarget, now time.Time,
) (dodo.UpdatePaymentMethodResponse, error) {
	var method *paymentMethod
	if req.Type == dodo.PaymentMethodUpdateExisting {
		m, err := s.requestedMethodLocked(sub.customer, &req.PaymentMethodID)
		if err != nil {
			return dodo.UpdatePaymentMethodResponse{}, err
		}
		method = m
	}
	switch sub.Status {
	case dodo.SubscriptionStatusActive, dodo.SubscriptionStatusPaused:
		return s.switchMethodLocked(sub, method, link, now), nil
	case dodo.SubscriptionStatusOnHold:
		// Dodo documents this refusal for new charges only; pessimistic
		// mode drops it, so a repeated call charges the dues again.
		if sub.hasOpenPayment() && !s.cfg.Pessimism.DuesDespiteOpenPayment {
			return dodo.UpdatePaymentMethodResponse{}, unprocessable(codePreviousPaymentPending,
				"a payment of subscription %s is still in flight", sub.SubscriptionID)
		}
		return s.chargeDuesLocked(sub, method, link, now), nil
	default:
		return dodo.UpdatePaymentMethodResponse{}, unprocessable(codeSubscriptionInactive,
			"subscription %s is %s; only active, paused or on_hold subscriptions can update their payment method", sub.SubscriptionID, sub.Status)
	}
}

func (s *Simulator) switchMethodLocked(
	sub *subscription, method *paymentMethod, link linkTarget, now time.Time,
) dodo.UpdatePaymentMethodResponse {
	if method == nil {
		co := s.openCheckoutLocked(checkoutNewMethod, sub, nil, link.returnURL, now)
		url := checkoutURL(link.baseURL, co.id)
		return dodo.UpdatePaymentMethodResponse{PaymentLink: &url, ExpiresOn: timePtr(co.expiresAt)}
	}
	if sub.PaymentMethodID == nil || *sub.PaymentMethodID != method.id {
		id := method.id
		sub.PaymentMethodID = &id
		s.emitSubscriptionLocked(sub, dodo.EventSubscriptionUpdated, now)
	}
	return dodo.UpdatePaymentMethodResponse{}
}

// chargeDuesLocked creates the single dues payment of an on_hold subscription.
func (s *Simulator) chargeDuesLocked(
	sub *subscription, method *paymentMethod, link linkTarget, now time.Time,
) dodo.UpdatePaymentMethodResponse {
	var amount int64
	for _, due := range sub.dues {
		amount += due.TotalAmount
	}
	p := s.newPaymentLocked(sub, paymentSpec{
		kind: paymentKindDues, amount: amount, method: method,
		status: dodo.PaymentStatusRequiresPaymentMethod,
	}, now)
	p.duesFor = append([]*payment(nil), sub.dues...)
	paymentID := p.PaymentID
	resp := dodo.UpdatePaymentMethodResponse{PaymentID: &paymentID}
	if method == nil {
		co := s.openCheckoutLocked(checkoutNewMethod, sub, p, link.returnURL, now)
		url := checkoutURL(link.baseURL, co.id)
		p.PaymentLink = &url
		resp.PaymentLink, resp.ExpiresOn = &url, timePtr(co.expiresAt)
		return resp
	}
	id := method.id
	sub.PaymentMethodID = &id
	s.startProcessingLocked(p, now)
	s.emitSubscriptionLocked(sub, dodo.EventSubscriptionUpdated, now)
	return resp
}
