package subscription

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/accounts"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
	"github.com/dodo-operator/dodo-operator/internal/simulator/simtest"
)

// twoAccounts is a harness with two DodoAccounts, a and b, each on its own simulator with
// its own key; the operator's own account (no accountRef) is simulator a's.
type twoAccounts struct {
	*harness
	simB *simulator.Simulator
	urlA string
	urlB string
}

const keyB = "sk_test_account_b"

func newTwoAccounts(t *testing.T) *twoAccounts {
	h := newHarness(t)
	simB, clientB := simtest.Start(t, simulator.Config{APIKeys: []string{keyB}, Clock: h.SimClock, WallClock: h.SimClock})
	w := &twoAccounts{harness: h, simB: simB, urlA: h.Client.BaseURL(), urlB: clientB.BaseURL()}
	h.reconcile.Accounts = &accounts.Clients{Reader: env.Client}
	w.account("a", w.urlA, simtest.APIKey)
	w.account("b", w.urlB, keyB)
	return w
}

// account creates a DodoAccount named name reaching baseURL with key (in a Secret).
func (w *twoAccounts) account(name, baseURL, key string) {
	w.T.Helper()
	w.secret("key-"+name, key)
	acct := &billingv1alpha1.DodoAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: w.NS},
		Spec: billingv1alpha1.DodoAccountSpec{BaseURL: baseURL,
			APIKeySecretRef: billingv1alpha1.SecretKeyReference{Name: "key-" + name, Key: "api-key"}}}
	if err := env.Client.Create(w.Ctx, acct); err != nil {
		w.T.Fatal(err)
	}
}

func (w *twoAccounts) secret(name, key string) {
	w.T.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: w.NS}, StringData: map[string]string{"api-key": key}}
	if err := env.Client.Create(w.Ctx, s); err != nil {
		w.T.Fatal(err)
	}
}

func inAccount(kind billingv1alpha1.AccountKind, name string) func(*billingv1alpha1.Subscription) {
	return func(s *billingv1alpha1.Subscription) {
		s.Spec.AccountRef = &billingv1alpha1.AccountReference{Kind: kind, Name: name}
	}
}

// stampedIn counts the subscriptions sim holds for the object.
func stampedIn(sim *simulator.Simulator, sub *billingv1alpha1.Subscription) int {
	n := 0
	for _, s := range sim.State().Subscriptions {
		if s.Metadata["k8s_uid"] == string(sub.UID) {
			n++
		}
	}
	return n
}

func TestEachSubscriptionIsCreatedInItsOwnAccount(t *testing.T) {
	w := newTwoAccounts(t)
	for _, c := range []struct {
		name     string
		mutate   []func(*billingv1alpha1.Subscription)
		inA, inB int
	}{
		{"in-a", []func(*billingv1alpha1.Subscription){inAccount(billingv1alpha1.AccountKindNamespaced, "a")}, 1, 0},
		{"in-b", []func(*billingv1alpha1.Subscription){inAccount(billingv1alpha1.AccountKindNamespaced, "b")}, 0, 1},
		{"default", nil, 1, 0},
	} {
		w.subscription(c.name, c.mutate...)
		w.settle(c.name)
		sub := w.get(c.name)
		if sub.Status.SubscriptionID == "" {
			t.Fatalf("%s: no subscription ID; conditions %+v", c.name, sub.Status.Conditions)
		}
		if a, b := stampedIn(w.Sim, sub), stampedIn(w.simB, sub); a != c.inA || b != c.inB {
			t.Fatalf("%s: %d in account a, %d in account b; want %d and %d", c.name, a, b, c.inA, c.inB)
		}
		w.expectCondition(sub, billingv1alpha1.ConditionSynced, "True", billingv1alpha1.ReasonReconcileSuccess)
	}
}

