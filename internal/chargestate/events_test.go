package chargestate

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

func TestAttemptEvents(t *testing.T) {
	pending := billingv1alpha1.ChargeAttempt{Number: 1, PaymentID: "pay_1", Outcome: billingv1alpha1.AttemptPending}
	declined := billingv1alpha1.ChargeAttempt{Number: 1, PaymentID: "pay_1", Outcome: billingv1alpha1.AttemptFailed,
		DeclineCode: "INSUFFICIENT_FUNDS", Message: "Payment declined"}
	succeeded := billingv1alpha1.ChargeAttempt{Number: 2, PaymentID: "pay_2", Outcome: billingv1alpha1.AttemptSucceeded}
	unknown := billingv1alpha1.ChargeAttempt{Number: 1, Outcome: billingv1alpha1.AttemptUnknown}
	tests := []struct {
		name          string
		before, after []billingv1alpha1.ChargeAttempt
		want          []Event
	}{
		{"a decline is a Warning", []billingv1alpha1.ChargeAttempt{pending}, []billingv1alpha1.ChargeAttempt{declined},
			[]Event{{corev1.EventTypeWarning, ReasonChargeDeclined,
				"Attempt 1 (payment pay_1) was declined: INSUFFICIENT_FUNDS: Payment declined"}}},
		{"already told: nothing", []billingv1alpha1.ChargeAttempt{declined}, []billingv1alpha1.ChargeAttempt{declined}, nil},
		{"a new attempt settled in the same write", []billingv1alpha1.ChargeAttempt{declined},
			[]billingv1alpha1.ChargeAttempt{declined, succeeded},
			[]Event{{corev1.EventTypeNormal, ReasonCharged, "Attempt 2 (payment pay_2) succeeded"}}},
		{"unknown is not an outcome to tell", []billingv1alpha1.ChargeAttempt{pending}, []billingv1alpha1.ChargeAttempt{unknown}, nil},
		{"unknown later settled", []billingv1alpha1.ChargeAttempt{unknown},
			[]billingv1alpha1.ChargeAttempt{{Number: 1, Outcome: billingv1alpha1.AttemptFailed}},
			[]Event{{corev1.EventTypeWarning, ReasonChargeDeclined, "Attempt 1 was declined: no decline code"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, AttemptEvents(tt.before, tt.after)); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}
