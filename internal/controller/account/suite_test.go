package account

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/accounts"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
	"github.com/dodo-operator/dodo-operator/internal/simulator/simtest"
	"github.com/dodo-operator/dodo-operator/test/controllertest"
	"github.com/dodo-operator/dodo-operator/test/eventstest"
)

// harness is one test's namespace and a reconciler on a fake clock. Simulators are started
// per test (sim), each its own business.
type harness struct {
	*controllertest.Base
	r *Reconciler
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{Base: controllertest.NewBase(t, env.Client, "acct")}
	h.r = h.newReconciler()
	return h
}

// newReconciler is a reconciler with fresh clients and no memory: a restarted operator.
// opts are given to every account's payments client.
func (h *harness) newReconciler(opts ...dodo.Option) *Reconciler {
	clients := &accounts.Clients{Reader: env.Client, Clock: h.Clock, Options: opts,
		Base: dodo.Config{RateLimit: 1000, Burst: 1000, Timeout: 5 * time.Second, MaxGetRetries: -1}}
	return &Reconciler{Client: env.Client, APIReader: env.Client, Accounts: clients, Recorder: h.Recorder,
		Clock: h.Clock, Options: Options{}.withDefaults()}
}

// sim starts a simulator of business with apiKey, delivering webhooks in the background.
func (h *harness) sim(business, apiKey string) (*simulator.Simulator, *dodo.Client) {
	h.T.Helper()
	return simtest.Start(h.T, simulator.Config{APIKeys: []string{apiKey}, BusinessID: business}, simtest.Running())
}

func (h *harness) secret(name string, data map[string]string) {
	h.T.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: h.NS, Name: name}, StringData: data}
	if err := env.Client.Create(h.Ctx, s); err != nil {
		h.T.Fatal(err)
	}
}

// account creates a DodoAccount reaching baseURL with the key in Secret <name>-key.
func (h *harness) account(name, baseURL string, mutate ...func(*billingv1alpha1.DodoAccountSpec)) {
	h.T.Helper()
	acct := &billingv1alpha1.DodoAccount{ObjectMeta: metav1.ObjectMeta{Namespace: h.NS, Name: name},
		Spec: billingv1alpha1.DodoAccountSpec{BaseURL: baseURL,
			APIKeySecretRef: billingv1alpha1.SecretKeyReference{Name: name + "-key", Key: "apiKey"}}}
	for _, m := range mutate {
		m(&acct.Spec)
	}
	if err := env.Client.Create(h.Ctx, acct); err != nil {
		h.T.Fatal(err)
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
	return accounts.Key{Kind: billingv1alpha1.AccountKindNamespaced, Namespace: h.NS, Name: name}
}

func (h *harness) run(name string) (ctrl.Result, error) {
	return h.r.ReconcileAccount(h.Ctx, h.key(name))
}

func (h *harness) mustRun(name string) ctrl.Result {
	h.T.Helper()
	res, err := h.run(name)
	if err != nil {
		h.T.Fatalf("reconcile %s: %v", name, err)
	}
	return res
}

func (h *harness) get(name string) *billingv1alpha1.DodoAccount {
	h.T.Helper()
	acct := &billingv1alpha1.DodoAccount{}
	if err := env.Client.Get(h.Ctx, client.ObjectKey{Namespace: h.NS, Name: name}, acct); err != nil {
		h.T.Fatal(err)
	}
	return acct
}

func (h *harness) expectReady(name, status, reason string) *billingv1alpha1.DodoAccount {
	h.T.Helper()
	acct := h.get(name)
	controllertest.ExpectCondition(h.T, acct.Status.Conditions, billingv1alpha1.ConditionReady, status, reason)
	return acct
}

func (h *harness) events() []string { return eventstest.Drain(h.Recorder) }

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
