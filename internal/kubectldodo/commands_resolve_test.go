package kubectldodo

import (
	"errors"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

// resolution is the charge's resolve-attempt annotation as stored.
func (w *world) resolution() string {
	w.t.Helper()
	charge := &billingv1alpha1.OnDemandCharge{}
	w.get(charge, "usage-2026-11")
	return charge.Annotations[billingv1alpha1.AnnotationResolveAttempt]
}

func TestResolveChargeWritesOnlyAfterConfirmation(t *testing.T) {
	w := newWorld(t)
	w.create(paymentUnknown())
	args := []string{"resolve", "charge", "usage-2026-11", "--payment", "pay_x2"}

	for _, stdin := range []string{"", "no\n", "y\n"} {
		out, _, err := w.run(stdin, args...)
		if err == nil || !strings.Contains(err.Error(), "not confirmed") {
			t.Fatalf("stdin %q: err = %v", stdin, err)
		}
		t.Logf("stdin %q:\n$ kubectl dodo %s\n%s\nerror: %v", stdin, strings.Join(args, " "), out, err)
		mustContain(t, out, "[ok    ] Stalled=True with reason PaymentOutcomeUnknown", "[ok    ] pay_x2 is one of the IDs",
			"resolve-attempt=2:pay_x2", "Type yes to set")
		if got := w.resolution(); got != "" {
			t.Fatalf("stdin %q: written without confirmation: %q", stdin, got)
		}
	}
	resolves(t, w, "yes\n", "2:pay_x2", args, "Done: set billing.dodo-operator.io/resolve-attempt=2:pay_x2")
}

// resolves runs the command with stdin, which must succeed, show every text and leave the
// charge's resolve-attempt annotation at want.
func resolves(t *testing.T, w *world, stdin, want string, args []string, texts ...string) {
	t.Helper()
	out, _, err := w.run(stdin, args...)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, out, texts...)
	if got := w.resolution(); got != want {
		t.Fatalf("annotation = %q, want %q", got, want)
	}
}

func TestResolveRefusesWhenACheckFailsEvenWithYes(t *testing.T) {
	w := newWorld(t)
	w.create(paymentUnknown())
	w.create(onHoldSubscription())
	cases := [][]string{
		{"resolve", "charge", "usage-2026-11", "--payment", "pay_unrelated", "--yes"}, // not among the lookup's matches
		{"resolve", "dsub", "acme-pro", "--adopt", "sub_acme1", "--yes"},              // not stalled: it manages one
	}
	for _, args := range cases {
		out, _, err := w.run("yes\n", args...)
		if err == nil || !strings.Contains(err.Error(), "refusing to write") || !strings.Contains(out, "[FAILED]") {
			t.Errorf("%v: err = %v\n%s", args, err, out)
		}
	}
	if got := w.resolution(); got != "" {
		t.Errorf("charge annotation written: %q", got)
	}
	sub := &billingv1alpha1.Subscription{}
	w.get(sub, "acme-pro")
	if sub.Spec.Adopt != nil {
		t.Errorf("spec.adopt written: %+v", sub.Spec.Adopt)
	}
	if _, _, err := w.run("", "resolve", "charge", "usage-2026-11", "--payment", "pay_x2", "--no-payment"); err == nil {
		t.Error("both --payment and --no-payment accepted")
	}
}

func TestResolveNoPaymentWritesNone(t *testing.T) {
	w := newWorld(t)
	w.create(paymentUnknown())
	resolves(t, w, "", "2:none", []string{"resolve", "odc", "usage-2026-11", "--no-payment", "--yes"}, "MAKES IT AGAIN")
}

func TestResolveSubscription(t *testing.T) {
	w := newWorld(t)
	w.create(createUnknown())
	holder := onHoldSubscription2()
	holder.Status.SubscriptionID = "sub_a1"
	w.create(holder)

	out, _, err := w.run("", "resolve", "sub", "acme-pro", "--adopt", "sub_a1", "--yes")
	if err == nil || !strings.Contains(out, "[FAILED] no other Subscription records or adopts sub_a1 (found: "+w.ns+"/acme-held)") {
		t.Fatalf("adopting an ID another object holds: %v\n%s", err, out)
	}
	if _, _, err := w.run("", "resolve", "sub", "acme-pro", "--adopt", "sub_b2", "--yes"); err != nil {
		t.Fatal(err)
	}
	sub := &billingv1alpha1.Subscription{}
	w.get(sub, "acme-pro")
	if sub.Spec.Adopt == nil || sub.Spec.Adopt.SubscriptionID != "sub_b2" {
		t.Fatalf("spec.adopt = %+v", sub.Spec.Adopt)
	}
	// spec.adopt is set now: the way out is taken, and resolve refuses to take another.
	if _, _, err := w.run("", "resolve", "sub", "acme-pro", "--retry-lookup", "--yes"); err == nil {
		t.Error("a second resolution was written after the first")
	}
}

func TestResolveRetryLookup(t *testing.T) {
	w := newWorld(t)
	w.create(createUnknown())
	out, _, err := w.run("yes\n", "resolve", "subscription", "acme-pro", "--retry-lookup")
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, out, "It creates one only if that lookup")
	sub := &billingv1alpha1.Subscription{}
	w.get(sub, "acme-pro")
	if got := sub.Annotations[billingv1alpha1.AnnotationReconcileRequestedAt]; got != "2026-11-20T09:00:00Z" {
		t.Fatalf("annotation = %q", got)
	}
}

func TestTreeListsTheSubscriptionsCharges(t *testing.T) {
	w := newWorld(t)
	sub := onHoldSubscription()
	sub.Name = "acme-usage"
	w.create(sub)
	mine, other := retryScheduledCharge(), retryScheduledCharge()
	other.Name, other.Spec.SubscriptionRef.Name = "elsewhere", "another-subscription"
	w.create(mine)
	w.create(other)
	out, _, err := w.run("", "tree", "acme-usage")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "Subscription/acme-usage") ||
		!strings.HasPrefix(lines[2], "└─ OnDemandCharge/usage-2026-11") || strings.Contains(out, "elsewhere") {
		t.Fatalf("tree:\n%s", out)
	}
}

// TestWritesFailOnAChangedObject: resolve and refresh write what the person was shown; if
// the object changed since it was read, the write must fail rather than land on a state
// nobody checked.
func TestWritesFailOnAChangedObject(t *testing.T) {
	w := newWorld(t)
	w.create(paymentUnknown())
	shown := &billingv1alpha1.OnDemandCharge{}
	w.get(shown, "usage-2026-11")
	changed := shown.DeepCopy()
	changed.Annotations = map[string]string{"example.com/touched": "yes"}
	if err := w.c.Update(w.ctx, changed); err != nil {
		t.Fatal(err)
	}
	err := setAnnotations(w.ctx, w.c, shown, map[string]string{billingv1alpha1.AnnotationResolveAttempt: "2:none"})
	if err == nil || !apierrors.IsConflict(errors.Unwrap(err)) {
		t.Fatalf("write on a stale copy: %v", err)
	}
	if got := w.resolution(); got != "" {
		t.Fatalf("annotation written: %q", got)
	}
}
