package webhookreceiver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
	testingclock "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/accounts"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/providerstate"
	"github.com/dodo-operator/dodo-operator/internal/stamp"
)

const (
	// testSecret is the Standard Webhooks spec's example secret.
	testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	// previousSecret is accepted as the rotation's old secret.
	previousSecret = "whsec_cHJldmlvdXMtc2VjcmV0LWZvci1yb3RhdGlvbi10ZXN0cw=="
	// strangerSecret signs nothing the receiver accepts.
	strangerSecret = "whsec_c29tZW9uZS1lbHNlcy1zZWNyZXQ="
)

// testStart is the tests' wall and business time.
var testStart = time.Date(2026, time.April, 1, 12, 0, 0, 0, time.UTC)

// fixture is one test's namespace, fake clock and receiver.
type fixture struct {
	t        testing.TB
	ctx      context.Context
	ns       string
	clock    *testingclock.FakeClock
	receiver *Receiver
	logs     *logCapture
}

func newFixture(t testing.TB, configure ...func(*Options)) *fixture {
	t.Helper()
	f := &fixture{t: t, ctx: context.Background(), clock: testingclock.NewFakeClock(testStart), logs: &logCapture{}}
	namespace := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "whr-"}}
	if err := env.Client.Create(f.ctx, namespace); err != nil {
		t.Fatalf("creating namespace: %v", err)
	}
	f.ns = namespace.Name
	opts := Options{
		Secrets: Secrets{Primary: dodo.NewSecret(testSecret), Previous: dodo.NewSecret(previousSecret)},
		Client:  env.Client, Cache: indexCache, Clock: f.clock,
		Registerer: prometheus.NewRegistry(), Logger: f.logs.logger(),
	}
	for _, c := range configure {
		c(&opts)
	}
	receiver, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	f.receiver = receiver
	return f
}

// logCapture keeps everything the receiver logs (verbosity 1) for leak checks.
type logCapture struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *logCapture) logger() logr.Logger {
	return funcr.New(func(prefix, args string) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.buf.WriteString(prefix + " " + args + "\n")
	}, funcr.Options{Verbosity: 1})
}

func (l *logCapture) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// --- objects ---

// createSubscription creates a Subscription in the fixture's namespace; account, when
// given, is its spec.accountRef.
func (f *fixture) createSubscription(name string, account ...*billingv1alpha1.AccountReference) *billingv1alpha1.Subscription {
	f.t.Helper()
	sub := &billingv1alpha1.Subscription{
		ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: name},
		Spec: billingv1alpha1.SubscriptionSpec{
			ProductID: "pdt_sim_trial", Quantity: 1,
			Customer: billingv1alpha1.CustomerSpec{Email: "ops+decline_insufficient_funds@example.com"},
			Billing:  billingv1alpha1.BillingAddress{Country: "US"},
		},
	}
	if len(account) > 0 {
		sub.Spec.AccountRef = account[0]
	}
	if err := env.Client.Create(f.ctx, sub); err != nil {
		f.t.Fatalf("creating Subscription: %v", err)
	}
	return sub
}

// recordSubscriptionID writes status as the controller does after its create call: the
// ID, and "pending" unless a webhook already told more (with optimistic concurrency, like
// the controller, since a webhook may land at the same moment).
func (f *fixture) recordSubscriptionID(name, subscriptionID string) {
	f.t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		sub := f.subscription(name)
		sub.Status.SubscriptionID = subscriptionID
		if sub.Status.ProviderStatus == "" {
			sub.Status.ProviderStatus = string(dodo.SubscriptionStatusPending)
			providerstate.SetProviderConditions(&sub.Status, sub.Generation)
		}
		meta.SetStatusCondition(&sub.Status.Conditions, metav1.Condition{Type: billingv1alpha1.ConditionReady,
			Status: metav1.ConditionFalse, Reason: billingv1alpha1.ReasonAwaitingPayment, Message: "waiting"})
		return env.Client.Status().Update(f.ctx, sub)
	})
	if err != nil {
		f.t.Fatalf("recording the subscription ID: %v", err)
	}
	f.waitInIndex(&billingv1alpha1.SubscriptionList{}, IndexSubscriptionID, indexValue(subscriptionAccount(f.subscription(name)), subscriptionID))
}

