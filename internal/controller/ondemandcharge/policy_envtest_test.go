package ondemandcharge

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/test/controllertest"
)

// fakeAPI settles each payment with the next outcome of a script ("" = stays processing).
type fakeAPI struct {
	mu       sync.Mutex
	outcomes []string // decline code per charge; "ok" succeeds
	payments map[string]*dodo.Payment
	charges  int
}

func newFakeAPI(outcomes ...string) *fakeAPI {
	return &fakeAPI{outcomes: outcomes, payments: map[string]*dodo.Payment{}}
}

func (f *fakeAPI) Charge(_ context.Context, subID string, req dodo.ChargeRequest) (*dodo.ChargeResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.charges++
	id := fmt.Sprintf("pay_%d", f.charges)
	p := &dodo.Payment{PaymentID: id, SubscriptionID: &subID, Metadata: req.Metadata, CreatedAt: controllertest.T0.Add(time.Duration(f.charges) * time.Hour)}
	status := dodo.PaymentStatusProcessing
	if i := f.charges - 1; i < len(f.outcomes) && f.outcomes[i] != "" {
		status = "failed"
		code := f.outcomes[i]
		if code == "ok" {
			status = "succeeded"
		} else {
			p.ErrorCode = &code
		}
	}
	p.Status = &status
	f.payments[id] = p
	return &dodo.ChargeResponse{PaymentID: id}, nil
}

func (f *fakeAPI) UpdatePaymentMethod(context.Context, string, dodo.UpdatePaymentMethodRequest) (*dodo.UpdatePaymentMethodResponse, error) {
	return nil, fmt.Errorf("not expected in this test")
}

func (f *fakeAPI) GetPayment(_ context.Context, id string) (*dodo.Payment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.payments[id], nil
}

func (f *fakeAPI) ListAllPayments(context.Context, dodo.ListPaymentsParams) ([]dodo.PaymentListItem, error) {
	return nil, nil // no earlier payments, no dues payments
}

// activeSubscription creates a Subscription whose status says Dodo has it active, as the
// Subscription controller would have written.
func activeSubscription(t *testing.T, ns, name, customer string) {
	t.Helper()
	ctx := context.Background()
	sub := &billingv1alpha1.Subscription{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: billingv1alpha1.SubscriptionSpec{ProductID: "pdt", Quantity: 1, Customer: billingv1alpha1.CustomerSpec{ID: customer},
			Billing: billingv1alpha1.BillingAddress{Country: "US"}, OnDemand: &billingv1alpha1.OnDemandSpec{MandateOnly: true}}}
	if err := env.Client.Create(ctx, sub); err != nil {
		t.Fatal(err)
	}
	mandate := metav1.NewTime(controllertest.T0)
	sub.Status = billingv1alpha1.SubscriptionStatus{SubscriptionID: "sub_" + name, ProviderStatus: "active", CustomerID: customer,
		PaymentMethodID: "pm_" + customer, PreviousBillingDate: &mandate}
	if err := env.Client.Status().Update(ctx, sub); err != nil {
		t.Fatal(err)
	}
}

func TestFourSoftDeclinesEndFailedAfterDay17(t *testing.T) {
	h := newHarness(t)
	api := newFakeAPI("INSUFFICIENT_FUNDS", "PROCESSING_ERROR", "NETWORK_TIMEOUT", "TRY_AGAIN_LATER")
	h.charges.API = api
	activeSubscription(t, h.NS, "s", "cus_soft")
	h.charge("four", "s", 100)
	for h.Clock.Now().Before(controllertest.T0.Add(40 * 24 * time.Hour)) { // follow the controller's own requeues
		step := h.settle("four").RequeueAfter
		if step <= 0 {
			step = 24 * time.Hour
		}
		h.Clock.Step(step)
	}
	c := h.get("four")
	starts := make([]time.Time, 0, len(c.Status.Attempts))
	for _, a := range c.Status.Attempts {
		starts = append(starts, a.StartedAt.UTC())
	}
	h.expectCondition(c, billingv1alpha1.ConditionFailed, "True", "AttemptsExhausted")
	if api.charges != 4 || len(starts) != 4 {
		t.Fatalf("charges %d, attempts %v", api.charges, starts)
	}
	wantDays := []int{0, 3, 10, 17}
	for i, s := range starts {
		days := int(s.Sub(controllertest.T0).Hours() / 24)
		if days != wantDays[i] || (i > 0 && (s.Hour() != 13 || s.Minute() < 10 || s.Minute() >= 25)) {
			t.Errorf("attempt %d at %v (day %d); want day %d near 13:10 UTC", i+1, s, days, wantDays[i])
		}
	}
}

