package simulator

import (
	"encoding/json"
	"time"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// paymentSpec describes a payment to create for a subscription.
type paymentSpec struct {
	kind     paymentKind
	amount   int64
	currency string
	metadata dodo.Metadata
	method   *paymentMethod
	status   dodo.PaymentStatus
}

func (s *Simulator) newPaymentLocked(sub *subscription, spec paymentSpec, at time.Time) *payment {
	status := spec.status
	subID := sub.SubscriptionID
	currency := spec.currency
	if currency == "" {
		currency = sub.Currency
	}
	metadata := spec.metadata
	if metadata == nil {
		metadata = s.defaultPaymentMetadata(sub, spec.kind)
	}
	p := &payment{
		Payment: dodo.Payment{
			PaymentID: s.ids.next(prefixPayment), BusinessID: s.cfg.BusinessID, BrandID: s.cfg.BrandID,
			Status: &status, SubscriptionID: &subID, TotalAmount: spec.amount, Currency: currency,
			SettlementAmount: spec.amount, SettlementCurrency: currency, Billing: sub.Billing,
			Metadata: metadata, CreatedAt: at, PaymentProvider: "dodo",
			Disputes: []json.RawMessage{}, Refunds: []json.RawMessage{},
			ProductCart: []dodo.ProductCartItem{{ProductID: sub.ProductID, Quantity: sub.Quantity}},
		},
		kind:         spec.kind,
		subscription: sub,
		customer:     sub.customer,
	}
	s.setPaymentMethodLocked(p, spec.method)
	s.st.addPayment(p)
	s.markPaymentChangedLocked(p, at)
	return p
}

// setPaymentMethodLocked records the card a payment is (to be) charged on.
func (s *Simulator) setPaymentMethodLocked(p *payment, m *paymentMethod) {
	p.method = m
	if m == nil {
		return
	}
	id, kind, methodType := m.id, "card", "credit"
	last4, network, cardType, country := lastFour(m.card.Number), m.card.Network, "CREDIT", m.card.Country
	p.PaymentMethodID, p.PaymentMethod, p.PaymentMethodType = &id, &kind, &methodType
	p.CardLastFour, p.CardNetwork, p.CardType, p.CardIssuingCountry = &last4, &network, &cardType, &country
}

func (s *Simulator) setPaymentStatusLocked(p *payment, status dodo.PaymentStatus, at time.Time) {
	s.markPaymentChangedLocked(p, at)
	p.Status = &status
	updated := at
	p.UpdatedAt = &updated
}

// chargeLocked runs a payment against its card now: it fails with the card's
// decline code or succeeds. Events follow the payment.
func (s *Simulator) chargeLocked(p *payment, at time.Time) (succeeded bool) {
	if p.method != nil {
		used := at
		p.method.lastUsedAt = &used
	}
	if code := declineFor(p.method, p.TotalAmount); code != "" {
		message := declineMessage(code)
		p.ErrorCode, p.ErrorMessage = &code, &message
		s.setPaymentStatusLocked(p, dodo.PaymentStatusFailed, at)
		s.emitPaymentLocked(p, dodo.EventPaymentFailed, at)
		return false
	}
	s.setPaymentStatusLocked(p, dodo.PaymentStatusSucceeded, at)
	// A zero-amount mandate authorisation is not announced (9.1: the
	// payment event comes only "when a first amount was charged").
	if p.TotalAmount > 0 || p.kind != paymentKindMandate {
		s.emitPaymentLocked(p, dodo.EventPaymentSucceeded, at)
	}
	return true
}

// failWithoutChargeLocked fails a payment that never reached a card (its
// checkout expired).
func (s *Simulator) failWithoutChargeLocked(p *payment, code string, at time.Time) {
	message := declineMessage(code)
	p.ErrorCode, p.ErrorMessage = &code, &message
	s.setPaymentStatusLocked(p, dodo.PaymentStatusFailed, at)
	s.emitPaymentLocked(p, dodo.EventPaymentFailed, at)
}

// startProcessingLocked puts a payment into processing and schedules its
// settlement after the settle delay.
func (s *Simulator) startProcessingLocked(p *payment, at time.Time) {
	s.setPaymentStatusLocked(p, dodo.PaymentStatusProcessing, at)
	s.due.schedule(at.Add(s.cfg.SettleDelay), dueSettle, p.PaymentID)
}

// settleLocked settles a processing payment (due work) and applies what the
// outcome means for its subscription.
func (s *Simulator) settleLocked(p *payment, at time.Time) {
	if p.StatusOrEmpty() != dodo.PaymentStatusProcessing {
		return
	}
	if s.chargeLocked(p, at) {
		s.afterPaymentSucceededLocked(p, at)
		return
	}
	s.afterPaymentFailedLocked(p, at)
}

func (s *Simulator) afterPaymentSucceededLocked(p *payment, at time.Time) {
	sub := p.subscription
	switch p.kind {
	case paymentKindDues:
		s.settleDuesLocked(sub, p, at)
	case paymentKindPlanChange:
		if p.plan != nil && !p.plan.applied {
			s.applyPlanLocked(sub, p.plan, at)
			s.emitSubscriptionLocked(sub, dodo.EventSubscriptionPlanChanged, at)
			s.emitSubscriptionLocked(sub, dodo.EventSubscriptionUpdated, at)
		}
	}
}

func (s *Simulator) afterPaymentFailedLocked(p *payment, at time.Time) {
	sub := p.subscription
	switch p.kind {
	case paymentKindCharge:
		s.putOnHoldLocked(sub, p, at)
	case paymentKindPlanChange:
		// prevent_change keeps the old plan and the subscription active.
		if p.plan != nil && p.plan.applied {
			s.putOnHoldLocked(sub, p, at)
		}
	case paymentKindDues:
		// The subscription stays on_hold; its dues are unchanged.
	}
}

// defaultPaymentMetadata is the metadata of a payment whose request sent
// none. Dodo documents the subscription's metadata as the default only for
// charges and plan changes; the copy on mandate, renewal and dues payments
// is a convenience that Pessimism.PaymentsWithoutSubscriptionMetadata drops.
func (s *Simulator) defaultPaymentMetadata(sub *subscription, kind paymentKind) dodo.Metadata {
	if !s.cfg.Pessimism.PaymentsWithoutSubscriptionMetadata {
		return sub.Metadata
	}
	switch kind {
	case paymentKindCharge, paymentKindPlanChange:
		return sub.Metadata
	default:
		return dodo.Metadata{}
	}
}
