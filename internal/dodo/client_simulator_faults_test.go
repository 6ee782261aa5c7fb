package dodo_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
)

func TestSimulatorErrorClasses(t *testing.T) {
	// Payments stay processing until the (frozen) business clock moves.
	env := newSimEnv(t, func(c *simulator.Config) { c.SettleDelay = time.Minute }, nil)
	ctx := simContext(t)
	created := createOnDemand(ctx, t, env.client, "dave@example.com")

	badKey, _ := newSimClient(t, env.url, "sk_test_wrong", nil)
	_, err := badKey.GetSubscription(ctx, created.SubscriptionID)
	if !dodo.IsUnauthorized(err) || strings.Contains(err.Error(), "sk_test_wrong") {
		t.Errorf("wrong key: %v", err)
	}
	_, err = env.client.GetSubscription(ctx, "sub_does_not_exist")
	if !dodo.IsNotFound(err) || dodo.ErrorCode(err) != "NOT_FOUND" {
		t.Errorf("unknown id: %v", err)
	}
	_, err = env.client.CreateSubscription(ctx, dodo.CreateSubscriptionRequest{ProductID: "pdt_unknown", Quantity: 1,
		Billing: dodo.BillingAddress{Country: "US"}, Customer: dodo.NewCustomer("dave@example.com", "", "")})
	if !dodo.IsValidation(err) || dodo.IsRetryable(err) || dodo.StatusCode(err) != 422 {
		t.Errorf("unknown product: %v", err)
	}
	if _, err := env.client.Charge(ctx, created.SubscriptionID, dodo.ChargeRequest{ProductPrice: 100}); err != nil {
		t.Fatal(err)
	}
	_, err = env.client.Charge(ctx, created.SubscriptionID, dodo.ChargeRequest{ProductPrice: 100})
	if !dodo.IsValidation(err) || dodo.ErrorCode(err) != "PREVIOUS_PAYMENT_PENDING" {
		t.Errorf("second charge while the first is processing: %v", err)
	}
	if n := countPayments(env.sim, created.SubscriptionID, 100); n != 1 {
		t.Errorf("payments of 100 = %d, want 1", n)
	}
}

func countPayments(sim *simulator.Simulator, subscriptionID string, amount int64) int {
	n := 0
	for _, p := range sim.State().Payments {
		if p.SubscriptionID != nil && *p.SubscriptionID == subscriptionID && p.TotalAmount == amount {
			n++
		}
	}
	return n
}

func countSubscriptions(sim *simulator.Simulator, email string) int {
	n := 0
	for _, s := range sim.State().Subscriptions {
		if s.Customer.Email == email {
			n++
		}
	}
	return n
}

// The simulator commits the write, then hides the answer: the client must
// report outcome unknown (not retry), and a reconciling list finds it.
func TestSimulatorFailAfterCommitIsOutcomeUnknown(t *testing.T) {
	for _, mode := range []simulator.FailMode{simulator.FailModeBadGateway, simulator.FailModeDrop} {
		t.Run(string(mode), func(t *testing.T) {
			env := newSimEnv(t, nil, nil)
			ctx := simContext(t)
			created := createOnDemand(ctx, t, env.client, "erin@example.com")
			faults := simulator.RouteFaults{FailAfterCommitRate: 1, FailAfterCommitMode: mode}
			routes := map[string]simulator.RouteFaults{simulator.RouteCharge: faults, simulator.RouteCreateSubscription: faults}
			if err := env.sim.SetFaults(simulator.Faults{Routes: routes}); err != nil {
				t.Fatal(err)
			}
			_, err := env.client.Charge(ctx, created.SubscriptionID, dodo.ChargeRequest{ProductPrice: 777})
			if !dodo.IsOutcomeUnknown(err) || dodo.IsRetryable(err) {
				t.Fatalf("charge error = %v, want outcome unknown", err)
			}
			if n := countPayments(env.sim, created.SubscriptionID, 777); n != 1 {
				t.Errorf("committed charges = %d, want exactly 1", n)
			}
			listed, err := env.client.ListPayments(ctx, dodo.ListPaymentsParams{SubscriptionID: created.SubscriptionID})
			if err != nil || !slices.ContainsFunc(listed, func(p dodo.PaymentListItem) bool { return p.TotalAmount == 777 }) {
				t.Errorf("reconciling list does not show the charge: %v", err)
			}
			_, err = env.client.CreateSubscription(ctx, dodo.CreateSubscriptionRequest{ProductID: "pdt_sim_basic", Quantity: 1,
				Billing: dodo.BillingAddress{Country: "US"}, Customer: dodo.NewCustomer("frank@example.com", "F", "")})
			if !dodo.IsOutcomeUnknown(err) || countSubscriptions(env.sim, "frank@example.com") != 1 {
				t.Errorf("create: %v; subscriptions = %d, want outcome unknown and exactly 1", err, countSubscriptions(env.sim, "frank@example.com"))
			}
			if len(env.waits.Waits()) != 0 {
				t.Errorf("writes were retried: waits %v", env.waits.Waits())
			}
		})
	}
}

