package webhookreceiver

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// FuzzVerifyAndDecode feeds arbitrary bodies, ids, timestamps and signatures through the
// path every request takes before any object is read. Run it longer with
// go test -run=^$ -fuzz=FuzzVerifyAndDecode -fuzztime=5s ./internal/webhookreceiver/
//
// Properties: it never panics; a request passes verification only with a signature made
// with a configured secret over exactly these bytes, id and timestamp, within the
// tolerance; a correctly signed request is refused only as malformed; a decoded delivery
// carries what apply relies on; no error quotes a secret.
func FuzzVerifyAndDecode(f *testing.F) {
	sub := envelope(f, dodo.EventSubscriptionOnHold, testStart, subscriptionData("sub_1", dodo.SubscriptionStatusOnHold, nil))
	pay := envelope(f, dodo.EventPaymentFailed, testStart, paymentData("pay_1", "sub_1", dodo.PaymentStatusFailed, "INSUFFICIENT_FUNDS", nil))
	for _, body := range [][]byte{sub, pay, sub[:len(sub)/2], []byte(`{}`), []byte(`null`), []byte(`{"type":"x.y","timestamp":"2026-04-01T12:00:00Z"}`),
		[]byte(`{"type":"payment.failed","timestamp":"2026-04-01T12:00:00Z","data":{"payload_type":"Subscription"}}`)} {
		f.Add(body, "msg_1", int64(0), "", true)
		f.Add(body, "msg_1", int64(-400), "", true)
		f.Add(body, "msg 1,v1", int64(30), "v1,AAAA v1a,BBBB", false)
	}
	f.Add(sub, "", int64(0), "", true)
	v, err := newVerifier(Secrets{Primary: dodo.NewSecret(testSecret), Previous: dodo.NewSecret(previousSecret)},
		DefaultTimestampTolerance, testingclock.NewFakePassiveClock(testStart))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, id string, offsetSeconds int64, signature string, sign bool) {
		offset := time.Duration(offsetSeconds%100_000) * time.Second
		sentAt := testStart.Add(offset)
		header := http.Header{}
		header.Set("webhook-id", id)
		header.Set("webhook-timestamp", strconv.FormatInt(sentAt.Unix(), 10))
		header.Set("webhook-signature", signature)
		if sign {
			header.Set("webhook-signature", fuzzSign(t, id, sentAt, body))
		}
		d, err := verifyAndDecode(v, header, body)
		checkFuzzResult(t, header, body, sign, offset, d, err)
	})
}

func fuzzSign(t *testing.T, id string, sentAt time.Time, body []byte) string {
	hook, err := standardwebhooks.NewWebhook(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	signature, err := hook.Sign(id, sentAt, body)
	if err != nil {
		t.Fatal(err)
	}
	return signature
}

func checkFuzzResult(t *testing.T, header http.Header, body []byte, signed bool, offset time.Duration, d delivery, err error) {
	if err != nil && (strings.Contains(err.Error(), "MfKQ9r8") || strings.Contains(err.Error(), "cHJldmlvdXM")) {
		t.Fatalf("error quotes a secret: %v", err)
	}
	validlySigned := signed || carriesValidSignature(header, body)
	inTolerance := offset.Abs() <= DefaultTimestampTolerance
	id := header.Get("webhook-id")
	switch {
	case err == nil && (!validlySigned || !inTolerance || id == ""):
		t.Fatalf("accepted a request without a valid, timely signature (signed %v, offset %s)", signed, offset)
	case err != nil && validlySigned && inTolerance && id != "" && !errors.Is(err, errMalformed):
		t.Fatalf("refused a correctly signed request as unverified: %v", err)
	case err != nil:
		return
	}
	assertEqual(t, "id", d.ID, id)
	if d.Event.Type == "" || d.Event.Timestamp.IsZero() {
		t.Fatalf("decoded an envelope without type or timestamp: %+v", d.Event)
	}
	if d.Event.Type.IsSubscriptionEvent() && (d.Subscription == nil || d.Subscription.SubscriptionID == "") {
		t.Fatal("a subscription event without its subscription")
	}
	if d.Event.Type.IsPaymentEvent() && (d.Payment == nil || d.Payment.PaymentID == "") {
		t.Fatal("a payment event without its payment")
	}
}

// carriesValidSignature says whether a fuzzed signature header happens to hold a valid one.
func carriesValidSignature(header http.Header, body []byte) bool {
	for _, secret := range []string{testSecret, previousSecret} {
		hook, err := standardwebhooks.NewWebhook(secret)
		if err == nil && hook.VerifyIgnoringTimestamp(body, header) == nil {
			return true
		}
	}
	return false
}