func TestAWrongKeyStallsOnlyItsAccountsSubscriptions(t *testing.T) {
	w := newTwoAccounts(t)
	w.account("wrong", w.urlB, "sk_test_not_a_key")
	w.subscription("good", inAccount(billingv1alpha1.AccountKindNamespaced, "b"))
	w.subscription("bad", inAccount(billingv1alpha1.AccountKindNamespaced, "wrong"))
	if _, err := w.run("bad"); err == nil {
		t.Fatal("a refused key reconciled without an error")
	}
	w.settle("good")
	bad := w.get("bad")
	w.expectCondition(bad, billingv1alpha1.ConditionSynced, "False", billingv1alpha1.ReasonCredentialsInvalid)
	if msg := meta.FindStatusCondition(bad.Status.Conditions, billingv1alpha1.ConditionSynced).Message; !strings.Contains(msg, "DodoAccount/"+w.NS+"/wrong") ||
		strings.Contains(msg, "sk_test_not_a_key") {
		t.Fatalf("message %q: want the account named and never the key", msg)
	}
	if stampedIn(w.simB, bad) != 0 || bad.Status.SubscriptionID != "" {
		t.Fatalf("the refused key created something: %+v", bad.Status)
	}
	good := w.get("good")
	w.expectCondition(good, billingv1alpha1.ConditionSynced, "True", billingv1alpha1.ReasonReconcileSuccess)
	if stampedIn(w.simB, good) != 1 {
		t.Fatal("the other account's subscription was not created")
	}
}

func TestAMissingAccountOrSecretWaitsWithoutCalling(t *testing.T) {
	w := newTwoAccounts(t)
	if err := env.Client.Create(w.Ctx, &billingv1alpha1.DodoAccount{ObjectMeta: metav1.ObjectMeta{Name: "nosecret", Namespace: w.NS},
		Spec: billingv1alpha1.DodoAccountSpec{BaseURL: w.urlB,
			APIKeySecretRef: billingv1alpha1.SecretKeyReference{Name: "absent", Key: "api-key"}}}); err != nil {
		t.Fatal(err)
	}
	for name, reason := range map[string]string{"ghost": accounts.ReasonAccountNotFound, "nosecret": accounts.ReasonSecretNotFound} {
		w.subscription("uses-"+name, inAccount(billingv1alpha1.AccountKindNamespaced, name))
		before := w.api.snapshot()
		res, err := w.run("uses-" + name)
		if err != nil || res.RequeueAfter != accountRecheck {
			t.Fatalf("%s: result %+v, err %v; want a recheck after %s", name, res, err, accountRecheck)
		}
		sub := w.get("uses-" + name)
		w.expectCondition(sub, billingv1alpha1.ConditionSynced, "False", reason)
		w.expectCondition(sub, billingv1alpha1.ConditionReady, "False", reason)
		if len(w.simB.State().Subscriptions) != 0 || len(w.api.snapshot()) != len(before) {
			t.Fatalf("%s: a call was made while the account could not be used", name)
		}
	}
}

func TestAClusterAccountServesOnlyTheNamespacesItsSelectorAdmits(t *testing.T) {
	w := newTwoAccounts(t)
	name := "shared-" + rand.String(5)
	w.secret("cluster-key", keyB)
	acct := &billingv1alpha1.ClusterDodoAccount{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: billingv1alpha1.ClusterDodoAccountSpec{SecretNamespace: w.NS,
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"billing-team": name}},
			DodoAccountSpec: billingv1alpha1.DodoAccountSpec{BaseURL: w.urlB,
				APIKeySecretRef: billingv1alpha1.SecretKeyReference{Name: "cluster-key", Key: "api-key"}}}}
	if err := env.Client.Create(w.Ctx, acct); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(w.Ctx, acct) })
	w.subscription("shared", inAccount(billingv1alpha1.AccountKindCluster, name))
	w.settle("shared")
	w.expectCondition(w.get("shared"), billingv1alpha1.ConditionSynced, "False", accounts.ReasonAccountNotAllowed)
	if len(w.simB.State().Subscriptions) != 0 {
		t.Fatal("created through an account that does not admit the namespace")
	}

	ns := &corev1.Namespace{}
	if err := env.Client.Get(w.Ctx, client.ObjectKey{Name: w.NS}, ns); err != nil {
		t.Fatal(err)
	}
	ns.Labels = map[string]string{"billing-team": name}
	if err := env.Client.Update(w.Ctx, ns); err != nil {
		t.Fatal(err)
	}
	w.settle("shared")
	sub := w.get("shared")
	w.expectCondition(sub, billingv1alpha1.ConditionSynced, "True", billingv1alpha1.ReasonReconcileSuccess)
	if stampedIn(w.simB, sub) != 1 {
		t.Fatal("not created in the cluster account once admitted")
	}
}
