package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/go-logr/logr"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/accounts"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/stamp"
	"github.com/dodo-operator/dodo-operator/internal/webhookreceiver"
	"github.com/dodo-operator/dodo-operator/test/testenv"
)

const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// TestBinaryAppliesAWebhookAndShutsDown runs the command's wiring (manager, cache, index,
// probes, HTTP server) against a real API server: ready once synced, a signed delivery
// becomes a condition, and cancelling the context stops it cleanly.
func TestBinaryAppliesAWebhookAndShutsDown(t *testing.T) {
	env, err := testenv.Start()
	if err != nil {
		t.Fatalf("envtest: %v", err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	t.Setenv("KUBECONFIG", env.Kubeconfig)
	t.Setenv(webhookreceiver.EnvWebhookKey, testSecret)
	sub := &billingv1alpha1.Subscription{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "smoke"},
		Spec: billingv1alpha1.SubscriptionSpec{ProductID: "pdt_1", Quantity: 1,
			Customer: billingv1alpha1.CustomerSpec{Email: "a@example.com"}, Billing: billingv1alpha1.BillingAddress{Country: "US"}},
	}
	if err := env.Client.Create(context.Background(), sub); err != nil {
		t.Fatalf("create: %v", err)
	}
	f := flags{listen: freeAddress(t), metricsAddr: "0", probeAddr: freeAddress(t),
		tolerance: webhookreceiver.DefaultTimestampTolerance, maxBodyBytes: webhookreceiver.DefaultMaxBodyBytes,
		notFoundGrace: webhookreceiver.DefaultNotFoundGrace}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- run(ctx, f, logr.Discard()) }()

	waitFor(t, "readyz", func() bool { return get(t, "http://"+f.probeAddr+"/readyz") == http.StatusOK })
	body := activeEvent(t, sub)
	waitFor(t, "a 200 from the receiver", func() bool { return post(t, "http://"+f.listen+"/", testSecret, body) == http.StatusOK })
	assertActive(t, env, sub)

	// An account's path, verified with the account's own Secret.
	inAccount, path := createAccountSubscription(t, env)
	body = activeEvent(t, inAccount)
	if code := post(t, "http://"+f.listen+path, testSecret, body); code != http.StatusUnauthorized {
		t.Fatalf("the default secret on an account's path: %d, want 401", code)
	}
	waitFor(t, "a 200 on the account's path", func() bool { return post(t, "http://"+f.listen+path, accountSecret, body) == http.StatusOK })
	assertActive(t, env, inAccount)
	cancel()
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("run returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the receiver did not stop")
	}
}

// accountSecret signs the account's deliveries.
const accountSecret = "whsec_YWNjb3VudC1zaWduaW5nLXNlY3JldA=="

// createAccountSubscription creates a DodoAccount with its webhook Secret and a
// Subscription using it; path is the account's webhook path.
func createAccountSubscription(t *testing.T, env *testenv.Env) (sub *billingv1alpha1.Subscription, path string) {
	t.Helper()
	ctx := context.Background()
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "hook"},
		StringData: map[string]string{"whsec": accountSecret}}
	acct := &billingv1alpha1.DodoAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "shop"},
		Spec: billingv1alpha1.DodoAccountSpec{Environment: billingv1alpha1.AccountTestMode,
			APIKeySecretRef: billingv1alpha1.SecretKeyReference{Name: "api-key", Key: "key"},
			Webhook:         &billingv1alpha1.AccountWebhook{SecretRef: &billingv1alpha1.SecretKeyReference{Name: "hook", Key: "whsec"}}}}
	ref := &billingv1alpha1.AccountReference{Kind: billingv1alpha1.AccountKindNamespaced, Name: "shop"}
	sub = &billingv1alpha1.Subscription{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "in-shop"},
		Spec: billingv1alpha1.SubscriptionSpec{AccountRef: ref, ProductID: "pdt_1", Quantity: 1,
			Customer: billingv1alpha1.CustomerSpec{Email: "a@example.com"}, Billing: billingv1alpha1.BillingAddress{Country: "US"}},
	}
	for _, obj := range []client.Object{secret, acct, sub} {
		if err := env.Client.Create(ctx, obj); err != nil {
			t.Fatalf("create: %v", err)
		}
	}
	return sub, accounts.KeyOf("default", ref).WebhookPath()
}

func assertActive(t *testing.T, env *testenv.Env, sub *billingv1alpha1.Subscription) {
	t.Helper()
	current := &billingv1alpha1.Subscription{}
	if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(sub), current); err != nil {
		t.Fatalf("get: %v", err)
	}
	if current.Status.ProviderStatus != "active" {
		t.Fatalf("provider status %q after the delivery", current.Status.ProviderStatus)
	}
}

func activeEvent(t *testing.T, sub *billingv1alpha1.Subscription) []byte {
	t.Helper()
	data, err := dodo.WebhookData(dodo.PayloadTypeSubscription, dodo.Subscription{
		SubscriptionID: "sub_smoke", Status: dodo.SubscriptionStatusActive, Currency: "USD",
		Metadata: stamp.Subscription(nil, stamp.Identity{Namespace: sub.Namespace, Name: sub.Name, UID: sub.UID}),
	})
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(dodo.WebhookEvent{Type: dodo.EventSubscriptionActive, Timestamp: time.Now(), Data: data})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func post(t *testing.T, url, secret string, body []byte) int {
	hook, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	signature, err := hook.Sign("msg_smoke", now, body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("webhook-id", "msg_smoke")
	req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("webhook-signature", signature)
	return do(req)
}

func get(t *testing.T, url string) int {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(req)
}

func do(req *http.Request) int {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer func() { _ = resp.Body.Close() }()
	return resp.StatusCode
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 20*time.Millisecond, 30*time.Second, true,
		func(context.Context) (bool, error) { return cond(), nil })
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

func freeAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return fmt.Sprintf("127.0.0.1:%d", l.Addr().(*net.TCPAddr).Port)
}
