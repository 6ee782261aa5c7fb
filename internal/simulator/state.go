package simulator

import (
	"slices"
	"strings"
	"time"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// State is a full dump of the simulator, for assertions such as "exactly
// one subscription / payment". Wire objects appear as the API renders them;
// sim_* fields expose internals the API does not.
type State struct {
	Now            time.Time            `json:"now"`
	Customers      []CustomerState      `json:"customers"`
	PaymentMethods []PaymentMethodState `json:"payment_methods"`
	Subscriptions  []SubscriptionState  `json:"subscriptions"`
	Payments       []PaymentState       `json:"payments"`
	Checkouts      []CheckoutView       `json:"checkouts"`
	Webhooks       []DeliveryRecord     `json:"webhooks"`
}

// CustomerState is a customer and its saved methods.
type CustomerState struct {
	ID               string    `json:"customer_id"`
	Email            string    `json:"email"`
	Name             string    `json:"name"`
	DeclineCode      string    `json:"decline_code,omitempty"`
	CreatedAt        time.Time `json:"created_at"`
	PaymentMethodIDs []string  `json:"payment_method_ids"`
}

// PaymentMethodState is a saved card and how it behaves.
type PaymentMethodState struct {
	dodo.CustomerPaymentMethod
	CustomerID string `json:"customer_id"`
	CardLast4  string `json:"card_last4"`
	// DeclineCode is the test card's own decline (every authorization).
	DeclineCode string `json:"decline_code,omitempty"`
	// CustomerDeclineCode comes from the +decline_ email (real charges).
	CustomerDeclineCode string `json:"customer_decline_code,omitempty"`
}

// SubscriptionState is a subscription plus simulator internals.
type SubscriptionState struct {
	dodo.Subscription
	SimInTrial bool     `json:"sim_in_trial"`
	SimCredit  int64    `json:"sim_credit"`
	SimDues    []string `json:"sim_dues"`
}

// Payment kinds, the values of PaymentState.SimKind.
const (
	SimKindMandate    = string(paymentKindMandate)
	SimKindRenewal    = string(paymentKindRenewal)
	SimKindCharge     = string(paymentKindCharge)
	SimKindPlanChange = string(paymentKindPlanChange)
	SimKindDues       = string(paymentKindDues)
)

// PaymentState is a payment plus simulator internals.
type PaymentState struct {
	dodo.Payment
	SimKind    string   `json:"sim_kind"`
	SimPaidBy  string   `json:"sim_paid_by,omitempty"`
	SimDuesFor []string `json:"sim_dues_for,omitempty"`
}

// State returns a consistent snapshot of every object and every webhook
// delivery record, after processing what is due.
func (s *Simulator) State() State {
	s.catchUp()
	s.mu.RLock()
	state := State{Now: s.clock.Now()}
	for _, cust := range s.st.customersOrder {
		state.Customers = append(state.Customers, CustomerState{
			ID: cust.id, Email: cust.email, Name: cust.name, DeclineCode: cust.declineCode,
			CreatedAt: cust.createdAt, PaymentMethodIDs: slices.Clone(cust.paymentMethods),
		})
		for _, id := range cust.paymentMethods {
			m := s.st.methods[id]
			state.PaymentMethods = append(state.PaymentMethods, PaymentMethodState{
				CustomerPaymentMethod: renderPaymentMethod(m), CustomerID: cust.id, CardLast4: lastFour(m.card.Number),
				DeclineCode: m.card.DeclineCode, CustomerDeclineCode: m.customerDeclineCode,
			})
		}
	}
	for _, sub := range s.st.subsOrdered {
		state.Subscriptions = append(state.Subscriptions, SubscriptionState{
			Subscription: s.renderSubscriptionLocked(sub), SimInTrial: sub.inTrial,
			SimCredit: sub.credit, SimDues: paymentIDs(sub.dues),
		})
	}
	for _, p := range s.st.paymentsOrdered {
		state.Payments = append(state.Payments, PaymentState{
			Payment: s.renderPaymentLocked(p), SimKind: string(p.kind),
			SimPaidBy: p.paidBy, SimDuesFor: paymentIDs(p.duesFor),
		})
	}
	for _, co := range s.st.checkouts {
		state.Checkouts = append(state.Checkouts, viewCheckout(co))
	}
	s.mu.RUnlock()
	slices.SortFunc(state.Checkouts, func(a, b CheckoutView) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	state.Webhooks, _ = s.hub.snapshot()
	return state
}

func paymentIDs(payments []*payment) []string {
	ids := make([]string, 0, len(payments))
	for _, p := range payments {
		ids = append(ids, p.PaymentID)
	}
	return ids
}

// PaymentsOf returns the payments of a subscription in creation order, only
// those of kind when kind is not empty: for example
// len(st.PaymentsOf(id, SimKindDues)) counts the dues payments, which pessimistic
// mode lets a repeated update-payment-method duplicate.
func (st State) PaymentsOf(subscriptionID, kind string) []PaymentState {
	var out []PaymentState
	for _, p := range st.Payments {
		if p.SubscriptionID != nil && *p.SubscriptionID == subscriptionID && (kind == "" || p.SimKind == kind) {
			out = append(out, p)
		}
	}
	return out
}
