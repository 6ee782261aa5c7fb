package ondemandcharge

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	apiruntime "k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// scriptedAPI is an in-memory payments API for tests that need no API server: payments
// are set up front, list calls are recorded, and a page cap can hide items as Dodo's cap
// on page_number does (silently: the page past the cap is empty; or with a 422).
type scriptedAPI struct {
	mu         sync.Mutex
	payments   map[string]*dodo.Payment
	listCalls  []dodo.ListPaymentsParams
	pageCap    int  // items one list call can return at most; 0 = no cap
	capRefuses bool // past the cap the server answers 422 instead of an empty page
	charges    int  // Charge calls: money moves
	dues       int  // UpdatePaymentMethod calls: money moves on an on_hold subscription
	// chargeMetadata is the metadata of the last Charge call.
	chargeMetadata map[string]string
}

func newScriptedAPI(payments ...*dodo.Payment) *scriptedAPI {
	a := &scriptedAPI{payments: map[string]*dodo.Payment{}}
	for _, p := range payments {
		a.payments[p.PaymentID] = p
	}
	return a
}

func (a *scriptedAPI) Charge(_ context.Context, subID string, req dodo.ChargeRequest) (*dodo.ChargeResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.charges++
	a.chargeMetadata = req.Metadata
	return &dodo.ChargeResponse{PaymentID: fmt.Sprintf("pay_new_%d", a.charges+a.dues)}, nil
}

func (a *scriptedAPI) UpdatePaymentMethod(context.Context, string, dodo.UpdatePaymentMethodRequest) (*dodo.UpdatePaymentMethodResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.dues++
	id := fmt.Sprintf("pay_new_%d", a.charges+a.dues)
	return &dodo.UpdatePaymentMethodResponse{PaymentID: &id}, nil
}

func (a *scriptedAPI) GetPayment(_ context.Context, id string) (*dodo.Payment, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if p, ok := a.payments[id]; ok {
		return p, nil
	}
	return nil, &dodo.APIError{StatusCode: 404, Code: "NOT_FOUND", Message: "no payment " + id}
}

// ListAllPayments filters like GET /payments (bounds inclusive) and returns the newest
// first, at most pageCap items.
func (a *scriptedAPI) ListAllPayments(_ context.Context, params dodo.ListPaymentsParams) ([]dodo.PaymentListItem, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.listCalls = append(a.listCalls, params)
	var out []dodo.PaymentListItem
	for _, p := range a.payments {
		switch {
		case params.SubscriptionID != "" && (p.SubscriptionID == nil || *p.SubscriptionID != params.SubscriptionID),
			params.Status != "" && p.StatusOrEmpty() != params.Status,
			params.CreatedAtGTE != nil && p.CreatedAt.Before(*params.CreatedAtGTE),
			params.CreatedAtLTE != nil && p.CreatedAt.After(*params.CreatedAtLTE):
			continue
		}
		out = append(out, dodo.PaymentListItem{PaymentID: p.PaymentID, CreatedAt: p.CreatedAt, Currency: p.Currency,
			Metadata: p.Metadata, TotalAmount: p.TotalAmount, Status: p.Status, SubscriptionID: p.SubscriptionID})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	if a.pageCap > 0 && len(out) > a.pageCap {
		if a.capRefuses {
			return nil, &dodo.APIError{StatusCode: 422, Code: "INVALID_QUERY_PARAMS", Message: "page_number is too large"}
		}
		out = out[:a.pageCap]
	}
	return out, nil
}

func (a *scriptedAPI) moneyCalls() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.charges + a.dues
}

// payment is a settled payment of subscription sub_1 on card pm (USD).
func payment(id string, status dodo.PaymentStatus, code string, amount int64, created time.Time, pm string,
	metadata map[string]string) *dodo.Payment {
	subID, updated := "sub_1", created.Add(2*time.Second)
	p := &dodo.Payment{PaymentID: id, Status: &status, SubscriptionID: &subID, TotalAmount: amount, Currency: "USD",
		CreatedAt: created, UpdatedAt: &updated, Metadata: metadata}
	if code != "" {
		p.ErrorCode = &code
	}
	if pm != "" {
		p.PaymentMethodID = &pm
	}
	return p
}

// declinedAttempt is a Charge attempt whose payment was declined with code.
func declinedAttempt(number int32, paymentID string, started time.Time, code string) billingv1alpha1.ChargeAttempt {
	completed := metav1.NewTime(started.Add(time.Minute))
	return billingv1alpha1.ChargeAttempt{Number: number, PaymentID: paymentID, Via: viaCharge, StartedAt: metav1.NewTime(started),
		CompletedAt: &completed, Outcome: billingv1alpha1.AttemptFailed, DeclineCode: code}
}

// unitCase runs the charge controller's functions against a fake client and scriptedAPI.
type unitCase struct {
	t   *testing.T
	ctx context.Context
	api *scriptedAPI
	r   *Reconciler
	s   *scope
	sub *billingv1alpha1.Subscription
}

// newUnitCase: charge "c" of 700 USD on subscription "s" (sub_1, customer cus_1, card
// pm_card, providerStatus status), with the given attempts and anchor, at time now.
func newUnitCase(t *testing.T, api *scriptedAPI, status string, anchor, now time.Time,
	attempts ...billingv1alpha1.ChargeAttempt) *unitCase {
	t.Helper()
	scheme := apiruntime.NewScheme()
	if err := billingv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	mandate := metav1.NewTime(anchor)
	sub := &billingv1alpha1.Subscription{ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "ns"},
		Spec: billingv1alpha1.SubscriptionSpec{OnDemand: &billingv1alpha1.OnDemandSpec{MandateOnly: true}},
		Status: billingv1alpha1.SubscriptionStatus{SubscriptionID: "sub_1", ProviderStatus: status, CustomerID: "cus_1",
			PaymentMethodID: "pm_card", PreviousBillingDate: &mandate}}
	charge := &billingv1alpha1.OnDemandCharge{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "ns", Finalizers: []string{Finalizer}},
		Spec: billingv1alpha1.OnDemandChargeSpec{SubscriptionRef: billingv1alpha1.LocalSubscriptionReference{Name: "s"},
			Amount: 700, Currency: "USD"},
		Status: billingv1alpha1.OnDemandChargeStatus{ChargeKey: "c", SubscriptionID: "sub_1", AnchorTime: &mandate,
			Attempts: attempts, AttemptCount: int32(len(attempts)), Phase: billingv1alpha1.ChargePhaseRetryScheduled}}
	c := fake.NewClientBuilder().WithScheme(scheme).WithStatusSubresource(&billingv1alpha1.OnDemandCharge{}, &billingv1alpha1.Subscription{}).
		WithObjects(charge, sub).Build()
	stored := &billingv1alpha1.OnDemandCharge{}
	if err := c.Get(context.Background(), client.ObjectKeyFromObject(charge), stored); err != nil {
		t.Fatal(err)
	}
	r := &Reconciler{Client: c, API: api, Options: Options{}.withDefaults()}
	return &unitCase{t: t, ctx: context.Background(), api: api, r: r, sub: sub,
		s: &scope{charge: stored, before: stored.DeepCopy(), now: now, api: api}}
}

func (u *unitCase) afterFailure() ctrl.Result {
	u.t.Helper()
	res, err := u.r.afterFailure(u.ctx, u.s, u.sub, lastAttempt(&u.s.charge.Status))
	if err != nil {
		u.t.Fatalf("afterFailure: %v", err)
	}
	return res
}
