package accounts

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

func TestWebhookPathsNameTheirAccountAndNoOther(t *testing.T) {
	for _, key := range []Key{
		{Kind: billingv1alpha1.AccountKindNamespaced, Namespace: "shop", Name: "brand-a"},
		{Kind: billingv1alpha1.AccountKindNamespaced, Namespace: "cluster", Name: "x"}, // a namespace named like the cluster segment
		{Kind: billingv1alpha1.AccountKindCluster, Name: "x"},
	} {
		got, ok := ParseWebhookPath(key.WebhookPath())
		if !ok || got != key {
			t.Errorf("%s: path %s parses to %+v, %v", key, key.WebhookPath(), got, ok)
		}
	}
	for _, path := range []string{"/webhooks", "/dodo/webhooks/", "/dodo/webhooks/cluster/", "/dodo/webhooks/namespaces/a",
		"/dodo/webhooks/namespaces/a/b/c", "/dodo/webhooks/other/a/b"} {
		if key, ok := ParseWebhookPath(path); ok {
			t.Errorf("%s parsed to %+v", path, key)
		}
	}
}

func TestKeyOf(t *testing.T) {
	ns := &billingv1alpha1.AccountReference{Kind: billingv1alpha1.AccountKindNamespaced, Name: "a"}
	cl := &billingv1alpha1.AccountReference{Kind: billingv1alpha1.AccountKindCluster, Name: "a"}
	for _, tc := range []struct {
		ref  *billingv1alpha1.AccountReference
		want string
	}{{nil, "default"}, {ns, "DodoAccount/shop/a"}, {cl, "ClusterDodoAccount/a"}} {
		if got := KeyOf("shop", tc.ref).String(); got != tc.want {
			t.Errorf("KeyOf(shop, %+v) = %s, want %s", tc.ref, got, tc.want)
		}
	}
}

func world(t *testing.T, objs ...client.Object) client.Client {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := billingv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	return fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).Build()
}

func TestAdmits(t *testing.T) {
	labelled := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a", Labels: map[string]string{"billing": "shared"}}}
	plain := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-b"}}
	cluster := func(sel *metav1.LabelSelector) *billingv1alpha1.ClusterDodoAccount {
		return &billingv1alpha1.ClusterDodoAccount{ObjectMeta: metav1.ObjectMeta{Name: "shared"},
			Spec: billingv1alpha1.ClusterDodoAccountSpec{SecretNamespace: "ops", NamespaceSelector: sel}}
	}
	for _, tc := range []struct {
		name    string
		account client.Object
		key     Key
		ns      string
		admits  bool
	}{
		{"own namespace", &billingv1alpha1.DodoAccount{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "team-a"}},
			Key{Kind: billingv1alpha1.AccountKindNamespaced, Namespace: "team-a", Name: "a"}, "team-a", true},
		{"selector matches", cluster(&metav1.LabelSelector{MatchLabels: map[string]string{"billing": "shared"}}),
			Key{Kind: billingv1alpha1.AccountKindCluster, Name: "shared"}, "team-a", true},
		{"selector does not match", cluster(&metav1.LabelSelector{MatchLabels: map[string]string{"billing": "shared"}}),
			Key{Kind: billingv1alpha1.AccountKindCluster, Name: "shared"}, "team-b", false},
		{"empty selector admits all", cluster(&metav1.LabelSelector{}), Key{Kind: billingv1alpha1.AccountKindCluster, Name: "shared"}, "team-b", true},
		{"no selector admits none", cluster(nil), Key{Kind: billingv1alpha1.AccountKindCluster, Name: "shared"}, "team-a", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := world(t, labelled, plain, tc.account)
			acct, err := Get(context.Background(), c, tc.key)
			if err != nil {
				t.Fatal(err)
			}
			err = acct.Admits(context.Background(), c, tc.ns)
			var notUsable *NotUsableError
			if tc.admits != (err == nil) || (err != nil && (!errors.As(err, &notUsable) || notUsable.Reason != ReasonAccountNotAllowed)) {
				t.Fatalf("Admits(%s) = %v, want admitted=%v", tc.ns, err, tc.admits)
			}
		})
	}
}

func TestClientsBuildOneClientPerKeyAndRereadARotatedKey(t *testing.T) {
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "key", Namespace: "shop"}, Data: map[string][]byte{"k": []byte("sk_one")}}
	acct := &billingv1alpha1.DodoAccount{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "shop", UID: "u1", Generation: 1},
		Spec: billingv1alpha1.DodoAccountSpec{BaseURL: "http://127.0.0.1:1",
			APIKeySecretRef: billingv1alpha1.SecretKeyReference{Name: "key", Key: "k"}}}
	c := world(t, secret, acct)
	clock := clocktesting.NewFakeClock(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC))
	clients := &Clients{Reader: c, Clock: clock}
	ref := &billingv1alpha1.AccountReference{Kind: billingv1alpha1.AccountKindNamespaced, Name: "a"}
	ctx := context.Background()
	first, err := clients.For(ctx, "shop", ref)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := clients.For(ctx, "shop", ref); again != first {
		t.Fatal("a second object of the account got another client (and another budget)")
	}
	secret.Data["k"] = []byte("sk_two")
	if err := c.Update(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if within, _ := clients.For(ctx, "shop", ref); within != first {
		t.Fatal("the Secret was read again within its TTL")
	}
	clock.Step(DefaultSecretTTL)
	rotated, err := clients.For(ctx, "shop", ref)
	if err != nil || rotated == first {
		t.Fatalf("a rotated key was not picked up after the TTL: %v", err)
	}
	if _, err := clients.For(ctx, "other", ref); err == nil || strings.Contains(err.Error(), "sk_two") {
		t.Fatalf("another namespace's object used the account (or the key leaked): %v", err)
	}
}

// Reconciles of one account run in parallel: every one gets the same client (run with -race).
func TestClientsAreSafeForParallelReconciles(t *testing.T) {
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "key", Namespace: "shop"}, Data: map[string][]byte{"k": []byte("sk_one")}}
	acct := &billingv1alpha1.DodoAccount{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "shop", UID: "u1", Generation: 1},
		Spec: billingv1alpha1.DodoAccountSpec{BaseURL: "http://127.0.0.1:1",
			APIKeySecretRef: billingv1alpha1.SecretKeyReference{Name: "key", Key: "k"}}}
	clock := clocktesting.NewFakeClock(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC))
	clients := &Clients{Reader: world(t, secret, acct), Clock: clock}
	ref := &billingv1alpha1.AccountReference{Kind: billingv1alpha1.AccountKindNamespaced, Name: "a"}
	got := make(chan any, 8*20)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				c, err := clients.For(context.Background(), "shop", ref)
				if err != nil {
					got <- err
					return
				}
				got <- c
				clock.Step(5 * time.Second) // past the TTL now and then: the Secret is read again
			}
		}()
	}
	wg.Wait()
	close(got)
	var first any
	for c := range got {
		if err, ok := c.(error); ok {
			t.Fatal(err)
		}
		if first == nil {
			first = c
		} else if c != first {
			t.Fatal("one account got two clients (two budgets) although its spec and key did not change")
		}
	}
}
