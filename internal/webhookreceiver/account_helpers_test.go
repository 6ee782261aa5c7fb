package webhookreceiver

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/accounts"
)

// whsec makes a Standard Webhooks secret from a readable seed.
func whsec(seed string) string {
	return "whsec_" + base64.StdEncoding.EncodeToString([]byte(seed))
}

// Account secrets of the tests: each account signs with its own.
var (
	secretA   = whsec("account-a-signing-secret")
	secretB   = whsec("account-b-signing-secret")
	secretNew = whsec("account-a-rotated-secret")
)

// withAccounts serves the accounts' paths, reading accounts from the shared cache.
func withAccounts(o *Options) { o.Accounts = indexCache }

// createSecret creates a Secret in the fixture's namespace with one key, "whsec".
func (f *fixture) createSecret(name, value string) *billingv1alpha1.SecretKeyReference {
	f.t.Helper()
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: name}, StringData: map[string]string{"whsec": value}}
	if err := env.Client.Create(f.ctx, secret); err != nil {
		f.t.Fatalf("creating Secret %s: %v", name, err)
	}
	return &billingv1alpha1.SecretKeyReference{Name: name, Key: "whsec"}
}

// setSecret changes the value of a Secret made by createSecret.
func (f *fixture) setSecret(name, value string) {
	f.t.Helper()
	secret := &corev1.Secret{}
	if err := env.Client.Get(f.ctx, types.NamespacedName{Namespace: f.ns, Name: name}, secret); err != nil {
		f.t.Fatalf("reading Secret %s: %v", name, err)
	}
	secret.Data = map[string][]byte{"whsec": []byte(value)}
	if err := env.Client.Update(f.ctx, secret); err != nil {
		f.t.Fatalf("updating Secret %s: %v", name, err)
	}
}

// accountSpec is a DodoAccountSpec with the webhook part given (the API key is never read
// by the receiver, so its Secret need not exist).
func accountSpec(webhook *billingv1alpha1.AccountWebhook) billingv1alpha1.DodoAccountSpec {
	return billingv1alpha1.DodoAccountSpec{Environment: billingv1alpha1.AccountTestMode,
		APIKeySecretRef: billingv1alpha1.SecretKeyReference{Name: "api-key", Key: "key"}, Webhook: webhook}
}

// createAccount creates a DodoAccount in the fixture's namespace and waits until the
// shared cache has it. It returns the reference a Subscription uses.
func (f *fixture) createAccount(name string, webhook *billingv1alpha1.AccountWebhook) *billingv1alpha1.AccountReference {
	f.t.Helper()
	acct := &billingv1alpha1.DodoAccount{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: name}, Spec: accountSpec(webhook)}
	if err := env.Client.Create(f.ctx, acct); err != nil {
		f.t.Fatalf("creating DodoAccount %s: %v", name, err)
	}
	f.waitCached(acct, func(obj client.Object) bool { return obj.GetResourceVersion() == acct.ResourceVersion })
	return &billingv1alpha1.AccountReference{Kind: billingv1alpha1.AccountKindNamespaced, Name: name}
}

// createClusterAccount creates a ClusterDodoAccount whose Secrets live in the fixture's
// namespace and which admits every namespace; it is deleted when the test ends.
func (f *fixture) createClusterAccount(name string, webhook *billingv1alpha1.AccountWebhook) *billingv1alpha1.AccountReference {
	f.t.Helper()
	acct := &billingv1alpha1.ClusterDodoAccount{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: billingv1alpha1.ClusterDodoAccountSpec{DodoAccountSpec: accountSpec(webhook), SecretNamespace: f.ns,
			NamespaceSelector: &metav1.LabelSelector{}}}
	if err := env.Client.Create(f.ctx, acct); err != nil {
		f.t.Fatalf("creating ClusterDodoAccount %s: %v", name, err)
	}
	f.t.Cleanup(func() { _ = env.Client.Delete(context.Background(), acct) })
	f.waitCached(acct, func(obj client.Object) bool { return obj.GetResourceVersion() == acct.ResourceVersion })
	return &billingv1alpha1.AccountReference{Kind: billingv1alpha1.AccountKindCluster, Name: name}
}

// waitCached waits until the shared cache's copy of obj satisfies done.
func (f *fixture) waitCached(obj client.Object, done func(client.Object) bool) {
	f.t.Helper()
	cached, ok := obj.DeepCopyObject().(client.Object)
	if !ok {
		f.t.Fatal("not a client.Object")
	}
	err := wait.PollUntilContextTimeout(f.ctx, 2*time.Millisecond, 5*time.Second, true, func(ctx context.Context) (bool, error) {
		err := indexCache.Get(ctx, client.ObjectKeyFromObject(obj), cached)
		return err == nil && done(cached), nil
	})
	if err != nil {
		f.t.Fatalf("the cache never had %s as expected: %v", client.ObjectKeyFromObject(obj), err)
	}
}

// pathOf is the webhook path of the account ref names for the fixture's namespace.
func (f *fixture) pathOf(ref *billingv1alpha1.AccountReference) string {
	return accounts.KeyOf(f.ns, ref).WebhookPath()
}

// deliverTo signs body with secret at the fixture's now and posts it to path.
func (f *fixture) deliverTo(path, secret, id string, body []byte) int {
	f.t.Helper()
	return serveAt(f.receiver, path, signedHeader(f.t, secret, id, f.clock.Now(), body), body).Code
}

func (f *fixture) mustDeliverTo(path, secret, id string, body []byte, want int) {
	f.t.Helper()
	if got := f.deliverTo(path, secret, id, body); got != want {
		f.t.Fatalf("delivery %s to %s: status %d, want %d", id, path, got, want)
	}
}

func serveAt(r *Receiver, path string, header http.Header, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	return rec
}

// resourceVersions are the objects' resourceVersions, to show that nothing was written.
func (f *fixture) resourceVersions(names ...string) map[string]string {
	f.t.Helper()
	versions := map[string]string{}
	for _, name := range names {
		versions[name] = f.subscription(name).ResourceVersion
	}
	return versions
}

// accountStatus reads a DodoAccount's status fresh.
func (f *fixture) accountStatus(name string) billingv1alpha1.DodoAccountStatus {
	f.t.Helper()
	acct := &billingv1alpha1.DodoAccount{}
	if err := env.Client.Get(f.ctx, types.NamespacedName{Namespace: f.ns, Name: name}, acct); err != nil {
		f.t.Fatalf("reading DodoAccount %s: %v", name, err)
	}
	return acct.Status
}

// assertNoSecretInLogs fails when the logs carry one of the values.
func assertNoSecretInLogs(t *testing.T, f *fixture, values ...string) {
	t.Helper()
	logs := f.logs.String()
	for _, v := range values {
		if strings.Contains(logs, v[len("whsec_"):len("whsec_")+12]) {
			t.Fatalf("the logs carry a webhook secret:\n%s", logs)
		}
	}
}

// accountKey is the key of the account ref names for the fixture's namespace.
func accountKey(f *fixture, ref *billingv1alpha1.AccountReference) accounts.Key {
	return accounts.KeyOf(f.ns, ref)
}

// fmtMap prints a map with sorted keys, for assertEqual.
func fmtMap(m map[string]string) string { return fmt.Sprint(m) }
