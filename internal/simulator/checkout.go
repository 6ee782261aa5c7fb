package simulator

import (
	"net/http"
	"time"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// checkoutPathPrefix is where the hosted checkout pages live.
const checkoutPathPrefix = "/_simulator/checkout/"

func checkoutURL(baseURL, id string) string { return baseURL + checkoutPathPrefix + id }

// openCheckoutLocked opens a hosted payment link. A mandate checkout uses
// the subscription ID as its ID (<base>/_simulator/checkout/{subscription_id});
// update-payment-method links get a "cks_" ID.
func (s *Simulator) openCheckoutLocked(kind checkoutKind, sub *subscription, p *payment, returnURL *string, now time.Time) *checkout {
	id := sub.SubscriptionID
	if kind != checkoutMandate {
		id = s.ids.next(prefixCheckout)
	}
	co := &checkout{
		id: id, kind: kind, status: checkoutOpen, subscription: sub, payment: p,
		createdAt: now, expiresAt: now.Add(s.cfg.CheckoutTTL), returnURL: returnURL,
	}
	s.st.checkouts[id] = co
	s.due.schedule(co.expiresAt, dueCheckoutExpiry, id)
	return co
}

// CompleteCheckout completes a hosted payment link as the customer would,
// with a documented test card (DefaultTestCard when cardNumber is empty).
// The card is saved as a payment method. A mandate then activates or fails
// the subscription; a new-method link switches the subscription's method
// and, for an on_hold subscription, starts the dues payment.
func (s *Simulator) CompleteCheckout(id, cardNumber string) error {
	if cardNumber == "" {
		cardNumber = DefaultTestCard
	}
	card, ok := LookupTestCard(cardNumber)
	if !ok {
		return unprocessable(codeUnknownTestCard, "card %s is not one of the documented test cards", maskCard(cardNumber))
	}
	_, err := write(s, func(now time.Time) (struct{}, error) {
		return struct{}{}, s.completeCheckoutLocked(id, card, now)
	})
	return err
}

func (s *Simulator) completeCheckoutLocked(id string, card TestCard, now time.Time) error {
	co, ok := s.st.checkouts[id]
	if !ok {
		return notFound("checkout", id)
	}
	if co.status != checkoutOpen {
		return &apiError{status: http.StatusConflict, code: codeCheckoutNotOpen, message: "checkout " + id + " is " + string(co.status)}
	}
	co.status = checkoutCompleted
	cust := co.subscription.customer
	if co.kind == checkoutNewMethod && card.DeclineCode == "" {
		// A good card added through an update link ends the +decline_ rule.
		cust.declineCode = ""
	}
	method := s.addPaymentMethodLocked(cust, card, now)
	switch co.kind {
	case checkoutMandate:
		s.completeMandateLocked(co.subscription, co.payment, method, now)
	case checkoutNewMethod:
		s.completeNewMethodLocked(co, method, now)
	}
	return nil
}

func (s *Simulator) completeNewMethodLocked(co *checkout, method *paymentMethod, now time.Time) {
	sub := co.subscription
	id := method.id
	sub.PaymentMethodID = &id
	if co.payment != nil && co.payment.StatusOrEmpty() == dodo.PaymentStatusRequiresPaymentMethod {
		s.setPaymentMethodLocked(co.payment, method)
		s.startProcessingLocked(co.payment, now)
	}
	s.emitSubscriptionLocked(sub, dodo.EventSubscriptionUpdated, now)
}

// expireCheckoutLocked closes an unused link: a pending subscription fails
// (payment.failed then subscription.failed); a dues payment fails and the
// subscription stays on_hold.
func (s *Simulator) expireCheckoutLocked(co *checkout, at time.Time) {
	if co.status != checkoutOpen || !co.expiresAt.Equal(at) {
		return
	}
	co.status = checkoutExpired
	p := co.payment
	if p == nil || p.StatusOrEmpty() != dodo.PaymentStatusRequiresPaymentMethod {
		return
	}
	s.failWithoutChargeLocked(p, "AUTHENTICATION_TIMEOUT", at)
	sub := co.subscription
	if co.kind == checkoutMandate && sub.Status == dodo.SubscriptionStatusPending {
		sub.Status = dodo.SubscriptionStatusFailed
		s.emitSubscriptionLocked(sub, dodo.EventSubscriptionFailed, at)
		s.emitSubscriptionLocked(sub, dodo.EventSubscriptionUpdated, at)
	}
}

// maskCard keeps the last four digits of a card number for messages.
func maskCard(number string) string {
	if len(number) <= 4 {
		return "****"
	}
	return "****" + lastFour(number)
}

// CheckoutView is the public state of a hosted checkout.
type CheckoutView struct {
	ID             string    `json:"id"`
	Kind           string    `json:"kind"`
	Status         string    `json:"status"`
	SubscriptionID string    `json:"subscription_id"`
	PaymentID      *string   `json:"payment_id,omitempty"`
	Amount         int64     `json:"amount"`
	Currency       string    `json:"currency"`
	CreatedAt      time.Time `json:"created_at"`
	ExpiresAt      time.Time `json:"expires_at"`
	ReturnURL      *string   `json:"return_url,omitempty"`
}

func viewCheckout(co *checkout) CheckoutView {
	view := CheckoutView{
		ID: co.id, Kind: string(co.kind), Status: string(co.status), SubscriptionID: co.subscription.SubscriptionID,
		Currency: co.subscription.Currency, CreatedAt: co.createdAt, ExpiresAt: co.expiresAt, ReturnURL: co.returnURL,
	}
	if co.payment != nil {
		id := co.payment.PaymentID
		view.PaymentID, view.Amount, view.Currency = &id, co.payment.TotalAmount, co.payment.Currency
	}
	return view
}

// Checkout returns the state of a hosted checkout.
func (s *Simulator) Checkout(id string) (CheckoutView, bool) {
	s.catchUp()
	s.mu.RLock()
	defer s.mu.RUnlock()
	co, ok := s.st.checkouts[id]
	if !ok {
		return CheckoutView{}, false
	}
	return viewCheckout(co), true
}
