package dodo_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"golang.org/x/time/rate"
	testingclock "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
	"github.com/dodo-operator/dodo-operator/internal/simulator/simtest"
)

const simKey = "sk_test_simulator_e2e"

type simEnv struct {
	sim    *simulator.Simulator
	url    string
	client *dodo.Client
	waits  *dodo.RecordingClock
}

// newSimEnv starts the simulator in-process over real HTTP, on a fake
// business clock, with payments settling on the next processing pass.
func newSimEnv(t *testing.T, edit func(*simulator.Config), clientEdit func(*dodo.Config)) *simEnv {
	t.Helper()
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	cfg := simulator.Config{
		APIKeys: []string{simKey}, Clock: testingclock.NewFakeClock(start),
		WallClock: testingclock.NewFakeClock(start), SettleDelay: -1, Seed: 1,
	}
	if edit != nil {
		edit(&cfg)
	}
	sim, plain := simtest.Start(t, cfg) // these tests use a client of their own, whose waits are recorded
	url := plain.BaseURL()
	client, waits := newSimClient(t, url, simKey, clientEdit)
	return &simEnv{sim: sim, url: url, client: client, waits: waits}
}

// newSimClient is a client of the simulator at url with no client-side limit and the
// default retries, whose waits are recorded instead of slept.
func newSimClient(t *testing.T, url, key string, edit func(*dodo.Config)) (*dodo.Client, *dodo.RecordingClock) {
	t.Helper()
	cfg := dodo.Config{BaseURL: url, APIKey: dodo.NewSecret(key), RateLimit: rate.Inf, Timeout: 5 * time.Second}
	if edit != nil {
		edit(&cfg)
	}
	waits := dodo.NewRecordingClock()
	client, err := dodo.New(cfg, dodo.WithClock(waits), dodo.WithRand(func() float64 { return 0 }))
	if err != nil {
		t.Fatal(err)
	}
	return client, waits
}

func simContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// createOnDemand creates an active on-demand subscription for a new customer.
func createOnDemand(ctx context.Context, t *testing.T, client *dodo.Client, email string) *dodo.CreateSubscriptionResponse {
	t.Helper()
	resp, err := client.CreateSubscription(ctx, dodo.CreateSubscriptionRequest{
		ProductID: "pdt_sim_on_demand", Quantity: 1, Billing: dodo.BillingAddress{Country: "US"},
		Customer: dodo.NewCustomer(email, "E2E", ""), OnDemand: &dodo.OnDemand{MandateOnly: true},
		Metadata: dodo.Metadata{"dodo_operator_name": "e2e"},
	})
	if err != nil {
		t.Fatalf("CreateSubscription: %v", err)
	}
	return resp
}

func TestSimulatorSubscriptionEndpoints(t *testing.T) {
	env := newSimEnv(t, nil, nil)
	ctx := simContext(t)
	created := createOnDemand(ctx, t, env.client, "alice@example.com")
	sub, err := env.client.GetSubscription(ctx, created.SubscriptionID)
	if err != nil || sub.Status != dodo.SubscriptionStatusActive || !sub.OnDemand || sub.Metadata["dodo_operator_name"] != "e2e" {
		t.Fatalf("GetSubscription = %+v, %v", sub, err)
	}
	customerID := created.Customer.CustomerID
	page, err := env.client.ListSubscriptions(ctx, dodo.ListSubscriptionsParams{CustomerID: customerID})
	if err != nil || len(page) != 1 || page[0].SubscriptionID != created.SubscriptionID {
		t.Fatalf("ListSubscriptions = %+v, %v", page, err)
	}
	methods, err := env.client.ListCustomerPaymentMethods(ctx, customerID)
	if err != nil || len(methods) == 0 || methods[0].PaymentMethodID == "" {
		t.Fatalf("ListCustomerPaymentMethods = %+v, %v", methods, err)
	}
	patched, err := env.client.UpdateSubscription(ctx, created.SubscriptionID, dodo.UpdateSubscriptionRequest{CancelAtNextBillingDate: ptr.To(true)})
	if err != nil || !patched.CancelAtNextBillingDate {
		t.Fatalf("UpdateSubscription = %+v, %v", patched, err)
	}
	for range 3 {
		createOnDemand(ctx, t, env.client, "alice@example.com")
	}
	all, err := env.client.ListAllSubscriptions(ctx, dodo.ListSubscriptionsParams{CustomerID: customerID, PageSize: 3})
	if err != nil || len(all) != 4 {
		t.Fatalf("ListAllSubscriptions = %d items, %v", len(all), err)
	}
}

