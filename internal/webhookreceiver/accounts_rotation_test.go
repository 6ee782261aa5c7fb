package webhookreceiver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"
	testingclock "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
	"github.com/dodo-operator/dodo-operator/internal/simulator/simtest"
)

// TestAccountSecretRotation: during a rotation both secrets verify; a new value in the
// Secret verifies without a restart, as soon as a signature fails (not after the TTL); and
// once previousSecretRef is removed, the old secret no longer does.
func TestAccountSecretRotation(t *testing.T) {
	f := newFixture(t, withAccounts)
	ref := f.createAccount("rotating", &billingv1alpha1.AccountWebhook{
		SecretRef: f.createSecret("hook-current", secretNew), PreviousSecretRef: f.createSecret("hook-previous", secretA)})
	obj := f.createSubscription("rot", ref)
	f.recordSubscriptionID("rot", "sub_rot")
	path := f.pathOf(ref)
	next := func(status dodo.SubscriptionStatus, typ dodo.EventType) []byte {
		f.clock.Step(time.Second) // each event later than the last
		return envelope(t, typ, f.clock.Now(), subscriptionData("sub_rot", status, stampOf(obj)))
	}

	f.mustDeliverTo(path, secretNew, "msg_new", next(dodo.SubscriptionStatusOnHold, dodo.EventSubscriptionOnHold), http.StatusOK)
	f.mustDeliverTo(path, secretA, "msg_old", next(dodo.SubscriptionStatusActive, dodo.EventSubscriptionActive), http.StatusOK)
	assertEqual(t, "both applied", f.subscription("rot").Status.ProviderStatus, "active")

	// Dodo rotates again; the new value lands in the current Secret.
	third := whsec("account-a-third-secret")
	f.setSecret("hook-current", third)
	paused := next(dodo.SubscriptionStatusPaused, dodo.EventSubscriptionPaused)
	f.clock.Step(minSecretReread)
	f.mustDeliverTo(path, third, "msg_third", paused, http.StatusOK)
	assertEqual(t, "the new value verifies within the TTL", f.subscription("rot").Status.ProviderStatus, "paused")

	// The rotation ends: previousSecretRef is removed, and the old secret is refused.
	acct := &billingv1alpha1.DodoAccount{}
	if err := env.Client.Get(f.ctx, types.NamespacedName{Namespace: f.ns, Name: "rotating"}, acct); err != nil {
		t.Fatal(err)
	}
	acct.Spec.Webhook.PreviousSecretRef = nil
	if err := env.Client.Update(f.ctx, acct); err != nil {
		t.Fatal(err)
	}
	f.waitCached(acct, func(o client.Object) bool { return o.GetGeneration() == acct.Generation })
	f.mustDeliverTo(path, secretA, "msg_after", next(dodo.SubscriptionStatusActive, dodo.EventSubscriptionActive), http.StatusUnauthorized)
	assertNoSecretInLogs(t, f, secretA, secretNew, third)
}

// TestClusterAccountPath: a ClusterDodoAccount's path verifies with its Secret in
// spec.secretNamespace and writes the objects that name it.
func TestClusterAccountPath(t *testing.T) {
	f := newFixture(t, withAccounts)
	ref := f.createClusterAccount(f.ns+"-shared", &billingv1alpha1.AccountWebhook{SecretRef: f.createSecret("hook-cluster", secretB)})
	local := f.createAccount(f.ns+"-shared", &billingv1alpha1.AccountWebhook{SecretRef: f.createSecret("hook-local", secretA)})
	obj := f.createSubscription("shared", ref)
	f.recordSubscriptionID("shared", "sub_shared")
	f.createSubscription("local", local)
	f.recordSubscriptionID("local", "sub_shared")
	assertEqual(t, "path", f.pathOf(ref), "/dodo/webhooks/cluster/"+f.ns+"-shared")
	body := envelope(t, dodo.EventSubscriptionActive, f.clock.Now(), subscriptionData("sub_shared", dodo.SubscriptionStatusActive, stampOf(obj)))
	f.mustDeliverTo(f.pathOf(ref), secretB, "msg_cluster", body, http.StatusOK)
	assertEqual(t, "applied", f.subscription("shared").Status.ProviderStatus, "active")
	assertEqual(t, "the DodoAccount of the same name's object", f.subscription("local").Status.ProviderStatus, "pending")
	cluster := &billingv1alpha1.ClusterDodoAccount{}
	if err := env.Client.Get(f.ctx, types.NamespacedName{Name: f.ns + "-shared"}, cluster); err != nil {
		t.Fatal(err)
	}
	seen := cluster.Status.LastWebhookAt
	assertEqual(t, "lastWebhookAt", seen != nil && seen.Time.Equal(f.clock.Now()), true)
}