// waitInIndex waits until the shared cache lists an object of list's kind under the
// index field's value.
func (f *fixture) waitInIndex(list client.ObjectList, field, value string) {
	f.t.Helper()
	err := wait.PollUntilContextTimeout(f.ctx, 2*time.Millisecond, 5*time.Second, true, func(ctx context.Context) (bool, error) {
		err := indexCache.List(ctx, list, client.MatchingFields{field: value})
		return err == nil && meta.LenList(list) > 0, nil
	})
	if err != nil {
		f.t.Fatalf("the cache never indexed %s: %v", value, err)
	}
}

func (f *fixture) subscription(name string) *billingv1alpha1.Subscription {
	f.t.Helper()
	sub := &billingv1alpha1.Subscription{}
	if err := env.Client.Get(f.ctx, types.NamespacedName{Namespace: f.ns, Name: name}, sub); err != nil {
		f.t.Fatalf("reading Subscription %s: %v", name, err)
	}
	return sub
}

func (f *fixture) createCharge(name, subscriptionName string, attempts ...billingv1alpha1.ChargeAttempt) *billingv1alpha1.OnDemandCharge {
	f.t.Helper()
	charge := &billingv1alpha1.OnDemandCharge{
		ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: name},
		Spec: billingv1alpha1.OnDemandChargeSpec{
			SubscriptionRef: billingv1alpha1.LocalSubscriptionReference{Name: subscriptionName}, Amount: 2500,
		},
	}
	if err := env.Client.Create(f.ctx, charge); err != nil {
		f.t.Fatalf("creating OnDemandCharge: %v", err)
	}
	charge.Status.ChargeKey = name
	// The controller records the subscription and its account with the first attempt.
	sub := &billingv1alpha1.Subscription{}
	if len(attempts) > 0 && env.Client.Get(f.ctx, types.NamespacedName{Namespace: f.ns, Name: subscriptionName}, sub) == nil {
		charge.Status.SubscriptionID, charge.Status.AccountRef = sub.Status.SubscriptionID, sub.Spec.AccountRef
	}
	charge.Status.Phase = billingv1alpha1.ChargePhaseCharging
	charge.Status.Attempts = attempts
	charge.Status.AttemptCount = int32(len(attempts))
	if err := env.Client.Status().Update(f.ctx, charge); err != nil {
		f.t.Fatalf("recording attempts: %v", err)
	}
	return charge
}

func (f *fixture) charge(name string) *billingv1alpha1.OnDemandCharge {
	f.t.Helper()
	charge := &billingv1alpha1.OnDemandCharge{}
	if err := env.Client.Get(f.ctx, types.NamespacedName{Namespace: f.ns, Name: name}, charge); err != nil {
		f.t.Fatalf("reading OnDemandCharge %s: %v", name, err)
	}
	return charge
}

// firstAttempt is a charge's first attempt, in flight.
func firstAttempt(paymentID string) billingv1alpha1.ChargeAttempt {
	return billingv1alpha1.ChargeAttempt{Number: 1, PaymentID: paymentID, Via: billingv1alpha1.AttemptViaCharge,
		StartedAt: metav1.NewTime(testStart), Outcome: billingv1alpha1.AttemptPending}
}

func stampOf(obj client.Object) dodo.Metadata {
	return stamp.Subscription(nil, stamp.Identity{Namespace: obj.GetNamespace(), Name: obj.GetName(), UID: obj.GetUID()})
}

func chargeStampFor(charge *billingv1alpha1.OnDemandCharge, retryAttempt int) dodo.Metadata {
	return stamp.Charge(nil, stamp.Identity{Namespace: charge.Namespace, Name: charge.Name, UID: charge.UID}, charge.Name, retryAttempt)
}

// --- events ---

func subscriptionData(id string, status dodo.SubscriptionStatus, metadata dodo.Metadata) *dodo.Subscription {
	method := "pm_test_1"
	return &dodo.Subscription{
		SubscriptionID: id, Status: status, ProductID: "pdt_sim_trial", Quantity: 1,
		Customer: dodo.CustomerLimitedDetails{CustomerID: "cus_test_1", Email: "secret-customer@example.com"},
		Currency: "USD", RecurringPreTaxAmount: 1000, CreatedAt: testStart,
		PreviousBillingDate: testStart, NextBillingDate: testStart.AddDate(0, 1, 0),
		Metadata: metadata, PaymentMethodID: &method,
	}
}

