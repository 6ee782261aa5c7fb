package subscription

import (
	"maps"

	"k8s.io/utils/ptr"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/stamp"
)

// Defaults applied in code (never in the schema, so Argo CD sees no diff).
const (
	defaultProrationMode  = dodo.ProrationBillingMode("prorated_immediately")
	defaultDeletionPolicy = billingv1alpha1.DeletionPolicyCancelAtPeriodEnd
)

func identityOf(sub *billingv1alpha1.Subscription) stamp.Identity {
	return stamp.Identity{Namespace: sub.Namespace, Name: sub.Name, UID: sub.UID}
}

// CreateRequestFor is the create call the controller makes for sub; benchmarks seed the
// simulator with it, as if an earlier run had created the subscriptions.
func CreateRequestFor(sub *billingv1alpha1.Subscription) dodo.CreateSubscriptionRequest {
	return createRequest(sub)
}

// createRequest is the create call for the spec, stamped with the object's identity.
func createRequest(sub *billingv1alpha1.Subscription) dodo.CreateSubscriptionRequest {
	spec := &sub.Spec
	req := dodo.CreateSubscriptionRequest{
		ProductID:     spec.ProductID,
		Quantity:      int(spec.Quantity),
		Billing:       billingAddress(spec.Billing),
		Metadata:      stamp.Subscription(spec.Metadata, identityOf(sub)),
		PaymentLink:   spec.PaymentLink,
		DiscountCodes: spec.DiscountCodes,
		Addons:        addons(spec.Addons),
	}
	if spec.Customer.ID != "" {
		req.Customer = dodo.ExistingCustomer(spec.Customer.ID)
	} else {
		req.Customer = dodo.NewCustomer(spec.Customer.Email, spec.Customer.Name, spec.Customer.PhoneNumber)
	}
	if spec.ReturnURL != "" {
		req.ReturnURL = ptr.To(spec.ReturnURL)
	}
	if spec.TaxID != "" {
		req.TaxID = ptr.To(spec.TaxID)
	}
	if spec.TrialPeriodDays != nil {
		req.TrialPeriodDays = ptr.To(int(*spec.TrialPeriodDays))
	}
	if od := spec.OnDemand; od != nil {
		req.OnDemand = &dodo.OnDemand{
			MandateOnly: od.MandateOnly, ProductPrice: od.ProductPrice,
			ProductDescription: dodo.OptionalString(od.ProductDescription), ProductCurrency: dodo.OptionalString(od.ProductCurrency),
			AdaptiveCurrencyFeesInclusive: od.AdaptiveCurrencyFeesInclusive,
		}
	}
	return req
}

// planChange returns the change-plan call needed to bring the observed plan to the spec,
// or nil when the plan already matches, is already scheduled, or was already requested.
func planChange(sub *billingv1alpha1.Subscription, observed *dodo.Subscription) *dodo.ChangePlanRequest {
	spec := &sub.Spec
	if planMatches(spec, observed.ProductID, observed.Quantity, observed.Addons) {
		return nil
	}
	if scheduledAsSpec(spec, observed) {
		return nil
	}
	if last := sub.Status.LastPlanChangeRequest; last != nil && requestMatchesSpec(last, spec) {
		return nil
	}
	req := &dodo.ChangePlanRequest{
		ProductID:            spec.ProductID,
		Quantity:             int(spec.Quantity),
		ProrationBillingMode: defaultProrationMode,
		Addons:               addons(spec.Addons),
	}
	if req.Addons == nil {
		// An empty list removes add-ons; the spec lists none, so Dodo should have none.
		req.Addons = []dodo.Addon{}
	}
	if pc := spec.PlanChange; pc != nil {
		if pc.ProrationBillingMode != "" {
			req.ProrationBillingMode = dodo.ProrationBillingMode(pc.ProrationBillingMode)
		}
		req.EffectiveAt = dodo.EffectiveAt(pc.EffectiveAt)
		req.OnPaymentFailure = dodo.OnPaymentFailure(pc.OnPaymentFailure)
	}
	return req
}

