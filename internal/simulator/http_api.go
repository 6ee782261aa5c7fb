package simulator

import (
	"net/http"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

func (s *Simulator) httpCreateSubscription(r *http.Request) (any, error) {
	var req dodo.CreateSubscriptionRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	return s.createSubscription(req, s.baseURL(r))
}

func (s *Simulator) httpGetSubscription(r *http.Request) (any, error) {
	id := r.PathValue("subscription_id")
	s.catchUp()
	s.mu.RLock()
	defer s.mu.RUnlock()
	sub, ok := s.st.subscriptions[id]
	if !ok {
		return nil, notFound("subscription", id)
	}
	return s.renderSubscriptionLocked(sub), nil
}

func (s *Simulator) httpPatchSubscription(r *http.Request) (any, error) {
	raw, err := readBody(r)
	if err != nil {
		return nil, err
	}
	req, err := decodePatch(raw)
	if err != nil {
		return nil, err
	}
	return s.patchSubscription(r.PathValue("subscription_id"), req)
}

func (s *Simulator) httpChangePlan(r *http.Request) (any, error) {
	var req dodo.ChangePlanRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	return s.changePlan(r.PathValue("subscription_id"), req)
}

func (s *Simulator) httpCharge(r *http.Request) (any, error) {
	var req dodo.ChargeRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	return s.charge(r.PathValue("subscription_id"), req)
}

func (s *Simulator) httpUpdatePaymentMethod(r *http.Request) (any, error) {
	var req dodo.UpdatePaymentMethodRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	return s.updatePaymentMethod(r.PathValue("subscription_id"), req, s.baseURL(r))
}

func (s *Simulator) httpGetPayment(r *http.Request) (any, error) {
	id := r.PathValue("payment_id")
	s.catchUp()
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.st.payments[id]
	if !ok {
		return nil, notFound("payment", id)
	}
	return s.renderPaymentLocked(p), nil
}

func (s *Simulator) httpListPaymentMethods(r *http.Request) (any, error) {
	id := r.PathValue("customer_id")
	s.catchUp()
	s.mu.RLock()
	defer s.mu.RUnlock()
	cust, ok := s.st.customers[id]
	if !ok {
		return nil, notFound("customer", id)
	}
	items := make([]dodo.CustomerPaymentMethod, 0, len(cust.paymentMethods))
	for _, methodID := range cust.paymentMethods {
		items = append(items, renderPaymentMethod(s.st.methods[methodID]))
	}
	return dodo.CustomerPaymentMethodList{Items: items}, nil
}
