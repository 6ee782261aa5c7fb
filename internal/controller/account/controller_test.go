package account

import (
	"context"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/accounts"
	"github.com/dodo-operator/dodo-operator/test/controllertest"
	"github.com/dodo-operator/dodo-operator/test/eventstest"
)

// TestTwoAccountsAreEachReadyWithTheirBusiness: two keys, two simulated businesses; each
// account names its own, and the wrong key of a third leaves the first two Ready.
func TestTwoAccountsAreEachReadyWithTheirBusiness(t *testing.T) {
	h := newHarness(t)
	_, clientA := h.sim("bus_alpha", "sk_test_alpha")
	_, clientB := h.sim("bus_beta", "sk_test_beta")
	h.secret("alpha-key", map[string]string{"apiKey": "sk_test_alpha"})
	h.secret("beta-key", map[string]string{"apiKey": "sk_test_beta"})
	h.account("alpha", clientA.BaseURL())
	h.account("beta", clientB.BaseURL())

	for _, tt := range []struct{ name, business, url string }{
		{"alpha", "bus_alpha", clientA.BaseURL()}, {"beta", "bus_beta", clientB.BaseURL()},
	} {
		if res := h.mustRun(tt.name); res.RequeueAfter != h.r.Options.RecheckInterval {
			t.Errorf("%s: requeue after %v, want the recheck interval", tt.name, res.RequeueAfter)
		}
		acct := h.expectReady(tt.name, "True", ReasonCredentialsVerified)
		st := acct.Status
		if st.BusinessID != tt.business || st.BaseURL != tt.url || len(st.Brands) != 1 || st.LastCheckedAt == nil ||
			st.ObservedGeneration != acct.Generation {
			t.Errorf("%s status = %+v", tt.name, st)
		}
		if msg := meta.FindStatusCondition(st.Conditions, billingv1alpha1.ConditionReady).Message; !strings.Contains(msg, tt.business) ||
			!strings.Contains(msg, tt.url) {
			t.Errorf("%s: Ready message %q names neither business nor base URL", tt.name, msg)
		}
	}

	h.secret("gamma-key", map[string]string{"apiKey": "sk_test_WRONG_KEY"})
	h.account("gamma", clientA.BaseURL())
	for range 2 {
		if res := h.mustRun("gamma"); res.RequeueAfter != h.r.Options.NotReadyRecheck {
			t.Errorf("gamma: requeue after %v, want the short recheck", res.RequeueAfter)
		}
	}
	gamma := h.expectReady("gamma", "False", billingv1alpha1.ReasonCredentialsInvalid)
	told := h.events()
	if eventstest.Count(told, billingv1alpha1.ReasonCredentialsInvalid) != 1 {
		t.Errorf("want one CredentialsInvalid event for two failed checks, got %q", told)
	}
	msg := meta.FindStatusCondition(gamma.Status.Conditions, billingv1alpha1.ConditionReady).Message
	if strings.Contains(msg+strings.Join(told, " "), "WRONG_KEY") || !strings.Contains(msg, "gamma-key") {
		t.Errorf("the message must name the Secret, never the key: %q", msg)
	}
	h.mustRun("alpha")
	h.expectReady("alpha", "True", ReasonCredentialsVerified)
}

// TestMissingSecretWaitsAndRecovers: no Secret is AccountSecretNotFound with a short
// recheck (Secrets are not watched); once it exists the next check is Ready.
func TestMissingSecretWaitsAndRecovers(t *testing.T) {
	h := newHarness(t)
	_, api := h.sim("bus_late", "sk_test_late")
	h.account("late", api.BaseURL())
	if res := h.mustRun("late"); res.RequeueAfter != h.r.Options.NotReadyRecheck {
		t.Errorf("requeue after %v, want the short recheck", res.RequeueAfter)
	}
	acct := h.expectReady("late", "False", accounts.ReasonSecretNotFound)
	if acct.Status.LastCheckedAt != nil {
		t.Error("nothing was checked, yet lastCheckedAt is set")
	}
	h.secret("late-key", map[string]string{"apiKey": "sk_test_late"})
	h.mustRun("late")
	h.expectReady("late", "True", ReasonCredentialsVerified)
}