func planMatches(spec *billingv1alpha1.SubscriptionSpec, productID string, quantity int, observed []dodo.Addon) bool {
	if spec.ProductID != productID || int(spec.Quantity) != quantity || len(spec.Addons) != len(observed) {
		return false
	}
	want := map[string]int{}
	for _, a := range spec.Addons {
		want[a.AddonID] = int(a.Quantity)
	}
	for _, a := range observed {
		if want[a.AddonID] != a.Quantity {
			return false
		}
	}
	return true
}

// fieldUpdate returns the PATCH needed for metadata, billing, tax ID and scheduled
// cancellation, or nil when nothing drifted.
func fieldUpdate(sub *billingv1alpha1.Subscription, observed *dodo.Subscription) *dodo.UpdateSubscriptionRequest {
	spec := &sub.Spec
	req := &dodo.UpdateSubscriptionRequest{}
	changed := false
	if want := stamp.Subscription(spec.Metadata, identityOf(sub)); !maps.Equal(want, map[string]string(observed.Metadata)) {
		req.Metadata, changed = want, true
	}
	if want := billingAddress(spec.Billing); !sameBilling(want, observed.Billing) {
		req.Billing, changed = &want, true
	}
	if spec.TaxID != "" && spec.TaxID != ptr.Deref(observed.TaxID, "") {
		req.TaxID, changed = ptr.To(spec.TaxID), true
	}
	if c := spec.CancelAtNextBillingDate; c != nil && *c != observed.CancelAtNextBillingDate {
		req.CancelAtNextBillingDate, changed = ptr.To(*c), true
	}
	if !changed {
		return nil
	}
	return req
}

// paymentMethodRequest returns the update-payment-method call the spec asks for and its
// request key, or nil when it was already sent (a repeat could charge dues twice) or the
// subscription already uses the requested saved method.
func paymentMethodRequest(sub *billingv1alpha1.Subscription, observed *dodo.Subscription) (*dodo.UpdatePaymentMethodRequest, string) {
	pm := sub.Spec.PaymentMethod
	if pm == nil {
		return nil, ""
	}
	key := paymentMethodKey(pm)
	if key == sub.Status.LastPaymentMethodRequest {
		return nil, key
	}
	if pm.ExistingID != "" {
		if pm.ExistingID == ptr.Deref(observed.PaymentMethodID, "") &&
			observed.Status != dodo.SubscriptionStatusOnHold {
			return nil, key
		}
		req := dodo.UseExistingPaymentMethod(pm.ExistingID)
		return &req, key
	}
	req := dodo.UseNewPaymentMethod(dodo.OptionalString(pm.New.ReturnURL), pm.New.AllowedPaymentMethodTypes...)
	return &req, key
}

func paymentMethodKey(pm *billingv1alpha1.PaymentMethodSpec) string {
	if pm.ExistingID != "" {
		return "existing:" + pm.ExistingID
	}
	return "new:" + pm.New.Token
}

func billingAddress(b billingv1alpha1.BillingAddress) dodo.BillingAddress {
	return dodo.BillingAddress{
		Country: b.Country, State: dodo.OptionalString(b.State), City: dodo.OptionalString(b.City),
		Street: dodo.OptionalString(b.Street), Zipcode: dodo.OptionalString(b.Zipcode),
	}
}

func sameBilling(a, b dodo.BillingAddress) bool {
	return a.Country == b.Country && ptr.Deref(a.State, "") == ptr.Deref(b.State, "") &&
		ptr.Deref(a.City, "") == ptr.Deref(b.City, "") && ptr.Deref(a.Street, "") == ptr.Deref(b.Street, "") &&
		ptr.Deref(a.Zipcode, "") == ptr.Deref(b.Zipcode, "")
}

func addons(in []billingv1alpha1.Addon) []dodo.Addon {
	if len(in) == 0 {
		return nil
	}
	out := make([]dodo.Addon, 0, len(in))
	for _, a := range in {
		out = append(out, dodo.Addon{AddonID: a.AddonID, Quantity: int(a.Quantity)})
	}
	return out
}
