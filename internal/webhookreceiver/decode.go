package webhookreceiver

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/accounts"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/providerstate"
)

// errMalformed wraps every decode failure of a verified body; it answers 400.
var errMalformed = errors.New("malformed webhook")

// delivery is one verified and decoded webhook. Exactly one of Subscription and Payment is
// set for the event families the receiver applies; neither for the others.
type delivery struct {
	// ID is the webhook-id header: the same on every retry of one event.
	ID string
	// account is the account whose path and secret the delivery came with (the zero Key on
	// the default path): only its objects are written.
	account      accounts.Key
	Event        dodo.WebhookEvent
	Subscription *dodo.Subscription
	Payment      *dodo.Payment
}

// ref is the event as recorded in status.lastWebhookEvent: its second and the fraction
// apart, so ordering compares like with like before and after a write.
func (d delivery) ref() billingv1alpha1.WebhookEventRef {
	return providerstate.EventRef(d.ID, string(d.Event.Type), d.Event.Timestamp)
}

// eventTime is when the event happened, by Dodo's clock.
func (d delivery) eventTime() time.Time { return d.Event.Timestamp }

// verifyAndDecode is everything done to a request body before any object is read: the
// signature over the raw bytes first, then the envelope. Errors wrap one of the verify
// errors (401) or errMalformed (400).
func verifyAndDecode(v *verifier, header http.Header, body []byte) (delivery, error) {
	if err := v.verify(header, body); err != nil {
		return delivery{}, err
	}
	return decodeDelivery(header.Get(standardwebhooks.HeaderWebhookID), body)
}

// decodeDelivery decodes the envelope and, for subscription and payment events, the data
// with the fields the receiver relies on.
func decodeDelivery(id string, body []byte) (delivery, error) {
	event, err := dodo.ParseWebhookEvent(body)
	if err != nil {
		return delivery{}, fmt.Errorf("%w: %w", errMalformed, err)
	}
	if event.Timestamp.IsZero() {
		return delivery{}, fmt.Errorf("%w: envelope timestamp missing", errMalformed)
	}
	d := delivery{ID: id, Event: event}
	switch {
	case event.Type.IsSubscriptionEvent():
		d.Subscription, err = event.DecodeSubscription()
		if err == nil && (d.Subscription.SubscriptionID == "" || d.Subscription.Status == "") {
			err = errors.New("subscription_id or status missing")
		}
	case event.Type.IsPaymentEvent():
		d.Payment, err = event.DecodePayment()
		if err == nil && d.Payment.PaymentID == "" {
			err = errors.New("payment_id missing")
		}
	}
	if err != nil {
		return delivery{}, fmt.Errorf("%w: %w", errMalformed, err)
	}
	return d, nil
}

// paymentStatus is the payment's status as this event reports it: the payload's, or the
// one the event type implies when the payload has none.
func paymentStatus(event dodo.WebhookEvent, payment *dodo.Payment) dodo.PaymentStatus {
	if s := payment.StatusOrEmpty(); s != "" {
		return s
	}
	switch event.Type {
	case dodo.EventPaymentSucceeded:
		return dodo.PaymentStatusSucceeded
	case dodo.EventPaymentFailed:
		return dodo.PaymentStatusFailed
	case dodo.EventPaymentCancelled:
		return dodo.PaymentStatusCancelled
	case dodo.EventPaymentProcessing:
		return dodo.PaymentStatusProcessing
	}
	return ""
}
