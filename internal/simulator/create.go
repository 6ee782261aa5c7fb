package simulator

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// createSubscription implements POST /subscriptions (docs/dodo-api.md §3.1, §8.1).
func (s *Simulator) createSubscription(req dodo.CreateSubscriptionRequest, baseURL string) (dodo.CreateSubscriptionResponse, error) {
	if err := validateCreate(req); err != nil {
		return dodo.CreateSubscriptionResponse{}, err
	}
	return write(s, func(now time.Time) (dodo.CreateSubscriptionResponse, error) {
		return s.createSubscriptionLocked(req, baseURL, now)
	})
}

func (s *Simulator) createSubscriptionLocked(
	req dodo.CreateSubscriptionRequest, baseURL string, now time.Time,
) (dodo.CreateSubscriptionResponse, error) {
	product, ok := s.products[req.ProductID]
	if !ok {
		return dodo.CreateSubscriptionResponse{}, unprocessable(codeInvalidRequestParameters, "product %s does not exist", req.ProductID)
	}
	if req.OnDemand != nil && !product.OnDemand {
		return dodo.CreateSubscriptionResponse{}, unprocessable(codeOnDemandNotEnabled,
			"on-demand subscriptions are not enabled for product %s", product.ID)
	}
	cust, err := s.resolveCustomerLocked(req.Customer, now)
	if err != nil {
		return dodo.CreateSubscriptionResponse{}, err
	}
	savedMethod, err := s.requestedMethodLocked(cust, req.PaymentMethodID)
	if err != nil {
		return dodo.CreateSubscriptionResponse{}, err
	}
	sub := s.newSubscriptionLocked(req, product, cust, now)
	first := s.newPaymentLocked(sub, paymentSpec{
		kind: paymentKindMandate, amount: firstChargeAmount(req, product, sub.inTrial),
		status: dodo.PaymentStatusRequiresPaymentMethod,
	}, now)
	resp := dodo.CreateSubscriptionResponse{
		SubscriptionID: sub.SubscriptionID, PaymentID: first.PaymentID, Customer: s.customerDetailsLocked(cust),
		Metadata: sub.Metadata, RecurringPreTaxAmount: sub.RecurringPreTaxAmount, Addons: []dodo.Addon{},
	}
	if req.PaymentLink != nil && *req.PaymentLink {
		co := s.openCheckoutLocked(checkoutMandate, sub, first, req.ReturnURL, now)
		link := checkoutURL(baseURL, co.id)
		first.PaymentLink = &link
		resp.PaymentLink, resp.ExpiresOn = &link, timePtr(co.expiresAt)
		return resp, nil
	}
	if savedMethod == nil {
		savedMethod = s.defaultMethodLocked(cust, now)
	}
	s.completeMandateLocked(sub, first, savedMethod, now)
	return resp, nil
}

func validateCreate(req dodo.CreateSubscriptionRequest) error {
	if err := req.Validate(); err != nil {
		return badBody(err)
	}
	if req.OnDemand != nil && len(req.Addons) > 0 {
		return unprocessable(codeAddonsNotAllowedOnDemand, "add-ons are not allowed on on-demand subscriptions")
	}
	if req.OnDemand != nil && len(req.DiscountCodes) > 0 {
		return unprocessable(codeDiscountNotAvailOnDemand, "discounts are not available for on-demand subscriptions")
	}
	if len(req.Addons) > 0 {
		return unprocessable(codeMissingAddonIDs, "the simulator has no add-ons")
	}
	if len(req.DiscountCodes) > 0 {
		return unprocessable(codeInvalidDiscountCode, "the simulator has no discount codes")
	}
	if req.TrialPeriodDays != nil && (*req.TrialPeriodDays < 0 || *req.TrialPeriodDays > 10000) {
		return unprocessable(codeInvalidRequestParameters, "trial_period_days must be within 0..10000")
	}
	if req.OnDemand != nil && req.OnDemand.ProductPrice != nil && *req.OnDemand.ProductPrice < 0 {
		return unprocessable(codeInvalidRequestParameters, "on_demand.product_price must not be negative")
	}
	return validateMetadata(req.Metadata)
}

// firstChargeAmount is what the mandate charges: nothing for mandate-only
// on-demand subscriptions and trials, the on-demand price override if given,
// else price × quantity.
func firstChargeAmount(req dodo.CreateSubscriptionRequest, product Product, inTrial bool) int64 {
	if req.OnDemand != nil {
		switch {
		case req.OnDemand.MandateOnly:
			return 0
		case req.OnDemand.ProductPrice != nil:
			return *req.OnDemand.ProductPrice
		}
	}
	if inTrial {
		return 0
	}
	return product.Price * int64(req.Quantity)
}

