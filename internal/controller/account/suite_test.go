package account

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/tools/events"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/accounts"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
	"github.com/dodo-operator/dodo-operator/internal/simulator/simtest"
	"github.com/dodo-operator/dodo-operator/test/controllertest"
	"github.com/dodo-operator/dodo-operator/test/eventstest"
	"github.com/dodo-operator/dodo-operator/test/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { testenv.RunMain(m, &env) }

var t0 = time.Date(2026, 11, 2, 13, 10, 0, 0, time.UTC)

// harness is one test's namespace and a reconciler on a fake clock. Simulators are started
// per test (sim), each its own business.
type harness struct {
	t        *testing.T
	ctx      context.Context
	ns       string
	clock    *clocktesting.FakeClock
	recorder *events.FakeRecorder
	r        *Reconciler
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, ctx: context.Background(), ns: "acct-" + rand.String(6),
		clock: clocktesting.NewFakeClock(t0), recorder: events.NewFakeRecorder(100)}
	if err := env.Client.Create(h.ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: h.ns}}); err != nil {
		t.Fatal(err)
	}
	h.r = h.newReconciler()
	return h
}

// newReconciler is a reconciler with fresh clients and no memory: a restarted operator.
// opts are given to every account's payments client.
func (h *harness) newReconciler(opts ...dodo.Option) *Reconciler {
	clients := &accounts.Clients{Reader: env.Client, Clock: h.clock, Options: opts,
		Base: dodo.Config{RateLimit: 1000, Burst: 1000, Timeout: 5 * time.Second, MaxGetRetries: -1}}
	return &Reconciler{Client: env.Client, APIReader: env.Client, Accounts: clients, Recorder: h.recorder,
		Clock: h.clock, Options: Options{}.withDefaults()}
}

// sim starts a simulator of business with apiKey, delivering webhooks in the background.
func (h *harness) sim(business, apiKey string) (*simulator.Simulator, *dodo.Client) {
	h.t.Helper()
	return simtest.Start(h.t, simulator.Config{APIKeys: []string{apiKey}, BusinessID: business}, simtest.Running())
}

func (h *harness) secret(name string, data map[string]string) {
	h.t.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: name}, StringData: data}
	if err := env.Client.Create(h.ctx, s); err != nil {
		h.t.Fatal(err)
	}
}

// account creates a DodoAccount reaching baseURL with the key in Secret <name>-key.
func (h *harness) account(name, baseURL string, mutate ...func(*billingv1alpha1.DodoAccountSpec)) {
	h.t.Helper()
	acct := &billingv1alpha1.DodoAccount{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: name},
		Spec: billingv1alpha1.DodoAccountSpec{BaseURL: baseURL,
			APIKeySecretRef: billingv1alpha1.SecretKeyReference{Name: name + "-key", Key: "apiKey"}}}
	for _, m := range mutate {
		m(&acct.Spec)
	}
	if err := env.Client.Create(h.ctx, acct); err != nil {
		h.t.Fatal(err)
	}
}

// withEndpoint asks for an endpoint at url whose secret goes to Secret <secretName> key "secret".
func withEndpoint(url, secretName string) func(*billingv1alpha1.DodoAccountSpec) {
	return func(spec *billingv1alpha1.DodoAccountSpec) {
		spec.Webhook = &billingv1alpha1.AccountWebhook{
			SecretRef: &billingv1alpha1.SecretKeyReference{Name: secretName, Key: "secret"},
			Endpoint:  &billingv1alpha1.WebhookEndpointSpec{URL: url}}
	}
}

func (h *harness) key(name string) accounts.Key {
	return accounts.Key{Kind: billingv1alpha1.AccountKindNamespaced, Namespace: h.ns, Name: name}
}

func (h *harness) run(name string) (ctrl.Result, error) {
	return h.r.ReconcileAccount(h.ctx, h.key(name))
}

func (h *harness) mustRun(name string) ctrl.Result {
	h.t.Helper()
	res, err := h.run(name)
	if err != nil {
		h.t.Fatalf("reconcile %s: %v", name, err)
	}
	return res
}

func (h *harness) get(name string) *billingv1alpha1.DodoAccount {
	h.t.Helper()
	acct := &billingv1alpha1.DodoAccount{}
	if err := env.Client.Get(h.ctx, client.ObjectKey{Namespace: h.ns, Name: name}, acct); err != nil {
		h.t.Fatal(err)
	}
	return acct
}

func (h *harness) expectReady(name, status, reason string) *billingv1alpha1.DodoAccount {
	h.t.Helper()
	acct := h.get(name)
	controllertest.ExpectCondition(h.t, acct.Status.Conditions, billingv1alpha1.ConditionReady, status, reason)
	return acct
}

func (h *harness) events() []string { return eventstest.Drain(h.recorder) }

// hook is a webhook endpoint that records what it receives.
type hook struct {
	srv    *httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	heads  []http.Header
}

func newHook(t *testing.T) *hook {
	hk := &hook{}
	hk.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		hk.mu.Lock()
		hk.bodies, hk.heads = append(hk.bodies, body), append(hk.heads, r.Header.Clone())
		hk.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(hk.srv.Close)
	return hk
}

func (hk *hook) received() ([][]byte, []http.Header) {
	hk.mu.Lock()
	defer hk.mu.Unlock()
	return append([][]byte(nil), hk.bodies...), append([]http.Header(nil), hk.heads...)
}
