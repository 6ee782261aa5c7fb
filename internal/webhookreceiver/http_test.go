package webhookreceiver

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// badRequest is one refused request of TestBadRequestsChangeNothing.
type badRequest struct {
	method        string
	header        http.Header
	body          []byte
	unknownLength bool
	want          int
	outcome       outcome
}

func TestBadRequestsChangeNothing(t *testing.T) {
	f := newFixture(t)
	obj := f.createSubscription("target")
	f.recordSubscriptionID("target", "sub_bad_requests")
	now := f.clock.Now()
	body := envelope(t, dodo.EventSubscriptionActive, now, subscriptionData("sub_bad_requests", dodo.SubscriptionStatusActive, stampOf(obj)))
	signed := func(secret string, sentAt time.Time, b []byte) http.Header {
		return signedHeader(t, secret, "msg_bad", sentAt, b)
	}
	edited := func(edit func(http.Header)) http.Header {
		h := signed(testSecret, now, body)
		edit(h)
		return h
	}
	huge := append(append([]byte(nil), body[:len(body)-1]...), []byte(`,"pad":"`+strings.Repeat("x", int(DefaultMaxBodyBytes))+`"}`)...)
	wrongKind := envelope(t, dodo.EventSubscriptionActive, now, paymentData("pay_1", "sub_bad_requests", dodo.PaymentStatusSucceeded, "", nil))
	cases := map[string]badRequest{
		"forged signature": {header: edited(func(h http.Header) {
			h.Set("webhook-signature", "v1,"+strings.Repeat("A", 43)+"=")
		}), body: body, want: 401, outcome: outcomeRejectedSignature},
		"wrong secret":      {header: signed(strangerSecret, now, body), body: body, want: 401, outcome: outcomeRejectedSignature},
		"stale timestamp":   {header: signed(testSecret, now.Add(-6*time.Minute), body), body: body, want: 401, outcome: outcomeRejectedSignature},
		"future timestamp":  {header: signed(testSecret, now.Add(6*time.Minute), body), body: body, want: 401, outcome: outcomeRejectedSignature},
		"missing signature": {header: edited(func(h http.Header) { h.Del("webhook-signature") }), body: body, want: 401, outcome: outcomeRejectedSignature},
		"missing id":        {header: edited(func(h http.Header) { h.Del("webhook-id") }), body: body, want: 401, outcome: outcomeRejectedSignature},
		"missing timestamp": {header: edited(func(h http.Header) { h.Del("webhook-timestamp") }), body: body, want: 401, outcome: outcomeRejectedSignature},
		"body changed in flight": {header: signed(testSecret, now, body), body: bytes.Replace(body, []byte(`"active"`), []byte(`"paused"`), 1),
			want: 401, outcome: outcomeRejectedSignature},
		"replay of an old valid delivery": {header: signed(testSecret, now.Add(-time.Hour), body), body: body, want: 401, outcome: outcomeRejectedSignature},
		"truncated JSON":                  {header: signed(testSecret, now, body[:len(body)/2]), body: body[:len(body)/2], want: 400, outcome: outcomeMalformed},
		"not an envelope":                 {header: signed(testSecret, now, []byte(`[1,2]`)), body: []byte(`[1,2]`), want: 400, outcome: outcomeMalformed},
		"data of another kind":            {header: signed(testSecret, now, wrongKind), body: wrongKind, want: 400, outcome: outcomeMalformed},
		"huge body":                       {header: signed(testSecret, now, huge), body: huge, want: 413, outcome: outcomeTooLarge},
		"huge body, no length":            {header: signed(testSecret, now, huge), body: huge, unknownLength: true, want: 413, outcome: outcomeTooLarge},
		"GET":                             {method: http.MethodGet, header: signed(testSecret, now, body), want: 405, outcome: outcomeMethodNotAllowed},
		"text/plain": {header: edited(func(h http.Header) { h.Set("Content-Type", "text/plain") }), body: body,
			want: 415, outcome: outcomeUnsupportedMediaType},
		"no content type": {header: edited(func(h http.Header) { h.Del("Content-Type") }), body: body, want: 415, outcome: outcomeUnsupportedMediaType},
	}
	before := f.subscription("target").ResourceVersion
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rec := sendBad(f.receiver, tc)
			assertEqual(t, "status code", rec.Code, tc.want)
			if tc.want == http.StatusMethodNotAllowed {
				assertEqual(t, "Allow", rec.Header().Get("Allow"), http.MethodPost)
			}
		})
	}
	assertEqual(t, "resourceVersion after refusals", f.subscription("target").ResourceVersion, before)
	expected := map[outcome]float64{}
	for _, tc := range cases {
		expected[tc.outcome]++
	}
	for o, n := range expected {
		assertEqual(t, "count of "+string(o), f.count(typeUnknown, o), n)
	}
	assertEqual(t, "the signed delivery itself applies", f.deliver("msg_bad", body), http.StatusOK)
	assertEqual(t, "then Active", conditionOf(f.subscription("target").Status.Conditions, billingv1alpha1.ConditionActive), "True/Active")
	if logs := f.logs.String(); strings.Contains(logs, "secret-customer@example.com") || strings.Contains(logs, "MfKQ9r8") {
		t.Fatalf("logs carry payload content or the secret:\n%s", logs)
	}
}

func sendBad(r *Receiver, tc badRequest) *httptest.ResponseRecorder {
	method := tc.method
	if method == "" {
		method = http.MethodPost
	}
	var reader io.Reader = bytes.NewReader(tc.body)
	if tc.unknownLength {
		reader = io.MultiReader(reader) // hides the length: the limit must hold while reading
	}
	req := httptest.NewRequest(method, "/", reader)
	for k, v := range tc.header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	return rec
}

// TestReplayAfterTheToleranceIsRefused: a delivery accepted once and replayed by someone
// who captured it, after the tolerance, is refused before it reaches the dedupe.
func TestReplayAfterTheToleranceIsRefused(t *testing.T) {
	f := newFixture(t)
	obj := f.createSubscription("replayed")
	f.recordSubscriptionID("replayed", "sub_replayed")
	body := envelope(t, dodo.EventSubscriptionOnHold, f.clock.Now(), subscriptionData("sub_replayed", dodo.SubscriptionStatusOnHold, stampOf(obj)))
	header := signedHeader(t, testSecret, "msg_replayed", f.clock.Now(), body)
	assertEqual(t, "first delivery", f.post(header, body), http.StatusOK)
	rv := f.subscription("replayed").ResourceVersion
	f.clock.Step(DefaultTimestampTolerance + time.Second)
	assertEqual(t, "replay", f.post(header, body), http.StatusUnauthorized)
	assertEqual(t, "resourceVersion", f.subscription("replayed").ResourceVersion, rv)
	if f.count(typeUnknown, outcomeRejectedSignature) != 1 {
		t.Fatal("the replay was not counted as a rejected signature")
	}
	if got := counterValue(t, f.receiver.metrics.lastValidDelivery); got != float64(testStart.Unix()) {
		t.Fatalf("last valid delivery gauge %v, want the first delivery's time %d", got, testStart.Unix())
	}
}