func (s *Simulator) newSubscriptionLocked(
	req dodo.CreateSubscriptionRequest, product Product, cust *customer, now time.Time,
) *subscription {
	trialDays := product.TrialDays
	if req.TrialPeriodDays != nil {
		trialDays = *req.TrialPeriodDays
	}
	onDemand := req.OnDemand != nil
	recurring := product.Price
	if onDemand {
		recurring = 0 // as in the docs' on-demand example; billed by charges
	}
	sub := &subscription{
		Subscription: dodo.Subscription{
			SubscriptionID: s.ids.next(prefixSubscription), Status: dodo.SubscriptionStatusPending,
			ProductID: product.ID, Quantity: req.Quantity, Billing: req.Billing, BrandID: s.cfg.BrandID,
			Currency: product.Currency, RecurringPreTaxAmount: recurring,
			PaymentFrequencyCount: product.IntervalCount, PaymentFrequencyInterval: product.Interval,
			SubscriptionPeriodCount: product.PeriodCount, SubscriptionPeriodInterval: product.PeriodInterval,
			TrialPeriodDays: trialDays, CreatedAt: now, PreviousBillingDate: now,
			NextBillingDate: mustAddInterval(now, product.Interval, product.IntervalCount),
			OnDemand:        onDemand, Metadata: cloneMetadata(req.Metadata), Addons: []dodo.Addon{},
			Meters: []json.RawMessage{}, CreditEntitlementCart: []json.RawMessage{},
			MeterCreditEntitlementCart: []json.RawMessage{}, TaxID: req.TaxID,
			CustomerBusinessName: req.CustomerBusinessName,
		},
		customer: cust,
		product:  product,
		inTrial:  trialDays > 0 && !onDemand,
	}
	s.st.addSubscription(sub)
	s.markSubscriptionChangedLocked(sub, now)
	return sub
}

// resolveCustomerLocked finds the existing customer or creates a new one.
// A new-customer form whose email is already known reuses that customer
// (Dodo's behaviour here is not documented).
func (s *Simulator) resolveCustomerLocked(req dodo.CustomerRequest, now time.Time) (*customer, error) {
	if req.IsExisting() {
		cust, ok := s.st.customers[req.CustomerID]
		if !ok {
			return nil, unprocessable(codeInvalidRequestParameters, "customer %s does not exist", req.CustomerID)
		}
		return cust, nil
	}
	key := strings.ToLower(strings.TrimSpace(req.Email))
	if cust, ok := s.st.customerByEmail[key]; ok {
		return cust, nil
	}
	cust := &customer{
		id: s.ids.next(prefixCustomer), email: req.Email, name: req.Name, createdAt: now,
		declineCode: declineCodeFromEmail(req.Email),
	}
	if req.PhoneNumber != "" {
		phone := req.PhoneNumber
		cust.phone = &phone
	}
	s.st.customers[cust.id] = cust
	s.st.customerByEmail[key] = cust
	s.st.customersOrder = append(s.st.customersOrder, cust)
	return cust, nil
}

func (s *Simulator) requestedMethodLocked(cust *customer, id *string) (*paymentMethod, error) {
	if id == nil {
		return nil, nil
	}
	m, ok := s.st.methods[*id]
	if !ok || m.customerID != cust.id {
		return nil, unprocessable(codeInvalidRequestParameters, "payment method %s does not belong to customer %s", *id, cust.id)
	}
	return m, nil
}

// defaultMethodLocked is the customer's most recent saved card or, when
// there is none, a DefaultTestCard saved now (documented simulator rule for
// subscriptions created without a payment link).
func (s *Simulator) defaultMethodLocked(cust *customer, now time.Time) *paymentMethod {
	if n := len(cust.paymentMethods); n > 0 {
		return s.st.methods[cust.paymentMethods[n-1]]
	}
	card, _ := LookupTestCard(DefaultTestCard)
	return s.addPaymentMethodLocked(cust, card, now)
}

func (s *Simulator) addPaymentMethodLocked(cust *customer, card TestCard, now time.Time) *paymentMethod {
	m := &paymentMethod{
		id: s.ids.next(prefixPaymentMethod), customerID: cust.id, card: card,
		customerDeclineCode: cust.declineCode, createdAt: now,
	}
	s.st.methods[m.id] = m
	cust.paymentMethods = append(cust.paymentMethods, m.id)
	return m
}

// completeMandateLocked authorises the mandate on method and charges the
// first amount. Success: subscription.active (+ payment.succeeded when an
// amount was charged), the documented order. Failure: payment.failed then
// subscription.failed.
func (s *Simulator) completeMandateLocked(sub *subscription, first *payment, method *paymentMethod, at time.Time) {
	if sub.Status != dodo.SubscriptionStatusPending {
		return
	}
	id := method.id
	sub.PaymentMethodID = &id
	s.setPaymentMethodLocked(first, method)
	s.setPaymentStatusLocked(first, dodo.PaymentStatusProcessing, at)
	if declineFor(method, first.TotalAmount) != "" {
		s.chargeLocked(first, at)
		sub.Status = dodo.SubscriptionStatusFailed
		s.emitSubscriptionLocked(sub, dodo.EventSubscriptionFailed, at)
		s.emitSubscriptionLocked(sub, dodo.EventSubscriptionUpdated, at)
		return
	}
	s.activateLocked(sub, at)
	s.chargeLocked(first, at)
	s.emitSubscriptionLocked(sub, dodo.EventSubscriptionUpdated, at)
}
