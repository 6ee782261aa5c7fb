package kubectldodo

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

// world is one command test's namespace on the real API server.
type world struct {
	t   *testing.T
	ctx context.Context
	c   client.Client
	ns  string
	cfg string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	e := apiServer(t)
	w := &world{t: t, ctx: context.Background(), c: e.Client, ns: "kd-" + rand.String(6), cfg: e.Kubeconfig}
	if err := w.c.Create(w.ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: w.ns}}); err != nil {
		t.Fatal(err)
	}
	return w
}

// run runs `kubectl dodo` in process, as a user would, against the API server.
func (w *world) run(stdin string, args ...string) (string, string, error) {
	var out, errOut bytes.Buffer
	streams := genericiooptions.IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut}
	cmd := newCommand(streams, func() time.Time { return now })
	cmd.SetArgs(append([]string{"--kubeconfig", w.cfg, "-n", w.ns}, args...))
	err := cmd.ExecuteContext(w.ctx)
	return out.String(), errOut.String(), err
}

// create stores the object and then its status, as the operator would have written it.
func (w *world) create(obj client.Object) {
	w.t.Helper()
	obj.SetNamespace(w.ns)
	obj.SetUID("")
	var status client.Object
	switch o := obj.(type) {
	case *billingv1alpha1.Subscription:
		status = o.DeepCopy()
	case *billingv1alpha1.OnDemandCharge:
		status = o.DeepCopy()
	}
	if err := w.c.Create(w.ctx, obj); err != nil {
		w.t.Fatal(err)
	}
	status.SetResourceVersion(obj.GetResourceVersion())
	status.SetUID(obj.GetUID())
	status.SetGeneration(obj.GetGeneration())
	if err := w.c.Status().Update(w.ctx, status); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) event(about client.Object, uid string, eventType, reason, message string, last time.Duration) {
	w.t.Helper()
	e := &corev1.Event{ObjectMeta: metav1.ObjectMeta{GenerateName: about.GetName() + "-", Namespace: w.ns},
		InvolvedObject: corev1.ObjectReference{Kind: "Subscription", APIVersion: billingv1alpha1.GroupVersion.String(),
			Namespace: w.ns, Name: about.GetName(), UID: typesUID(uid)},
		Type: eventType, Reason: reason, Message: message, Count: 1, LastTimestamp: *at(last), FirstTimestamp: *at(last),
		Source: corev1.EventSource{Component: "dodo-operator"}}
	if err := w.c.Create(w.ctx, e); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) get(obj client.Object, name string) {
	w.t.Helper()
	if err := w.c.Get(w.ctx, client.ObjectKey{Namespace: w.ns, Name: name}, obj); err != nil {
		w.t.Fatal(err)
	}
}

func mustContain(t *testing.T, got string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}

func TestStatusSubscriptionOnTheAPIServer(t *testing.T) {
	w := newWorld(t)
	sub := onHoldSubscription()
	w.create(sub)
	w.event(sub, string(sub.UID), "Normal", "SubscriptionActive", "Dodo reports the subscription active.", -30*24*time.Hour)
	w.event(sub, string(sub.UID), "Warning", "SubscriptionOnHold", "Dodo put the subscription on hold: a payment failed.", -2*time.Hour)
	w.event(sub, "uid-of-an-earlier-object", "Warning", "FromAnEarlierObject", "not this object's", -time.Hour)

	out, _, err := w.run("", "status", "dsub", "acme-pro")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("kubectl dodo status dsub acme-pro:\n%s", out)
	mustContain(t, out, "Subscription "+w.ns+"/acme-pro", "Status:           on_hold", "Last webhook:     subscription.on_hold",
		"30d ago  Normal   SubscriptionActive", "2h ago   Warning  SubscriptionOnHold", "Next action (you)")
	if strings.Contains(out, "FromAnEarlierObject") {
		t.Errorf("an event of another object (same name, other UID) is shown:\n%s", out)
	}
	if strings.Index(out, "SubscriptionActive") > strings.Index(out, "SubscriptionOnHold") {
		t.Errorf("events are not oldest first:\n%s", out)
	}
}

func TestStatusChargeOnTheAPIServer(t *testing.T) {
	w := newWorld(t)
	w.create(retryScheduledCharge())
	out, _, err := w.run("", "status", "odc", "usage-2026-11")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("kubectl dodo status odc usage-2026-11:\n%s", out)
	mustContain(t, out, "OnDemandCharge "+w.ns+"/usage-2026-11", "Subscription:     acme-usage (no such Subscription in this namespace)",
		"Next attempt:     2026-11-23T06:00:00Z (in 2d21h)",
		"#1 Failed pay_try1 via Charge, declined INSUFFICIENT_FUNDS", "Ready      False  RetryScheduled",
		"Tell the customer before the next attempt")
	if _, _, err := w.run("", "status", "widget", "x"); err == nil || !strings.Contains(err.Error(), "unknown kind") {
		t.Errorf("an unknown kind: %v", err)
	}
	if _, _, err := w.run("", "status", "charge", "missing"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("a missing object: %v", err)
	}
}

func TestLinkOnTheAPIServer(t *testing.T) {
	w := newWorld(t)
	pending := onHoldSubscription()
	pending.Status.ProviderStatus, pending.Status.PaymentLink = providerPending, "https://test.checkout.example/l/abc"
	pending.Status.PaymentLinkExpiresAt = at(20 * time.Hour)
	w.create(pending)
	w.create(onHoldSubscription2())

	out, errOut, err := w.run("", "link", "acme-pro")
	if err != nil || out != "https://test.checkout.example/l/abc\n" || !strings.Contains(errOut, "expires at 2026-11-21T05:00:00Z") {
		t.Errorf("link = %q, %q, %v", out, errOut, err)
	}
	out, _, err = w.run("", "link", "acme-held")
	if err == nil || out != "" || !strings.Contains(err.Error(), `"paymentMethod":{"new":{"token":"<new token>"}}`) {
		t.Errorf("no link: stdout %q, err %v", out, err)
	}
}

func onHoldSubscription2() *billingv1alpha1.Subscription {
	sub := onHoldSubscription()
	sub.Name = "acme-held"
	return sub
}

func TestRefreshSetsTheAnnotation(t *testing.T) {
	w := newWorld(t)
	w.create(onHoldSubscription())
	w.create(retryScheduledCharge())
	for _, args := range [][]string{{"refresh", "sub", "acme-pro"}, {"refresh", "charge", "usage-2026-11"}} {
		out, _, err := w.run("", args...)
		if err != nil {
			t.Fatal(err)
		}
		mustContain(t, out, "Requested a reconcile", billingv1alpha1.AnnotationReconcileRequestedAt+"=2026-11-20T09:00:00Z")
	}
	sub, charge := &billingv1alpha1.Subscription{}, &billingv1alpha1.OnDemandCharge{}
	w.get(sub, "acme-pro")
	w.get(charge, "usage-2026-11")
	for _, obj := range []client.Object{sub, charge} {
		if got := obj.GetAnnotations()[billingv1alpha1.AnnotationReconcileRequestedAt]; got != "2026-11-20T09:00:00Z" {
			t.Errorf("%s: annotation = %q", obj.GetName(), got)
		}
	}
}
