package harness

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

// Products of the simulator's built-in catalogue used by the workloads.
const (
	// ProductBasic is $30/month, no trial.
	ProductBasic = "pdt_sim_basic"
	// ProductOnDemand is the on-demand product.
	ProductOnDemand = "pdt_sim_on_demand"
)

// EmailDomain is the domain of every workload customer.
const EmailDomain = "@faulttest.example"

// DecliningEmail is the e-mail of a customer whose cards decline every real charge (the
// simulator's +decline_ convention, docs/dodo-api.md §8.1): the mandate is authorised, and
// renewals and charges fail with INSUFFICIENT_FUNDS.
func DecliningEmail(name string) string {
	return name + "+decline_insufficient_funds" + EmailDomain
}

// SubscriptionFor builds a Subscription for a new customer with e-mail email, paid with
// the customer's saved card (no payment link), so Dodo activates it at once.
func SubscriptionFor(namespace, name, email string, policy billingv1alpha1.DeletionPolicy) *billingv1alpha1.Subscription {
	return &billingv1alpha1.Subscription{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: billingv1alpha1.SubscriptionSpec{
			ProductID: ProductBasic, Quantity: 1,
			Customer:       billingv1alpha1.CustomerSpec{Email: email, Name: strings.ToUpper(name[:1]) + name[1:]},
			Billing:        billingv1alpha1.BillingAddress{Country: "US"},
			DeletionPolicy: policy,
		},
	}
}

// RegularSubscription is a monthly subscription for a new, paying customer.
func RegularSubscription(namespace, name string, policy billingv1alpha1.DeletionPolicy) *billingv1alpha1.Subscription {
	return SubscriptionFor(namespace, name, name+EmailDomain, policy)
}

// OnDemandSubscription is a mandate-only on-demand subscription for a new customer.
func OnDemandSubscription(namespace, name, email string) *billingv1alpha1.Subscription {
	sub := SubscriptionFor(namespace, name, email, billingv1alpha1.DeletionPolicyCancel)
	sub.Spec.ProductID = ProductOnDemand
	sub.Spec.OnDemand = &billingv1alpha1.OnDemandSpec{MandateOnly: true}
	return sub
}

// Charge is a one-attempt charge of amount cents to the Subscription subscription.
func Charge(namespace, name, subscription string, amount int64) *billingv1alpha1.OnDemandCharge {
	return &billingv1alpha1.OnDemandCharge{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: billingv1alpha1.OnDemandChargeSpec{
			SubscriptionRef: billingv1alpha1.LocalSubscriptionReference{Name: subscription},
			Amount:          amount, Currency: "USD",
			RetryPolicy: &billingv1alpha1.ChargeRetryPolicy{MaxAttempts: ptr.To[int32](1)},
		},
	}
}

// Namespace is a namespace object.
func Namespace(name string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
}

// ConditionStatus returns the status of condition type t, "" when absent.
func ConditionStatus(conditions []metav1.Condition, t string) metav1.ConditionStatus {
	for _, c := range conditions {
		if c.Type == t {
			return c.Status
		}
	}
	return ""
}

// ConditionOf returns condition type t, nil when absent.
func ConditionOf(conditions []metav1.Condition, t string) *metav1.Condition {
	for i := range conditions {
		if conditions[i].Type == t {
			return &conditions[i]
		}
	}
	return nil
}