// TestLastWebhookAtAtMostOnceAMinute: an accepted delivery records the account's
// lastWebhookAt; another within a minute writes nothing (in this process, nor in another
// replica that sees the recorded time), and one after the minute writes again.
func TestLastWebhookAtAtMostOnceAMinute(t *testing.T) {
	f := newFixture(t, withAccounts)
	ref := f.createAccount("seen", &billingv1alpha1.AccountWebhook{SecretRef: f.createSecret("hook", secretA)})
	obj := f.createSubscription("seen", ref)
	f.recordSubscriptionID("seen", "sub_seen")
	deliver := func(id, secret string, want int) {
		t.Helper()
		body := envelope(t, dodo.EventSubscriptionUpdated, f.clock.Now(), subscriptionData("sub_seen", dodo.SubscriptionStatusActive, stampOf(obj)))
		f.mustDeliverTo(f.pathOf(ref), secret, id, body, want)
	}
	first := f.clock.Now()
	deliver("msg_1", secretA, http.StatusOK)
	seen := f.accountStatus("seen").LastWebhookAt
	assertEqual(t, "recorded", seen != nil && seen.Time.Equal(first), true)

	acct := &billingv1alpha1.DodoAccount{}
	if err := env.Client.Get(f.ctx, types.NamespacedName{Namespace: f.ns, Name: "seen"}, acct); err != nil {
		t.Fatal(err)
	}
	f.waitCached(acct, func(o client.Object) bool { return o.GetResourceVersion() == acct.ResourceVersion })
	f.clock.Step(30 * time.Second)
	deliver("msg_2", secretA, http.StatusOK)
	replica, err := New(Options{Secrets: Secrets{Primary: dodo.NewSecret(testSecret)}, Client: env.Client, Cache: indexCache,
		Accounts: indexCache, Clock: f.clock, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	body := envelope(t, dodo.EventSubscriptionUpdated, f.clock.Now(), subscriptionData("sub_seen", dodo.SubscriptionStatusActive, stampOf(obj)))
	assertEqual(t, "another replica", serveAt(replica, f.pathOf(ref), signedHeader(t, secretA, "msg_3", f.clock.Now(), body), body).Code,
		http.StatusOK)
	f.clock.Step(time.Minute)
	deliver("msg_4", secretB, http.StatusUnauthorized)
	assertEqual(t, "no write within the minute, nor for a refusal", f.accountStatus("seen").LastWebhookAt.Time.Equal(first), true)
	unchanged := &billingv1alpha1.DodoAccount{}
	if err := env.Client.Get(f.ctx, client.ObjectKeyFromObject(acct), unchanged); err != nil {
		t.Fatal(err)
	}
	assertEqual(t, "resourceVersion", unchanged.ResourceVersion, acct.ResourceVersion)

	deliver("msg_5", secretA, http.StatusOK)
	assertEqual(t, "written again after the minute", f.accountStatus("seen").LastWebhookAt.Time.Equal(f.clock.Now()), true)
}

// TestTwoAccountsOfOneBusiness: two accounts registered with the same Dodo business get
// every event on both paths. Each path writes its own account's objects; the other answers
// 200 (other_account), so Dodo does not retry it, or disable the endpoint.
func TestTwoAccountsOfOneBusiness(t *testing.T) {
	f := newFixture(t, withAccounts)
	refA := f.createAccount("a", &billingv1alpha1.AccountWebhook{SecretRef: f.createSecret("hook-a", secretA)})
	refB := f.createAccount("b", &billingv1alpha1.AccountWebhook{SecretRef: f.createSecret("hook-b", secretB)})
	hook := httptest.NewServer(f.receiver)
	t.Cleanup(hook.Close)
	sim, api := simtest.Start(t, simulator.Config{Clock: testingclock.NewFakePassiveClock(testStart), WallClock: f.clock,
		Seed: simSeeds.Add(1), WebhookWorkers: 1, WebhookEndpoints: []simulator.WebhookEndpoint{
			{URL: hook.URL + f.pathOf(refA), Secret: secretA}, {URL: hook.URL + f.pathOf(refB), Secret: secretB}},
	}, simtest.Running())
	h := &simHarness{t: t, sim: sim, api: api}
	obj := f.createSubscription("in-a", refA)
	created, err := api.CreateSubscription(context.Background(), dodo.CreateSubscriptionRequest{
		ProductID: "pdt_sim_trial", Quantity: 1, Billing: dodo.BillingAddress{Country: "US"},
		Customer: dodo.NewCustomer("buyer@example.com", "Buyer", ""), PaymentLink: ptr.To(true), Metadata: stampOf(obj),
	})
	if err != nil {
		t.Fatal(err)
	}
	f.recordSubscriptionID("in-a", created.SubscriptionID)
	if err := sim.CompleteCheckout(created.SubscriptionID, "4242424242424242"); err != nil {
		t.Fatal(err)
	}
	h.flush() // every delivery to both paths answered 2xx
	assertEqual(t, "A's object", f.subscription("in-a").Status.ProviderStatus, "active")
	if f.count(string(dodo.EventSubscriptionActive), outcomeApplied) != 1 || f.count(string(dodo.EventSubscriptionActive), outcomeOtherAccount) != 1 {
		t.Fatalf("subscription.active: want applied once (A) and other_account once (B)")
	}
	assertEqual(t, "B's lastWebhookAt: its endpoint is reached", f.accountStatus("b").LastWebhookAt != nil, true)
}
