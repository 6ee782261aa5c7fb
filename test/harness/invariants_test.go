package harness

import (
	"reflect"
	"testing"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
)

func subscriptionStamped(id, namespace, uid string) simulator.SubscriptionState {
	return simulator.SubscriptionState{Subscription: dodo.Subscription{SubscriptionID: id,
		Metadata: dodo.Metadata{"k8s_namespace": namespace, "k8s_name": "n-" + uid, "k8s_uid": uid}}}
}

func chargePayment(id, namespace, key, attempt string, status dodo.PaymentStatus) simulator.PaymentState {
	return simulator.PaymentState{SimKind: "charge", Payment: dodo.Payment{PaymentID: id, Status: &status,
		Metadata: dodo.Metadata{"k8s_namespace": namespace, "k8s_name": "c", "k8s_uid": "u", "k8s_charge_key": key,
			"retry_attempt": attempt}}}
}

func TestCheckState(t *testing.T) {
	ok, failed := dodo.PaymentStatusSucceeded, dodo.PaymentStatusFailed
	cases := []struct {
		name  string
		state simulator.State
		want  Findings
	}{
		{"clean", simulator.State{
			Subscriptions: []simulator.SubscriptionState{subscriptionStamped("sub_1", "ns", "a"), subscriptionStamped("sub_2", "ns", "b")},
			Payments: []simulator.PaymentState{chargePayment("p1", "ns", "k", "0", failed), chargePayment("p2", "ns", "k", "1", ok),
				chargePayment("p3", "ns", "k2", "0", ok)},
		}, Findings{Subscriptions: 2, ChargePayments: 3}},
		{"double create and double charge", simulator.State{
			Subscriptions: []simulator.SubscriptionState{subscriptionStamped("sub_1", "ns", "a"), subscriptionStamped("sub_2", "ns", "a")},
			Payments:      []simulator.PaymentState{chargePayment("p1", "ns", "k", "0", ok), chargePayment("p2", "ns", "k", "0", ok)},
		}, Findings{Subscriptions: 2, ChargePayments: 2, DuplicateSubscriptions: []string{"a(x2)"},
			DuplicateAttempts: []string{"k#0(x2)"}, DoubleSuccesses: []string{"k(x2)"}}},
		{"other namespaces and unstamped objects are ignored", simulator.State{
			Subscriptions: []simulator.SubscriptionState{subscriptionStamped("sub_1", "other", "a"), subscriptionStamped("sub_2", "other", "a"),
				{Subscription: dodo.Subscription{SubscriptionID: "sub_3"}}},
			Payments: []simulator.PaymentState{chargePayment("p1", "other", "k", "0", ok), chargePayment("p2", "other", "k", "0", ok),
				{Payment: dodo.Payment{PaymentID: "p3", Status: &ok}}},
		}, Findings{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := CheckState(c.state, "ns")
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("CheckState = %+v, want %+v", got, c.want)
			}
			if got.Duplicates() != len(c.want.DuplicateSubscriptions)+len(c.want.DuplicateAttempts)+len(c.want.DoubleSuccesses) {
				t.Fatalf("Duplicates() = %d", got.Duplicates())
			}
		})
	}
}

func TestPaymentsOfSubscription(t *testing.T) {
	sub := "sub_1"
	other := "sub_2"
	st := simulator.State{Payments: []simulator.PaymentState{
		{SimKind: "plan_change", Payment: dodo.Payment{PaymentID: "p1", SubscriptionID: &sub}},
		{SimKind: "mandate", Payment: dodo.Payment{PaymentID: "p2", SubscriptionID: &sub}},
		{SimKind: "plan_change", Payment: dodo.Payment{PaymentID: "p3", SubscriptionID: &other}},
	}}
	got := PaymentsOfSubscription(st, "sub_1", "plan_change")
	if len(got) != 1 || got[0].PaymentID != "p1" {
		t.Fatalf("PaymentsOfSubscription = %+v", got)
	}
	byUID := SubscriptionsByUID(simulator.State{Subscriptions: []simulator.SubscriptionState{
		subscriptionStamped("sub_1", "ns", "a"), subscriptionStamped("sub_2", "ns", "a"), subscriptionStamped("sub_3", "x", "b")}}, "ns")
	if len(byUID) != 1 || len(byUID["a"]) != 2 {
		t.Fatalf("SubscriptionsByUID = %+v", byUID)
	}
}
