package simulator

import (
	"encoding/json"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// Rendering returns shallow copies of the stored wire structs; see the note
// in store.go on why that is safe to marshal after the lock is released.

func (s *Simulator) customerDetailsLocked(c *customer) dodo.CustomerLimitedDetails {
	return dodo.CustomerLimitedDetails{CustomerID: c.id, Email: c.email, Name: c.name, PhoneNumber: c.phone}
}

func (s *Simulator) renderSubscriptionLocked(sub *subscription) dodo.Subscription {
	out := sub.Subscription
	out.Customer = s.customerDetailsLocked(sub.customer)
	return out
}

// renderSubscriptionItemLocked renders a list item from w, the live
// subscription or the older copy a lagging list shows.
func (s *Simulator) renderSubscriptionItemLocked(w dodo.Subscription, cust *customer) dodo.SubscriptionListItem {
	name := s.products[w.ProductID].Name
	discounts := []dodo.ListDiscount{}
	return dodo.SubscriptionListItem{
		SubscriptionID: w.SubscriptionID, Status: w.Status, ProductID: w.ProductID, ProductName: &name,
		Quantity: w.Quantity, Customer: s.customerDetailsLocked(cust), Billing: w.Billing,
		Currency: w.Currency, RecurringPreTaxAmount: w.RecurringPreTaxAmount, TaxInclusive: w.TaxInclusive,
		PaymentFrequencyCount: w.PaymentFrequencyCount, PaymentFrequencyInterval: w.PaymentFrequencyInterval,
		SubscriptionPeriodCount: w.SubscriptionPeriodCount, SubscriptionPeriodInterval: w.SubscriptionPeriodInterval,
		TrialPeriodDays: w.TrialPeriodDays, CreatedAt: w.CreatedAt, PreviousBillingDate: w.PreviousBillingDate,
		NextBillingDate: w.NextBillingDate, CancelAtNextBillingDate: w.CancelAtNextBillingDate, OnDemand: w.OnDemand,
		Metadata: w.Metadata, CancelledAt: w.CancelledAt, PausedAt: w.PausedAt, PaymentMethodID: w.PaymentMethodID,
		ScheduledChange: w.ScheduledChange, TaxID: w.TaxID, CustomerBusinessName: w.CustomerBusinessName,
		Discounts: discounts, DiscountID: w.DiscountID, DiscountCyclesRemaining: w.DiscountCyclesRemaining,
		TrialAmount: w.TrialAmount,
	}
}

func (s *Simulator) renderPaymentLocked(p *payment) dodo.Payment {
	out := p.Payment
	out.Customer = s.customerDetailsLocked(p.customer)
	return out
}

// renderPaymentItemLocked renders a list item from w, the live payment or
// the older copy a lagging list shows.
func (s *Simulator) renderPaymentItemLocked(w dodo.Payment, cust *customer) dodo.PaymentListItem {
	return dodo.PaymentListItem{
		PaymentID: w.PaymentID, BrandID: w.BrandID, CreatedAt: w.CreatedAt, Currency: w.Currency,
		Customer: s.customerDetailsLocked(cust), Metadata: w.Metadata, TotalAmount: w.TotalAmount,
		DigitalProductsDelivered: w.DigitalProductsDelivered, PaymentProvider: w.PaymentProvider,
		Status: w.Status, SubscriptionID: w.SubscriptionID, PaymentMethod: w.PaymentMethod,
		PaymentMethodType: w.PaymentMethodType, CardLastFour: w.CardLastFour, CardNetwork: w.CardNetwork,
		InvoiceID: w.InvoiceID, InvoiceURL: w.InvoiceURL, RefundStatus: w.RefundStatus,
	}
}

// cardDetails is the "card" object of a saved payment method (field names
// as in Dodo's SDK models).
type cardDetails struct {
	CardNetwork        string `json:"card_network"`
	CardType           string `json:"card_type"`
	CardIssuingCountry string `json:"card_issuing_country"`
	Last4Digits        string `json:"last4_digits"`
	ExpiryMonth        string `json:"expiry_month"`
	ExpiryYear         string `json:"expiry_year"`
}

func renderPaymentMethod(m *paymentMethod) dodo.CustomerPaymentMethod {
	card, _ := json.Marshal(cardDetails{
		CardNetwork: m.card.Network, CardType: "CREDIT", CardIssuingCountry: m.card.Country,
		Last4Digits: lastFour(m.card.Number), ExpiryMonth: "06", ExpiryYear: "32",
	})
	methodType := "credit"
	recurring := true
	return dodo.CustomerPaymentMethod{
		PaymentMethodID: m.id, PaymentMethod: "card", PaymentMethodType: &methodType,
		Card: card, LastUsedAt: m.lastUsedAt, RecurringEnabled: &recurring,
	}
}

func lastFour(number string) string {
	if len(number) < 4 {
		return number
	}
	return number[len(number)-4:]
}