func paymentData(id, subscriptionID string, status dodo.PaymentStatus, code string, metadata dodo.Metadata) *dodo.Payment {
	p := &dodo.Payment{PaymentID: id, Status: &status, TotalAmount: 2500, Currency: "USD",
		Metadata: metadata, CreatedAt: testStart, Customer: dodo.CustomerLimitedDetails{CustomerID: "cus_test_1"}}
	if subscriptionID != "" {
		p.SubscriptionID = &subscriptionID
	}
	if code != "" {
		message := "The card has insufficient funds."
		p.ErrorCode, p.ErrorMessage = &code, &message
	}
	return p
}

// envelope encodes an event as Dodo does (payload_type included).
func envelope(t testing.TB, typ dodo.EventType, at time.Time, object any) []byte {
	t.Helper()
	kind := dodo.PayloadTypeSubscription
	if _, ok := object.(*dodo.Payment); ok {
		kind = dodo.PayloadTypePayment
	}
	data, err := dodo.WebhookData(kind, object)
	if err != nil {
		t.Fatalf("webhook data: %v", err)
	}
	body, err := json.Marshal(dodo.WebhookEvent{BusinessID: "bus_test", Type: typ, Timestamp: at, Data: data})
	if err != nil {
		t.Fatalf("envelope: %v", err)
	}
	return body
}

// signedHeader signs body with secret as sent at sentAt.
func signedHeader(t testing.TB, secret, id string, sentAt time.Time, body []byte) http.Header {
	t.Helper()
	hook, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatalf("webhook: %v", err)
	}
	signature, err := hook.Sign(id, sentAt, body)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	header := http.Header{}
	header.Set("Content-Type", "application/json")
	header.Set("webhook-id", id)
	header.Set("webhook-timestamp", strconv.FormatInt(sentAt.Unix(), 10))
	header.Set("webhook-signature", signature)
	return header
}

// post sends one request to the receiver and returns the status code.
func (f *fixture) post(header http.Header, body []byte) int {
	return serve(f.receiver, http.MethodPost, header, body).Code
}

func serve(r *Receiver, method string, header http.Header, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "/", bytes.NewReader(body))
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	return rec
}

// deliver signs body with the primary secret at the fixture's now and posts it.
func (f *fixture) deliver(id string, body []byte) int {
	return f.post(signedHeader(f.t, testSecret, id, f.clock.Now(), body), body)
}

func (f *fixture) mustDeliver(id string, body []byte, want int) {
	f.t.Helper()
	if got := f.deliver(id, body); got != want {
		f.t.Fatalf("delivery %s: status %d, want %d", id, got, want)
	}
}

func (f *fixture) count(eventType string, o outcome) float64 {
	return counterValue(f.t, f.receiver.metrics.deliveries.WithLabelValues(eventType, string(o)))
}

// total sums an outcome over every event type label.
func (f *fixture) total(o outcome) float64 {
	sum := f.count(typeUnknown, o) + f.count(typeOther, o)
	for eventType := range knownTypes {
		sum += f.count(string(eventType), o)
	}
	return sum
}

func counterValue(t testing.TB, c prometheus.Metric) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatalf("reading metric: %v", err)
	}
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	}
	t.Fatalf("metric is neither a counter nor a gauge")
	return 0
}

// conditionOf returns "Status/Reason" of a condition, or "absent".
func conditionOf(conditions []metav1.Condition, conditionType string) string {
	c := meta.FindStatusCondition(conditions, conditionType)
	if c == nil {
		return "absent"
	}
	return fmt.Sprintf("%s/%s", c.Status, c.Reason)
}

func assertEqual[T comparable](t testing.TB, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

// addAttempt records one more attempt, as the charge controller does before its call.
func (f *fixture) addAttempt(name string, attempt billingv1alpha1.ChargeAttempt) {
	f.t.Helper()
	charge := f.charge(name)
	charge.Status.Attempts = append(charge.Status.Attempts, attempt)
	charge.Status.AttemptCount = int32(len(charge.Status.Attempts))
	if err := env.Client.Status().Update(f.ctx, charge); err != nil {
		f.t.Fatalf("recording attempt: %v", err)
	}
}

// waitChargeIndexed waits until the shared cache's index knows the payment ID.
func (f *fixture) waitChargeIndexed(paymentID string) {
	f.t.Helper()
	f.waitInIndex(&billingv1alpha1.OnDemandChargeList{}, IndexAttemptPaymentID, indexValue(accounts.Key{}, paymentID))
}