func TestChargesDueTogetherRespectTheCaps(t *testing.T) {
	h := newHarness(t)
	api := newFakeAPI() // every payment stays processing
	h.charges.API = api
	// The account cap counts attempts in flight across the cluster; other tests' charges in
	// the shared API server count too, so the cap leaves exactly ten for this test.
	others := len(h.charges.inFlightElsewhere(h.Ctx, client.ObjectKey{}))
	h.charges.Options.MaxInFlight, h.charges.Options.MaxInFlightPerCustomer = 10+others, 1
	for i := range 25 {
		activeSubscription(t, h.NS, fmt.Sprintf("s%d", i), fmt.Sprintf("cus_cap_%s_%d", h.NS, i))
	}
	for i := range 50 {
		h.charge(fmt.Sprintf("c%d", i), fmt.Sprintf("s%d", i%25), 100)
	}
	for i := range 50 {
		req := ctrl.Request{NamespacedName: client.ObjectKey{Namespace: h.NS, Name: fmt.Sprintf("c%d", i)}}
		for range 2 {
			if _, err := h.charges.Reconcile(h.Ctx, req); err != nil {
				t.Fatal(err)
			}
		}
	}
	inFlight, perCustomer := 0, map[string]int{}
	list := &billingv1alpha1.OnDemandChargeList{}
	if err := env.Client.List(h.Ctx, list, client.InNamespace(h.NS)); err != nil {
		t.Fatal(err)
	}
	waiting := 0
	for _, c := range list.Items {
		if len(c.Status.Attempts) > 0 {
			inFlight++
			perCustomer[c.Spec.SubscriptionRef.Name]++
		} else if meta := readyReason(&c); meta == billingv1alpha1.ReasonWaitingForCapacity {
			waiting++
		}
	}
	if inFlight != 10 || api.charges != 10 || waiting != 40 {
		t.Fatalf("in flight %d, charge calls %d, waiting for capacity %d", inFlight, api.charges, waiting)
	}
	for sub, n := range perCustomer {
		if n > 1 {
			t.Errorf("customer of %s has %d charges in flight", sub, n)
		}
	}
}

func readyReason(c *billingv1alpha1.OnDemandCharge) string {
	for _, cond := range c.Status.Conditions {
		if cond.Type == billingv1alpha1.ConditionReady {
			return cond.Reason
		}
	}
	return ""
}

func TestSoftDeclineThenSuccessOnDay3AtTheAnchorTime(t *testing.T) {
	h := newHarness(t)
	api := newFakeAPI("INSUFFICIENT_FUNDS", "ok")
	h.charges.API = api
	activeSubscription(t, h.NS, "s", "cus_day3_"+h.NS)
	h.charge("later", "s", 100)
	for h.Clock.Now().Before(controllertest.T0.Add(10 * 24 * time.Hour)) {
		step := h.settle("later").RequeueAfter
		if step <= 0 {
			step = 24 * time.Hour
		}
		h.Clock.Step(step)
	}
	c := h.get("later")
	h.expectCondition(c, billingv1alpha1.ConditionSucceeded, "True", billingv1alpha1.ReasonCharged)
	second := c.Status.Attempts[1].StartedAt.UTC()
	if len(c.Status.Attempts) != 2 || api.charges != 2 || second.Day() != 5 || second.Hour() != 13 || second.Minute() < 10 || second.Minute() >= 25 {
		t.Fatalf("attempts %+v (charges %d); want the second on day 3 near 13:10 UTC", c.Status.Attempts, api.charges)
	}
}

func TestDeletionWaitsForTheAttemptInFlight(t *testing.T) {
	h := newHarness(t)
	api := newFakeAPI("") // stays processing
	h.charges.API = api
	activeSubscription(t, h.NS, "s", "cus_del_"+h.NS)
	h.charge("inflight", "s", 100)
	h.settle("inflight")
	if err := env.Client.Delete(h.Ctx, h.get("inflight")); err != nil {
		t.Fatal(err)
	}
	h.Clock.Step(30 * time.Minute)
	h.settle("inflight")
	if c := h.get("inflight"); c.DeletionTimestamp == nil || len(c.Finalizers) == 0 {
		t.Fatal("let go while the attempt was in flight and within the wait")
	}
	h.Clock.Step(31 * time.Minute) // past DeletionWait: never blocks forever
	h.settle("inflight")
	err := env.Client.Get(h.Ctx, client.ObjectKey{Namespace: h.NS, Name: "inflight"}, &billingv1alpha1.OnDemandCharge{})
	if err == nil {
		t.Fatal("still blocked after the deletion wait")
	}
}
