package chargestate

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

// Event reasons for an attempt's outcome; notification tools route on them.
const (
	ReasonCharged        = "ChargeSucceeded"
	ReasonChargeDeclined = "ChargeDeclined"
)

// Event is a Kubernetes Event to emit for a charge.
type Event struct {
	Type, Reason, Note string
}

// AttemptEvents are the Events for the attempts whose outcome became final between before
// and after (the stored status and the one just written over it). The process whose write
// stored an outcome emits its Event, so each outcome is told once, by the controller or the
// webhook receiver, whichever learned it first. It is pure.
func AttemptEvents(before, after []billingv1alpha1.ChargeAttempt) []Event {
	var events []Event
	for i, a := range after {
		if !IsFinal(a.Outcome) || (i < len(before) && IsFinal(before[i].Outcome)) {
			continue
		}
		payment := ""
		if a.PaymentID != "" {
			payment = " (payment " + a.PaymentID + ")"
		}
		if a.Outcome == billingv1alpha1.AttemptSucceeded {
			events = append(events, Event{corev1.EventTypeNormal, ReasonCharged,
				fmt.Sprintf("Attempt %d%s succeeded", a.Number, payment)})
			continue
		}
		code := a.DeclineCode
		if code == "" {
			code = "no decline code"
		}
		note := fmt.Sprintf("Attempt %d%s was declined: %s", a.Number, payment, code)
		if a.Message != "" {
			note += ": " + a.Message
		}
		events = append(events, Event{corev1.EventTypeWarning, ReasonChargeDeclined, note})
	}
	return events
}
