package webhookreceiver

import (
	"errors"
	"net/http"
	"testing"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// twoAccounts is a receiver with accounts a and b (webhook secrets secretA and secretB) and
// one Subscription in each, in-a and in-b.
func twoAccounts(t *testing.T) (f *fixture, refA, refB *billingv1alpha1.AccountReference) {
	t.Helper()
	f = newFixture(t, withAccounts)
	refA = f.createAccount("a", &billingv1alpha1.AccountWebhook{SecretRef: f.createSecret("hook-a", secretA)})
	refB = f.createAccount("b", &billingv1alpha1.AccountWebhook{SecretRef: f.createSecret("hook-b", secretB)})
	f.createSubscription("in-a", refA)
	f.createSubscription("in-b", refB)
	return f, refA, refB
}

// TestAccountPathAppliesOnlyToTheAccountsObjects: Dodo IDs are unique within one business
// only, so three Subscriptions (accounts A and B, and the default account) may record the
// same subscription ID. A delivery verified with an account's secret on its path writes
// that account's object only, and one naming another account's object writes nothing.
func TestAccountPathAppliesOnlyToTheAccountsObjects(t *testing.T) {
	f, refA, refB := twoAccounts(t)
	f.createSubscription("in-default")
	for _, name := range []string{"in-a", "in-b", "in-default"} {
		f.recordSubscriptionID(name, "sub_same")
	}
	event := func(status dodo.SubscriptionStatus, typ dodo.EventType) []byte {
		return envelope(t, typ, f.clock.Now(), subscriptionData("sub_same", status, nil))
	}
	providers := func() [3]string {
		return [3]string{f.subscription("in-a").Status.ProviderStatus, f.subscription("in-b").Status.ProviderStatus,
			f.subscription("in-default").Status.ProviderStatus}
	}

	f.mustDeliverTo(f.pathOf(refA), secretA, "msg_a", event(dodo.SubscriptionStatusOnHold, dodo.EventSubscriptionOnHold), http.StatusOK)
	assertEqual(t, "after A's delivery", providers(), [3]string{"on_hold", "pending", "pending"})
	f.mustDeliverTo(f.pathOf(refB), secretB, "msg_b", event(dodo.SubscriptionStatusActive, dodo.EventSubscriptionActive), http.StatusOK)
	assertEqual(t, "after B's delivery", providers(), [3]string{"on_hold", "active", "pending"})
	f.mustDeliver("msg_default", event(dodo.SubscriptionStatusPaused, dodo.EventSubscriptionPaused), http.StatusOK)
	assertEqual(t, "after the default path's delivery", providers(), [3]string{"on_hold", "active", "paused"})

	// Signed with A's secret, sent to A's path, naming B's object by its stamp and an ID
	// only B records: nothing is written, the answer is 200 (see outcomeOtherAccount).
	onlyB := f.createSubscription("only-b", refB)
	f.recordSubscriptionID("only-b", "sub_only_b")
	cancelled := envelope(t, dodo.EventSubscriptionCancelled, f.clock.Now(),
		subscriptionData("sub_only_b", dodo.SubscriptionStatusCancelled, stampOf(onlyB)))
	before := f.resourceVersions("in-a", "in-b", "in-default", "only-b")
	f.mustDeliverTo(f.pathOf(refA), secretA, "msg_cross", cancelled, http.StatusOK)
	f.mustDeliver("msg_cross", cancelled, http.StatusOK) // the default path's secret, the default path
	assertEqual(t, "other_account", f.count(string(dodo.EventSubscriptionCancelled), outcomeOtherAccount), 2.0)
	assertEqual(t, "nothing written", fmtMap(f.resourceVersions("in-a", "in-b", "in-default", "only-b")), fmtMap(before))
	f.mustDeliverTo(f.pathOf(refB), secretB, "msg_cross", cancelled, http.StatusOK)
	assertEqual(t, "B's own path applies it", f.subscription("only-b").Status.ProviderStatus, "cancelled")
	assertNoSecretInLogs(t, f, secretA, secretB)
}

// TestAccountChargesByPaymentAndStamp: charges of two accounts recording the same payment
// ID are told apart by the index, and a charge whose status records no account yet goes by
// its Subscription's.
func TestAccountChargesByPaymentAndStamp(t *testing.T) {
	f, refA, refB := twoAccounts(t)
	f.recordSubscriptionID("in-a", "sub_a")
	f.recordSubscriptionID("in-b", "sub_b")
	f.createCharge("charge-a", "in-a", firstAttempt("pay_same"))
	f.createCharge("charge-b", "in-b", firstAttempt("pay_same"))
	f.waitInIndex(&billingv1alpha1.OnDemandChargeList{}, IndexAttemptPaymentID, indexValue(accountKey(f, refB), "pay_same"))

	paid := envelope(t, dodo.EventPaymentSucceeded, f.clock.Now(), paymentData("pay_same", "", dodo.PaymentStatusSucceeded, "", nil))
	f.mustDeliverTo(f.pathOf(refA), secretA, "msg_paid", paid, http.StatusOK)
	assertEqual(t, "A's attempt", f.charge("charge-a").Status.Attempts[0].Outcome, billingv1alpha1.AttemptSucceeded)
	assertEqual(t, "B's attempt", f.charge("charge-b").Status.Attempts[0].Outcome, billingv1alpha1.AttemptPending)

	// A charge of B before the controller recorded its subscription and account.
	fresh := f.createCharge("fresh-b", "in-b")
	f.addAttempt("fresh-b", firstAttempt(""))
	stamped := envelope(t, dodo.EventPaymentFailed, f.clock.Now(),
		paymentData("pay_fresh", "", dodo.PaymentStatusFailed, "CARD_DECLINED", chargeStampFor(fresh, 0)))
	rv := f.charge("fresh-b").ResourceVersion
	f.mustDeliverTo(f.pathOf(refA), secretA, "msg_fresh", stamped, http.StatusOK)
	assertEqual(t, "untouched by A", f.charge("fresh-b").ResourceVersion, rv)
	assertEqual(t, "other_account", f.count(string(dodo.EventPaymentFailed), outcomeOtherAccount), 1.0)
	f.mustDeliverTo(f.pathOf(refB), secretB, "msg_fresh", stamped, http.StatusOK)
	assertEqual(t, "applied by B", f.charge("fresh-b").Status.Attempts[0].Outcome, billingv1alpha1.AttemptFailed)
}

// TestAccountPathRefusals: wrong secrets, unknown accounts and accounts without a usable
// secret are refused and counted, and write nothing.
func TestAccountPathRefusals(t *testing.T) {
	f := newFixture(t, withAccounts)
	refA := f.createAccount("a", &billingv1alpha1.AccountWebhook{SecretRef: f.createSecret("hook-a", secretA)})
	bare := f.createAccount("bare", nil)
	lost := f.createAccount("lost", &billingv1alpha1.AccountWebhook{SecretRef: &billingv1alpha1.SecretKeyReference{Name: "gone", Key: "whsec"}})
	garbled := f.createAccount("garbled", &billingv1alpha1.AccountWebhook{SecretRef: f.createSecret("hook-garbled", "not-a-whsec")})
	obj := f.createSubscription("in-a", refA)
	f.recordSubscriptionID("in-a", "sub_a")
	body := envelope(t, dodo.EventSubscriptionOnHold, f.clock.Now(), subscriptionData("sub_a", dodo.SubscriptionStatusOnHold, stampOf(obj)))
	for name, tc := range map[string]struct {
		path, secret string
		want         int
		outcome      outcome
	}{
		"another account's secret":          {f.pathOf(refA), secretB, http.StatusUnauthorized, outcomeRejectedSignature},
		"the default secret":                {f.pathOf(refA), testSecret, http.StatusUnauthorized, outcomeRejectedSignature},
		"an account's secret, default path": {"/dodo/webhooks", secretA, http.StatusUnauthorized, outcomeRejectedSignature},
		"no such DodoAccount":               {"/dodo/webhooks/namespaces/" + f.ns + "/nope", secretA, http.StatusNotFound, outcomeUnknownAccount},
		"no such ClusterDodoAccount":        {"/dodo/webhooks/cluster/" + f.ns + "-nope", secretA, http.StatusNotFound, outcomeUnknownAccount},
		"not an account path":               {"/dodo/webhooks/a", secretA, http.StatusNotFound, outcomeUnknownAccount},
		"no webhook.secretRef":              {f.pathOf(bare), secretA, http.StatusUnauthorized, outcomeNoAccountSecret},
		"its Secret missing":                {f.pathOf(lost), secretA, http.StatusUnauthorized, outcomeNoAccountSecret},
		"its Secret not a whsec_ secret":    {f.pathOf(garbled), secretA, http.StatusUnauthorized, outcomeNoAccountSecret},
	} {
		t.Run(name, func(t *testing.T) {
			before := f.count(typeUnknown, tc.outcome)
			assertEqual(t, "status code", f.deliverTo(tc.path, tc.secret, "msg_refused", body), tc.want)
			assertEqual(t, "counted", f.count(typeUnknown, tc.outcome), before+1)
		})
	}
	assertEqual(t, "nothing written", f.subscription("in-a").Status.ProviderStatus, "pending")
	assertEqual(t, "no lastWebhookAt for refusals", f.accountStatus("a").LastWebhookAt == nil, true)

	// Without an account reader (installs before accounts), account paths do not exist.
	plain := newFixture(t)
	assertEqual(t, "account path without accounts", serveAt(plain.receiver, f.pathOf(refA),
		signedHeader(t, secretA, "msg_plain", plain.clock.Now(), body), body).Code, http.StatusNotFound)
	assertEqual(t, "the path itself is still the default path", plain.deliverTo("/dodo/webhooks/", testSecret, "msg_slash", body),
		http.StatusOK)
	assertNoSecretInLogs(t, f, secretA, secretB)
}

// TestAccountsOnlyReceiver: without a secret of its own the receiver serves the accounts'
// paths, and the default path is unknown (404), never verified with an empty secret list.
func TestAccountsOnlyReceiver(t *testing.T) {
	f := newFixture(t, withAccounts, func(o *Options) { o.Secrets, o.NoDefaultAccount = Secrets{}, true })
	refA := f.createAccount("a", &billingv1alpha1.AccountWebhook{SecretRef: f.createSecret("hook-a", secretA)})
	obj := f.createSubscription("in-a", refA)
	f.recordSubscriptionID("in-a", "sub_a")
	body := envelope(t, dodo.EventSubscriptionOnHold, f.clock.Now(), subscriptionData("sub_a", dodo.SubscriptionStatusOnHold, stampOf(obj)))
	before := f.count(typeUnknown, outcomeUnknownAccount)
	assertEqual(t, "default path", f.deliverTo("/dodo/webhooks", testSecret, "msg_default", body), http.StatusNotFound)
	assertEqual(t, "counted", f.count(typeUnknown, outcomeUnknownAccount), before+1)
	f.mustDeliverTo(f.pathOf(refA), secretA, "msg_a", body, http.StatusOK)
	assertEqual(t, "applied by A", f.subscription("in-a").Status.ProviderStatus, "on_hold")
	if _, err := LoadSecrets(func(string) string { return "" }, "", ""); !errors.Is(err, ErrNoDefaultSecret) {
		t.Fatalf("LoadSecrets without a secret: %v, want ErrNoDefaultSecret", err)
	}
}