func TestSimulatorSlowWriteTimesOutAsOutcomeUnknown(t *testing.T) {
	env := newSimEnv(t, nil, func(c *dodo.Config) { c.Timeout = 50 * time.Millisecond })
	ctx := simContext(t)
	created := createOnDemand(ctx, t, env.client, "gina@example.com")
	// The simulator sleeps before reading the body, so it cannot notice the
	// client leaving: keep the latency short, yet well past the timeout.
	slow := simulator.RouteFaults{Latency: simulator.Duration(300 * time.Millisecond)}
	if err := env.sim.SetFaults(simulator.Faults{Routes: map[string]simulator.RouteFaults{simulator.RouteCharge: slow}}); err != nil {
		t.Fatal(err)
	}
	_, err := env.client.Charge(ctx, created.SubscriptionID, dodo.ChargeRequest{ProductPrice: 300})
	if !dodo.IsOutcomeUnknown(err) {
		t.Fatalf("error = %v, want outcome unknown", err)
	}
}

func TestSimulatorServerErrorsRetriedOnGetOnly(t *testing.T) {
	env := newSimEnv(t, nil, nil)
	ctx := simContext(t)
	created := createOnDemand(ctx, t, env.client, "hank@example.com")
	failing := simulator.RouteFaults{ErrorRate: 1, ErrorStatus: 503}
	routes := map[string]simulator.RouteFaults{simulator.RouteGetSubscription: failing, simulator.RouteCharge: failing}
	if err := env.sim.SetFaults(simulator.Faults{Routes: routes}); err != nil {
		t.Fatal(err)
	}
	_, err := env.client.GetSubscription(ctx, created.SubscriptionID)
	if !dodo.IsServerError(err) || dodo.IsOutcomeUnknown(err) || !dodo.IsRetryable(err) {
		t.Fatalf("GET error = %v", err)
	}
	if got := fmt.Sprint(env.waits.Waits()); got != "[500ms 1s 2s]" {
		t.Errorf("GET backoff waits = %s, want [500ms 1s 2s]", got)
	}
	_, err = env.client.Charge(ctx, created.SubscriptionID, dodo.ChargeRequest{ProductPrice: 100})
	if !dodo.IsOutcomeUnknown(err) || !dodo.IsServerError(err) || len(env.waits.Waits()) != 3 {
		t.Errorf("POST 503: %v (waits %v); want outcome unknown, not retried", err, env.waits.Waits())
	}
}

func TestSimulatorRateLimitHonoursRetryAfter(t *testing.T) {
	env := newSimEnv(t, func(c *simulator.Config) { c.RateLimitPerMinute = 2; c.RateLimitBurst = 1 }, nil)
	ctx := simContext(t)
	created := createOnDemand(ctx, t, env.client, "ivy@example.com") // takes the only token
	_, err := env.client.GetSubscription(ctx, created.SubscriptionID)
	if !dodo.IsRateLimited(err) || dodo.ErrorCode(err) != "TOO_MANY_REQUESTS" {
		t.Fatalf("error = %v, want 429", err)
	}
	// The simulator's wall clock is frozen: every retry is refused again,
	// each after the server's Retry-After (30s for 2/min).
	if got := fmt.Sprint(env.waits.Waits()); got != "[30s 30s 30s]" {
		t.Errorf("waits = %s, want [30s 30s 30s]", got)
	}
	_, err = env.client.Charge(ctx, created.SubscriptionID, dodo.ChargeRequest{ProductPrice: 100})
	if !dodo.IsRateLimited(err) || dodo.IsOutcomeUnknown(err) || countPayments(env.sim, created.SubscriptionID, 100) != 0 {
		t.Errorf("POST under 429: %v; a 429 is known not processed", err)
	}
}
