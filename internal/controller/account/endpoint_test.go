package account

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
	"github.com/dodo-operator/dodo-operator/test/controllertest"
)

func (h *harness) webhookSecret(name string) (string, *corev1.Secret) {
	h.T.Helper()
	s := &corev1.Secret{}
	if err := env.Client.Get(h.Ctx, client.ObjectKey{Namespace: h.NS, Name: name}, s); err != nil {
		h.T.Fatal(err)
	}
	return string(s.Data["secret"]), s
}

func onlyEndpoint(t *testing.T, sim *simulator.Simulator) dodo.WebhookEndpoint {
	t.Helper()
	eps := sim.RegisteredWebhookEndpoints()
	if len(eps) != 1 {
		t.Fatalf("the simulator has %d webhook endpoints, want exactly 1: %+v", len(eps), eps)
	}
	return eps[0]
}

// TestEndpointIsRegisteredAndItsDeliveriesVerify: the operator registers the endpoint with
// the receiver's event types, writes its secret into the Secret, and a delivery the
// simulator sends there verifies with that Secret. A second check changes nothing.
func TestEndpointIsRegisteredAndItsDeliveriesVerify(t *testing.T) {
	h := newHarness(t)
	sim, api := h.sim("bus_hooks", "sk_test_hooks")
	hk := newHook(t)
	url := hk.srv.URL + "/dodo/webhooks/namespaces/" + h.NS + "/hooks"
	h.secret("hooks-key", map[string]string{"apiKey": "sk_test_hooks"})
	h.account("hooks", api.BaseURL(), withEndpoint(url, "hooks-webhook"))
	h.mustRun("hooks")

	acct := h.expectReady("hooks", "True", ReasonCredentialsVerified)
	controllertest.ExpectCondition(t, acct.Status.Conditions, ConditionWebhookEndpoint, "True", ReasonRegistered)
	ep := onlyEndpoint(t, sim)
	got := acct.Status.WebhookEndpoint
	if got == nil || got.ID != ep.ID || got.URL != url || !got.CreatedByOperator || got.IdempotencyKey == "" {
		t.Fatalf("status.webhookEndpoint = %+v, simulator has %+v", got, ep)
	}
	if !slices.Equal(ep.FilterTypes, dodo.ReceiverEventTypes()) || ep.Metadata[metaUID] != string(acct.UID) {
		t.Errorf("endpoint filter %v metadata %v", ep.FilterTypes, ep.Metadata)
	}
	if !controllerutil.ContainsFinalizer(acct, Finalizer) {
		t.Error("an account with an endpoint the operator created has no finalizer")
	}
	value, stored := h.webhookSecret("hooks-webhook")
	if len(value) < 10 || value[:6] != "whsec_" || stored.Labels[labelManagedBy] != managedByValue {
		t.Fatalf("Secret hooks-webhook: labels %v, value of %d bytes", stored.Labels, len(value))
	}

	if _, err := api.CreateSubscription(h.Ctx, dodo.CreateSubscriptionRequest{ProductID: "pdt_sim_basic", Quantity: 1,
		Billing: dodo.BillingAddress{Country: "US"}, Customer: dodo.NewCustomer("hooks@example.com", "", "")}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(h.Ctx, 10*time.Second)
	defer cancel()
	if err := sim.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	verifier, err := standardwebhooks.NewWebhook(value)
	if err != nil {
		t.Fatal(err)
	}
	bodies, heads := hk.received()
	if len(bodies) == 0 {
		t.Fatal("the registered endpoint received nothing")
	}
	for i := range bodies {
		if err := verifier.Verify(bodies[i], heads[i]); err != nil {
			t.Fatalf("delivery %d does not verify with the Secret's value: %v", i, err)
		}
	}

	h.mustRun("hooks")
	if _, again := h.webhookSecret("hooks-webhook"); again.ResourceVersion != stored.ResourceVersion {
		t.Error("an unchanged secret was written again")
	}
	onlyEndpoint(t, sim)
}

// TestEndpointCreateWhoseAnswerIsLostMakesOne: the create commits but its answer is lost;
// the key stays stored and the next check finds the endpoint instead of making another.
func TestEndpointCreateWhoseAnswerIsLostMakesOne(t *testing.T) {
	h := newHarness(t)
	sim, api := h.sim("bus_lost", "sk_test_lost")
	h.secret("lost-key", map[string]string{"apiKey": "sk_test_lost"})
	h.account("lost", api.BaseURL(), withEndpoint("https://hooks.example/lost", "lost-webhook"))
	if err := sim.SetFaults(simulator.Faults{Routes: map[string]simulator.RouteFaults{
		simulator.RouteCreateWebhook: {FailAfterCommitRate: 1, FailAfterCommitMode: simulator.FailModeDrop}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.run("lost"); !dodo.IsOutcomeUnknown(err) {
		t.Fatalf("reconcile error = %v, want the create's unknown outcome", err)
	}
	acct := h.get("lost")
	intent := acct.Status.WebhookEndpoint
	if intent == nil || intent.IdempotencyKey == "" || intent.ID != "" || !controllerutil.ContainsFinalizer(acct, Finalizer) {
		t.Fatalf("after the lost answer: status %+v, finalizers %v", intent, acct.Finalizers)
	}
	controllertest.ExpectCondition(t, acct.Status.Conditions, ConditionWebhookEndpoint, "False", ReasonRegistrationFailed)
	if err := sim.SetFaults(simulator.Faults{}); err != nil {
		t.Fatal(err)
	}
	h.r = h.newReconciler() // and across a restart
	h.mustRun("lost")
	ep := onlyEndpoint(t, sim)
	if got := h.get("lost").Status.WebhookEndpoint; got == nil || got.ID != ep.ID || !got.CreatedByOperator ||
		got.IdempotencyKey != intent.IdempotencyKey {
		t.Fatalf("status %+v, endpoint %s", got, ep.ID)
	}
}

// refusePOSTWebhooks fails POST /webhooks before anything is sent: the process stopped
// between storing the key and the call.
type refusePOSTWebhooks struct{}

func (refusePOSTWebhooks) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPost && req.URL.Path == dodo.RouteWebhooks {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("stopped before the call")}
	}
	return http.DefaultTransport.RoundTrip(req)
}

// TestEndpointCreateAfterRestartSendsTheStoredKey: the key is stored, the process stops
// before the call; the restarted operator sends that same key (Dodo would answer an
// endpoint made with it) and makes exactly one endpoint.
func TestEndpointCreateAfterRestartSendsTheStoredKey(t *testing.T) {
	h := newHarness(t)
	sim, api := h.sim("bus_restart", "sk_test_restart")
	h.secret("restart-key", map[string]string{"apiKey": "sk_test_restart"})
	h.account("restart", api.BaseURL(), withEndpoint("https://hooks.example/restart", "restart-webhook"))
	h.r = h.newReconciler(dodo.WithHTTPClient(&http.Client{Transport: refusePOSTWebhooks{}}))
	if _, err := h.run("restart"); err == nil {
		t.Fatal("the reconcile that stopped before the call succeeded")
	}
	key := h.get("restart").Status.WebhookEndpoint.IdempotencyKey
	if key == "" || len(sim.RegisteredWebhookEndpoints()) != 0 {
		t.Fatalf("before the restart: key %q, %d endpoints", key, len(sim.RegisteredWebhookEndpoints()))
	}
	h.r = h.newReconciler()
	h.mustRun("restart")
	ep := onlyEndpoint(t, sim)
	replay, err := api.CreateWebhookEndpoint(h.Ctx, dodo.CreateWebhookEndpointRequest{URL: "https://other.example", IdempotencyKey: key})
	if err != nil || replay.ID != ep.ID {
		t.Fatalf("the stored key %q did not make endpoint %s (a replay answered %+v, %v)", key, ep.ID, replay, err)
	}
	if got := h.get("restart").Status.WebhookEndpoint; got.ID != ep.ID || got.IdempotencyKey != key {
		t.Fatalf("status %+v", got)
	}
}

// TestDeletingAccountsDeletesOnlyEndpointsTheOperatorMade: one account's endpoint was
// made by the operator, the other's by a person (adopted): deleting both accounts deletes
// only the first endpoint.
func TestDeletingAccountsDeletesOnlyEndpointsTheOperatorMade(t *testing.T) {
	h := newHarness(t)
	sim, api := h.sim("bus_del", "sk_test_del")
	manual, err := api.CreateWebhookEndpoint(h.Ctx, dodo.CreateWebhookEndpointRequest{URL: "https://hooks.example/manual",
		IdempotencyKey: "by-hand"})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"made", "adopted"} {
		h.secret(name+"-key", map[string]string{"apiKey": "sk_test_del"})
	}
	h.account("made", api.BaseURL(), withEndpoint("https://hooks.example/made", "made-webhook"))
	h.account("adopted", api.BaseURL(), withEndpoint("https://hooks.example/manual", "adopted-webhook"))
	h.mustRun("made")
	h.mustRun("adopted")
	adopted := h.get("adopted")
	controllertest.ExpectCondition(t, adopted.Status.Conditions, ConditionWebhookEndpoint, "True", ReasonAdopted)
	if ep := adopted.Status.WebhookEndpoint; ep == nil || ep.ID != manual.ID || ep.CreatedByOperator ||
		controllerutil.ContainsFinalizer(adopted, Finalizer) {
		t.Fatalf("adopted: status %+v, finalizers %v", ep, adopted.Finalizers)
	}
	if n := len(sim.RegisteredWebhookEndpoints()); n != 2 {
		t.Fatalf("%d endpoints, want the manual one and the operator's", n)
	}
	for _, name := range []string{"made", "adopted"} {
		if err := env.Client.Delete(h.Ctx, h.get(name)); err != nil {
			t.Fatal(err)
		}
		h.mustRun(name)
		if err := env.Client.Get(h.Ctx, client.ObjectKey{Namespace: h.NS, Name: name}, &billingv1alpha1.DodoAccount{}); !apierrors.IsNotFound(err) {
			t.Fatalf("%s is not gone after its deletion was reconciled: %v", name, err)
		}
	}
	if ep := onlyEndpoint(t, sim); ep.ID != manual.ID {
		t.Fatalf("left %s; want only the manual endpoint %s", ep.ID, manual.ID)
	}
}

// TestEndpointFollowsSpec: a new URL releases the operator's old endpoint and registers
// the new one; removing the endpoint releases it and the finalizer; an endpoint deleted in
// Dodo is registered again.
func TestEndpointFollowsSpec(t *testing.T) {
	h := newHarness(t)
	sim, api := h.sim("bus_follow", "sk_test_follow")
	h.secret("follow-key", map[string]string{"apiKey": "sk_test_follow"})
	h.account("follow", api.BaseURL(), withEndpoint("https://hooks.example/one", "follow-webhook"))
	h.mustRun("follow")
	first := onlyEndpoint(t, sim)

	h.setEndpoint("follow", withEndpoint("https://hooks.example/two", "follow-webhook"))
	h.mustRun("follow")
	second := onlyEndpoint(t, sim)
	if second.ID == first.ID || second.URL != "https://hooks.example/two" || h.get("follow").Status.WebhookEndpoint.ID != second.ID {
		t.Fatalf("after the URL change: %+v (first %s)", second, first.ID)
	}

	if err := api.DeleteWebhookEndpoint(h.Ctx, second.ID); err != nil {
		t.Fatal(err)
	}
	if res := h.mustRun("follow"); res.RequeueAfter != h.r.Options.NotReadyRecheck {
		t.Errorf("a gone endpoint requeues after %v, want the short recheck", res.RequeueAfter)
	}
	controllertest.ExpectCondition(t, h.get("follow").Status.Conditions, ConditionWebhookEndpoint, "False", ReasonEndpointGone)
	h.mustRun("follow")
	third := onlyEndpoint(t, sim)
	if third.ID == second.ID {
		t.Fatal("the gone endpoint was not registered again")
	}

	h.setEndpoint("follow", func(spec *billingv1alpha1.DodoAccountSpec) { spec.Webhook = nil })
	h.mustRun("follow")
	acct := h.get("follow")
	if n := len(sim.RegisteredWebhookEndpoints()); n != 0 || acct.Status.WebhookEndpoint != nil ||
		controllerutil.ContainsFinalizer(acct, Finalizer) {
		t.Fatalf("after removing the endpoint: %d endpoints, status %+v, finalizers %v", n, acct.Status.WebhookEndpoint, acct.Finalizers)
	}
}

func (h *harness) setEndpoint(name string, mutate func(*billingv1alpha1.DodoAccountSpec)) {
	h.T.Helper()
	acct := h.get(name)
	mutate(&acct.Spec)
	if err := env.Client.Update(h.Ctx, acct); err != nil {
		h.T.Fatal(err)
	}
}
