package simulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

func TestRateLimit(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.RateLimitPerMinute, c.RateLimitBurst = 60, 2 })
	for range 2 {
		status, _ := h.call(http.MethodGet, "/subscriptions", nil)
		assertEqual(t, "request within burst", status, http.StatusOK)
	}
	req, _ := http.NewRequest(http.MethodGet, h.srv.URL+"/subscriptions", nil)
	req.Header.Set("Authorization", "Bearer "+testAPIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body dodo.ErrorBody
	_ = json.NewDecoder(resp.Body).Decode(&body)
	_ = resp.Body.Close()
	assertEqual(t, "status over the limit", resp.StatusCode, http.StatusTooManyRequests)
	assertEqual(t, "code", body.Code, codeTooManyRequests)
	assertEqual(t, "Retry-After", resp.Header.Get("Retry-After"), "1")
	h.wall.Step(time.Second) // one token per second refills
	status, _ := h.call(http.MethodGet, "/subscriptions", nil)
	assertEqual(t, "after refill", status, http.StatusOK)
}

func TestFailAfterCommitReturns502ButCommits(t *testing.T) {
	h := newHarness(t)
	err := h.sim.SetFaults(Faults{Routes: map[string]RouteFaults{RouteCreateSubscription: {FailAfterCommitRate: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	h.wantError(http.MethodPost, "/subscriptions", newSubReq("pdt_sim_basic", "unknown@example.com"), http.StatusBadGateway, codeBadGateway)
	state := h.sim.State()
	assertEqual(t, "subscriptions", len(state.Subscriptions), 1)
	assertEqual(t, "payments", len(state.Payments), 1)
	assertEqual(t, "the subscription is real", state.Subscriptions[0].Status, dodo.SubscriptionStatusActive)
}

func TestFailAfterCommitDropsConnectionButCommits(t *testing.T) {
	h := newHarness(t)
	sub := h.create(onDemandReq("drop@example.com"))
	err := h.sim.SetFaults(Faults{Routes: map[string]RouteFaults{RouteCharge: {FailAfterCommitRate: 1, FailAfterCommitMode: FailModeDrop}}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(dodo.ChargeRequest{ProductPrice: 1234})
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/subscriptions/"+sub.SubscriptionID+"/charge", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testAPIKey)
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		_ = resp.Body.Close()
		t.Fatalf("want a dropped connection, got status %d", resp.StatusCode)
	}
	payments := h.payments(sub.SubscriptionID)
	assertEqual(t, "charge committed", len(payments), 2)
	assertEqual(t, "charge amount", payments[1].TotalAmount, int64(1234))
}

func TestInjectedErrorDoesNotCommit(t *testing.T) {
	h := newHarness(t)
	err := h.sim.SetFaults(Faults{Routes: map[string]RouteFaults{"*": {ErrorRate: 1, ErrorStatus: http.StatusServiceUnavailable}}})
	if err != nil {
		t.Fatal(err)
	}
	h.wantError(http.MethodPost, "/subscriptions", newSubReq("pdt_sim_basic", "x@example.com"), http.StatusServiceUnavailable, codeInternalServerError)
	assertEqual(t, "nothing created", len(h.sim.State().Subscriptions), 0)
}

func TestSeededFaultsAreReproducible(t *testing.T) {
	h := newHarness(t)
	run := func() []int {
		if err := h.sim.SetFaults(Faults{Seed: 42, Routes: map[string]RouteFaults{RouteListSubscriptions: {ErrorRate: 0.5}}}); err != nil {
			t.Fatal(err)
		}
		statuses := make([]int, 0, 20)
		for range 20 {
			status, _ := h.call(http.MethodGet, "/subscriptions", nil)
			statuses = append(statuses, status)
		}
		return statuses
	}
	first, second := run(), run()
	failures := 0
	for i := range first {
		assertEqual(t, "same outcome", first[i], second[i])
		if first[i] != http.StatusOK {
			failures++
		}
	}
	if failures == 0 || failures == len(first) {
		t.Fatalf("a 0.5 error rate gave %d failures out of %d", failures, len(first))
	}
}

func TestLatencyFault(t *testing.T) {
	h := newHarness(t)
	if err := h.sim.SetFaults(Faults{Routes: map[string]RouteFaults{RouteListPayments: {Latency: Duration(5 * time.Millisecond)}}}); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	h.mustCall(http.MethodGet, "/payments", nil, nil)
	if elapsed := time.Since(started); elapsed < 5*time.Millisecond {
		t.Fatalf("request took %v, want at least the injected 5ms", elapsed)
	}
}

func TestFaultsValidation(t *testing.T) {
	for name, f := range map[string]Faults{
		"rate above 1":   {WebhookDuplicateRate: 1.5},
		"negative rate":  {Routes: map[string]RouteFaults{"*": {ErrorRate: -0.1}}},
		"unknown mode":   {Routes: map[string]RouteFaults{"*": {FailAfterCommitMode: "explode"}}},
		"success status": {Routes: map[string]RouteFaults{"*": {ErrorStatus: 200}}},
		"unknown route":  {Routes: map[string]RouteFaults{"POST /v1/subscriptions": {ErrorRate: 1}}},
	} {
		if err := f.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
