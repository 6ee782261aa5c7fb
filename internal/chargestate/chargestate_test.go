package chargestate

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

var t0 = time.Date(2026, 11, 2, 13, 10, 0, 0, time.UTC)

func TestSettle(t *testing.T) {
	updated := t0.Add(90 * time.Second)
	declined := &dodo.Payment{PaymentID: "pay_1", ErrorCode: ptr.To("INSUFFICIENT_FUNDS"), ErrorMessage: ptr.To("no funds")}
	cases := map[string]struct {
		start   billingv1alpha1.AttemptOutcome
		payment *dodo.Payment
		status  dodo.PaymentStatus
		changed bool
		want    billingv1alpha1.ChargeAttempt
	}{
		"Succeeded": {billingv1alpha1.AttemptPending, &dodo.Payment{PaymentID: "pay_1"}, dodo.PaymentStatusSucceeded, true,
			billingv1alpha1.ChargeAttempt{Outcome: billingv1alpha1.AttemptSucceeded, CompletedAt: ptr.To(metav1.NewTime(t0))}},
		"FailedKeepsTheCode": {billingv1alpha1.AttemptPending, declined, dodo.PaymentStatusFailed, true,
			billingv1alpha1.ChargeAttempt{Outcome: billingv1alpha1.AttemptFailed, DeclineCode: "INSUFFICIENT_FUNDS",
				Message: "no funds", CompletedAt: ptr.To(metav1.NewTime(t0))}},
		"CancelledIsAFailureWithoutCode": {billingv1alpha1.AttemptPending, &dodo.Payment{UpdatedAt: &updated},
			dodo.PaymentStatusCancelled, true,
			billingv1alpha1.ChargeAttempt{Outcome: billingv1alpha1.AttemptFailed, CompletedAt: ptr.To(metav1.NewTime(updated))}},
		"InFlightSettlesNothing": {billingv1alpha1.AttemptPending, &dodo.Payment{}, dodo.PaymentStatusProcessing, false,
			billingv1alpha1.ChargeAttempt{Outcome: billingv1alpha1.AttemptPending}},
		"CustomerActionSettlesNothing": {billingv1alpha1.AttemptPending, &dodo.Payment{}, dodo.PaymentStatusRequiresCustomerAction,
			false, billingv1alpha1.ChargeAttempt{Outcome: billingv1alpha1.AttemptPending}},
		"FinalNeverChanges": {billingv1alpha1.AttemptSucceeded, declined, dodo.PaymentStatusFailed, false,
			billingv1alpha1.ChargeAttempt{Outcome: billingv1alpha1.AttemptSucceeded}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			a := billingv1alpha1.ChargeAttempt{Outcome: tc.start}
			if changed := Settle(&a, tc.payment, tc.status, t0.Add(300*time.Millisecond)); changed != tc.changed {
				t.Fatalf("changed = %v", changed)
			}
			if diff := cmp.Diff(tc.want, a); diff != "" {
				t.Fatalf("attempt (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStampAndAttempt(t *testing.T) {
	md := dodo.Metadata{"k8s_namespace": "ns", "k8s_name": "c", "k8s_uid": "u1", "k8s_charge_key": "key", "retry_attempt": "1"}
	s, ok := StampOf(md)
	if !ok || s.ChargeKey != "key" || s.AttemptNumber != 2 || s.Identity.Name != "c" {
		t.Fatalf("StampOf = %+v %v", s, ok)
	}
	if !MadeBy(md, "key", 2) || MadeBy(md, "key", 1) || MadeBy(md, "other", 2) {
		t.Fatal("MadeBy")
	}
	if _, ok := StampOf(dodo.Metadata{"k8s_namespace": "ns", "k8s_name": "sub", "k8s_uid": "u2"}); ok {
		t.Fatal("a subscription stamp read as a charge stamp")
	}
	attempts := []billingv1alpha1.ChargeAttempt{{Number: 1, PaymentID: "pay_1"}, {Number: 2}}
	cases := map[string]struct {
		id       string
		number   int32
		index    int
		conflict bool
	}{
		"ByPaymentID":          {"pay_1", 0, 0, false},
		"ByNumber":             {"pay_2", 2, 1, false},
		"SecondPaymentForOne":  {"pay_9", 1, -1, true},
		"UnknownWithoutNumber": {"pay_9", 0, -1, false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if i, c := FindAttempt(attempts, tc.id, tc.number); i != tc.index || c != tc.conflict {
				t.Fatalf("FindAttempt = %d %v", i, c)
			}
		})
	}
}

func TestKeyOf(t *testing.T) {
	c := &billingv1alpha1.OnDemandCharge{ObjectMeta: metav1.ObjectMeta{Name: "name"}}
	if KeyOf(c) != "name" {
		t.Fatal("name")
	}
	c.Spec.ChargeKey = "spec"
	if KeyOf(c) != "spec" {
		t.Fatal("spec")
	}
	c.Status.ChargeKey = "status"
	if KeyOf(c) != "status" {
		t.Fatal("status wins: the key in effect never changes")
	}
}