func TestSimulatorChargeAndPaymentEndpoints(t *testing.T) {
	env := newSimEnv(t, nil, nil)
	ctx := simContext(t)
	created := createOnDemand(ctx, t, env.client, "bob@example.com")
	charge, err := env.client.Charge(ctx, created.SubscriptionID, dodo.ChargeRequest{ProductPrice: 2500, Metadata: dodo.Metadata{"retry_attempt": "0"}})
	if err != nil || charge.PaymentID == "" {
		t.Fatalf("Charge = %+v, %v", charge, err)
	}
	env.sim.Advance(time.Second)
	payment, err := env.client.GetPayment(ctx, charge.PaymentID)
	if err != nil || payment.StatusOrEmpty() != dodo.PaymentStatusSucceeded || payment.TotalAmount != 2500 || payment.Metadata["retry_attempt"] != "0" {
		t.Fatalf("GetPayment = %+v, %v", payment, err)
	}
	listed, err := env.client.ListPayments(ctx, dodo.ListPaymentsParams{SubscriptionID: created.SubscriptionID})
	if err != nil || !slices.ContainsFunc(listed, func(p dodo.PaymentListItem) bool { return p.PaymentID == charge.PaymentID }) {
		t.Fatalf("ListPayments = %+v, %v", listed, err)
	}
	all, err := env.client.ListAllPayments(ctx, dodo.ListPaymentsParams{SubscriptionID: created.SubscriptionID, PageSize: 1})
	if err != nil || len(all) != len(listed) {
		t.Fatalf("ListAllPayments = %d items (page list %d), %v", len(all), len(listed), err)
	}
}

func TestSimulatorPlanAndPaymentMethodEndpoints(t *testing.T) {
	env := newSimEnv(t, nil, nil)
	ctx := simContext(t)
	created, err := env.client.CreateSubscription(ctx, dodo.CreateSubscriptionRequest{
		ProductID: "pdt_sim_basic", Quantity: 1, Billing: dodo.BillingAddress{Country: "US"},
		Customer: dodo.NewCustomer("carol@example.com", "Carol", ""),
	})
	if err != nil {
		t.Fatalf("CreateSubscription: %v", err)
	}
	_, err = env.client.ChangePlan(ctx, created.SubscriptionID, dodo.ChangePlanRequest{
		ProductID: "pdt_sim_pro", Quantity: 2, ProrationBillingMode: dodo.ProrationDoNotBill, Addons: []dodo.Addon{},
	})
	if err != nil {
		t.Fatalf("ChangePlan: %v", err)
	}
	sub, err := env.client.GetSubscription(ctx, created.SubscriptionID)
	if err != nil || sub.ProductID != "pdt_sim_pro" || sub.Quantity != 2 {
		t.Fatalf("after change-plan: %+v, %v", sub, err)
	}
	methods, err := env.client.ListCustomerPaymentMethods(ctx, created.Customer.CustomerID)
	if err != nil || len(methods) == 0 {
		t.Fatalf("ListCustomerPaymentMethods = %+v, %v", methods, err)
	}
	if _, err := env.client.UpdatePaymentMethod(ctx, created.SubscriptionID, dodo.UseExistingPaymentMethod(methods[0].PaymentMethodID)); err != nil {
		t.Fatalf("UpdatePaymentMethod existing: %v", err)
	}
	linkResp, err := env.client.UpdatePaymentMethod(ctx, created.SubscriptionID, dodo.UseNewPaymentMethod(ptr.To("https://example.com/back")))
	if err != nil || linkResp.PaymentLink == nil || *linkResp.PaymentLink == "" {
		t.Fatalf("UpdatePaymentMethod new = %s, %v", linkResp, err)
	}
}
