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
	return get(s, r, "subscription_id", "subscription", s.st.subscriptions, s.renderSubscriptionLocked)
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
	return get(s, r, "payment_id", "payment", s.st.payments, s.renderPaymentLocked)
}

func (s *Simulator) httpListPaymentMethods(r *http.Request) (any, error) {
	return get(s, r, "customer_id", "customer", s.st.customers, func(cust *customer) dodo.CustomerPaymentMethodList {
		items := make([]dodo.CustomerPaymentMethod, 0, len(cust.paymentMethods))
		for _, methodID := range cust.paymentMethods {
			items = append(items, renderPaymentMethod(s.st.methods[methodID]))
		}
		return dodo.CustomerPaymentMethodList{Items: items}
	})
}

// get serves a GET of one object: the one the path parameter param names in
// table (a 404 naming kind when there is none), rendered under the read lock
// once due work has caught up.
func get[T, R any](s *Simulator, r *http.Request, param, kind string, table map[string]T, render func(T) R) (any, error) {
	id := r.PathValue(param)
	s.catchUp()
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, ok := table[id]
	if !ok {
		return nil, notFound(kind, id)
	}
	return render(v), nil
}