// TestInvalidBaseURLIsAccountInvalid: a spec that cannot make a client says so.
func TestUnreachableAPIIsUnreachable(t *testing.T) {
	h := newHarness(t)
	h.secret("void-key", map[string]string{"apiKey": "sk_test_void"})
	h.account("void", "http://127.0.0.1:1")
	h.mustRun("void")
	h.expectReady("void", "False", ReasonUnreachable)
}

// TestClusterAccountIsChecked: a ClusterDodoAccount reads its key from secretNamespace.
func TestClusterAccountIsChecked(t *testing.T) {
	h := newHarness(t)
	_, api := h.sim("bus_shared", "sk_test_shared")
	h.secret("shared-key", map[string]string{"apiKey": "sk_test_shared"})
	name := "shared-" + rand.String(5)
	acct := &billingv1alpha1.ClusterDodoAccount{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: billingv1alpha1.ClusterDodoAccountSpec{SecretNamespace: h.NS,
			NamespaceSelector: &metav1.LabelSelector{},
			DodoAccountSpec: billingv1alpha1.DodoAccountSpec{BaseURL: api.BaseURL(),
				APIKeySecretRef: billingv1alpha1.SecretKeyReference{Name: "shared-key", Key: "apiKey"}}}}
	if err := env.Client.Create(h.Ctx, acct); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(h.Ctx, acct) })
	key := accounts.Key{Kind: billingv1alpha1.AccountKindCluster, Name: name}
	if _, err := h.r.ReconcileAccount(h.Ctx, key); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Get(h.Ctx, client.ObjectKey{Name: name}, acct); err != nil {
		t.Fatal(err)
	}
	controllertest.ExpectCondition(t, acct.Status.Conditions, billingv1alpha1.ConditionReady, "True", ReasonCredentialsVerified)
	if acct.Status.BusinessID != "bus_shared" {
		t.Errorf("businessID = %q", acct.Status.BusinessID)
	}
}

// TestDeletedAccountIsForgotten: a reconcile of an account that is gone does nothing.
func TestDeletedAccountIsForgotten(t *testing.T) {
	h := newHarness(t)
	res, err := h.run("never-existed")
	if err != nil || !res.IsZero() {
		t.Fatalf("got %+v, %v", res, err)
	}
}

// racingReceiver writes status.lastWebhookAt (as the webhook receiver does) just before
// the reconcile's first status patch, so that patch conflicts.
type racingReceiver struct {
	client.Client
	raced bool
}

func (c *racingReceiver) Status() client.SubResourceWriter {
	return &racingStatus{SubResourceWriter: c.Client.Status(), c: c}
}

type racingStatus struct {
	client.SubResourceWriter
	c *racingReceiver
}

func (s *racingStatus) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	if !s.c.raced {
		s.c.raced = true
		fresh := &billingv1alpha1.DodoAccount{}
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(obj), fresh); err != nil {
			return err
		}
		fresh.Status.LastWebhookAt = &metav1.Time{Time: controllertest.T0}
		if err := env.Client.Status().Update(ctx, fresh); err != nil {
			return err
		}
	}
	return s.SubResourceWriter.Patch(ctx, obj, patch, opts...)
}

// TestStatusWriteKeepsTheReceiversWrite: the check's status is laid over a write the
// receiver made meanwhile, not dropped for another read of Dodo.
func TestStatusWriteKeepsTheReceiversWrite(t *testing.T) {
	h := newHarness(t)
	_, api := h.sim("bus_race", "sk_test_race")
	h.secret("race-key", map[string]string{"apiKey": "sk_test_race"})
	h.account("race", api.BaseURL())
	racing := &racingReceiver{Client: env.Client}
	h.r.Client = racing
	if res := h.mustRun("race"); res.RequeueAfter != h.r.Options.RecheckInterval || !racing.raced {
		t.Fatalf("requeue after %v (raced %v), want the recheck interval", res.RequeueAfter, racing.raced)
	}
	acct := h.expectReady("race", "True", ReasonCredentialsVerified)
	if acct.Status.LastWebhookAt == nil || acct.Status.BusinessID != "bus_race" {
		t.Fatalf("status = %+v: both writes must be kept", acct.Status)
	}
}
