package sequencetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"strings"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/bulkobserve"
	"github.com/dodo-operator/dodo-operator/internal/controller/ondemandcharge"
	"github.com/dodo-operator/dodo-operator/internal/controller/subscription"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
	"github.com/dodo-operator/dodo-operator/internal/webhookreceiver"
)

// t0 lies after the API server's real clock for years: the charge controller bounds its
// history lookups by the objects' creationTimestamp (real time), which must not be later
// than the simulated payments.
var t0 = time.Date(2030, 1, 7, 13, 10, 0, 0, time.UTC)

// resyncInterval is far beyond a sequence's horizon (maxHorizon): the controller spreads
// it by ±10% per object UID, and UIDs differ from run to run, so periodic reads would make
// runs irreproducible. Reads are asked for instead (spec changes, the reconcile-requested-at
// annotation, which is also what a webhook's status write leads to).
const (
	resyncInterval = 1000 * time.Hour
	maxHorizon     = 30 * 24 * time.Hour
)

const apiKey = "sk_test_sequences"

// worlds counts the worlds started by this test process.
var worlds int

// world is one sequence: a namespace, the simulator on a fake business clock behind real
// HTTP, the operator's fake clock, the wrapped Dodo client and API-server client, the two
// reconcilers (replaced on a kill), and the model the invariants are checked against.
type world struct {
	seed     uint64
	ctx      context.Context
	ns       string
	rng      *rand.Rand
	sim      *simulator.Simulator
	srv      *httptest.Server
	hookSrv  *httptest.Server
	simClock *clocktesting.FakeClock
	opClock  *clocktesting.FakeClock
	raw      *dodo.Client // unwrapped: the test's own calls (foreign subscriptions)
	api      *recordingAPI
	kube     *faultyClient
	subs     *subscription.Reconciler
	charges  *ondemandcharge.Reconciler
	model    *model
	stats    *stats
	step     int
	log      []string
	elapsed  time.Duration
	// violations found so far; the sequence stops at the end of the step that found one.
	violations []string
	reported   map[string]bool
	counter    int
	// deletes counts the test's deletions; presenceMark is when presence was last read.
	deletes      int
	presenceMark [2]int
	until        faultsUntil
	// The webhook path (webhooks_test.go).
	inbox        *hookInbox
	receiver     *webhookreceiver.Receiver
	signer       *standardwebhooks.Webhook
	hookSeen     map[string]bool
	pendingHooks []hook
	// instant and instantWrites count writes per object at one instant (checkHotLoop).
	instant       time.Time
	instantWrites map[string]int
	hotLoop       bool
	// queue, due and failures are the operator's work queue (queue_test.go).
	queue    workQueue
	due      map[target]time.Time
	failures map[target]int
}

// newWorld starts a sequence's world; configure changes the simulator's configuration
// after the seed chose it (the scripted reproductions fix the list lag).
func newWorld(seed uint64, st *stats, configure ...func(*simulator.Config)) (*world, error) {
	worlds++ // namespaces are never removed from envtest: each world takes a new one
	w := &world{seed: seed, ctx: context.Background(), ns: fmt.Sprintf("seq-%d-%d", seed, worlds),
		rng:      rand.New(rand.NewPCG(seed, seed*0x9e3779b97f4a7c15+1)),
		simClock: clocktesting.NewFakeClock(t0), opClock: clocktesting.NewFakeClock(t0),
		model: newModel(), stats: st, queue: workQueue{set: map[target]bool{}}, hookSeen: map[string]bool{}, reported: map[string]bool{}, due: map[target]time.Time{}, failures: map[target]int{}}
	if err := env.Client.Create(w.ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: w.ns}}); err != nil {
		return nil, err
	}
	hookSrv, err := w.startWebhooks()
	w.hookSrv = hookSrv
	if err != nil {
		return nil, err
	}
	cfg := simulator.Config{APIKeys: []string{apiKey}, Clock: w.simClock, WallClock: clocktesting.NewFakeClock(t0), Seed: seed,
		WebhookEndpoints: []simulator.WebhookEndpoint{{URL: hookSrv.URL, Secret: webhookSecret}}, WebhookWorkers: 1}
	cfg = simulator.Pessimistic(cfg)
	// Lists catch up within the absence windows (5 min), the operator's documented
	// assumption; set after Pessimistic, which raises a zero lag to its preset.
	cfg.Pessimism.ListLag = time.Duration(w.rng.IntN(181)) * time.Second
	for _, c := range configure {
		c(&cfg)
	}
	sim, err := simulator.New(cfg)
	if err != nil {
		return nil, err
	}
	w.sim = sim
	if err := sim.Start(); err != nil {
		return nil, err
	}
	w.srv = httptest.NewServer(sim.Handler())
	w.raw, err = dodo.New(dodo.Config{BaseURL: w.srv.URL, APIKey: dodo.NewSecret(apiKey), RateLimit: 100000, Burst: 100000,
		Timeout: 10 * time.Second, MaxGetRetries: -1})
	if err != nil {
		return nil, err
	}
	w.api = &recordingAPI{w: w, inner: w.raw}
	w.kube = &faultyClient{Client: env.Client, fired: st.fault, touched: w.touch}
	w.restart()
	w.logf("setup: list lag %s", cfg.Pessimism.ListLag)
	return w, nil
}

// restart replaces both reconcilers: a new operator process with no memory.
func (w *world) restart() {
	// Bulk observation on, as the operator runs by default; inline so sequences replay.
	bulk := bulkobserve.New(w.raw, w.opClock, bulkobserve.Options{MaxAge: resyncInterval, Inline: true})
	w.subs = &subscription.Reconciler{Client: w.kube, API: w.api, Clock: w.opClock, Bulk: bulk,
		Options: subscription.Options{ResyncInterval: resyncInterval, CreateSettle: 30 * time.Second,
			CreateAbsentAfter: 5 * time.Minute, CreateLookback: 24 * time.Hour, MaxConcurrentReconciles: 1}}
	w.charges = &ondemandcharge.Reconciler{Client: w.kube, API: w.api, Clock: w.opClock,
		Options: ondemandcharge.Options{OutcomeTimeout: 10 * time.Minute, Settle: 30 * time.Second,
			AbsentAfter: 5 * time.Minute, DeletionWait: time.Hour, MaxInFlightPerCustomer: 1, MaxInFlight: 1000,
			MaxConcurrentReconciles: 1}}
}

// close removes what the sequence left in the API server (other sequences' charge
// controllers list every charge) and stops the simulator.
func (w *world) close() {
	for _, co := range w.sim.State().Checkouts {
		if co.Status == "expired" {
			w.stats.fault(faultExpiredLinks)
		}
	}
	for _, list := range []client.ObjectList{&billingv1alpha1.OnDemandChargeList{}, &billingv1alpha1.SubscriptionList{}} {
		if err := env.Client.List(w.ctx, list, client.InNamespace(w.ns)); err != nil {
			continue
		}
		forEachObject(list, func(obj client.Object) {
			if len(obj.GetFinalizers()) > 0 {
				patch := client.MergeFrom(obj.DeepCopyObject().(client.Object))
				obj.SetFinalizers(nil)
				_ = env.Client.Patch(w.ctx, obj, patch)
			}
			_ = env.Client.Delete(w.ctx, obj)
		})
	}
	_ = env.Client.Delete(w.ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: w.ns}})
	w.srv.Close()
	_ = w.sim.Close()
	w.hookSrv.Close()
}

func forEachObject(list client.ObjectList, fn func(client.Object)) {
	switch l := list.(type) {
	case *billingv1alpha1.SubscriptionList:
		for i := range l.Items {
			fn(&l.Items[i])
		}
	case *billingv1alpha1.OnDemandChargeList:
		for i := range l.Items {
			fn(&l.Items[i])
		}
	}
}

// advance moves both clocks (the simulator's and the operator's) and lets the simulator
// settle what fell due: renewals, settlements, link expiries.
func (w *world) advance(d time.Duration) {
	w.simClock.Step(d)
	w.sim.ProcessDue()
	w.opClock.Step(d)
	w.elapsed += d
}

func (w *world) logf(format string, args ...any) {
	w.log = append(w.log, fmt.Sprintf("#%d ", w.step)+fmt.Sprintf(format, args...))
}

// violate records a broken invariant with the step it was found in.
func (w *world) violate(invariant int, format string, args ...any) {
	what := fmt.Sprintf("invariant %d: %s", invariant, fmt.Sprintf(format, args...))
	if w.reported[what] {
		return // found again by a later check
	}
	w.reported[what] = true
	msg := fmt.Sprintf("invariant %d, step %d: %s", invariant, w.step, fmt.Sprintf(format, args...))
	w.violations = append(w.violations, msg)
	w.log = append(w.log, "   !! "+msg)
}

func (w *world) report() string {
	return fmt.Sprintf("seed %d: %d violation(s):\n  %s\nreproduce: go test ./test/sequencetest/ -count=1 -run "+
		"TestRandomSequences -seed=%d -v\nstep log:\n  %s", w.seed, len(w.violations), strings.Join(w.violations, "\n  "),
		w.seed, strings.Join(w.log, "\n  "))
}

func (w *world) getSub(name string) (*billingv1alpha1.Subscription, bool) {
	sub := &billingv1alpha1.Subscription{}
	err := env.Client.Get(w.ctx, client.ObjectKey{Namespace: w.ns, Name: name}, sub)
	return sub, err == nil
}

func (w *world) getCharge(name string) (*billingv1alpha1.OnDemandCharge, bool) {
	c := &billingv1alpha1.OnDemandCharge{}
	err := env.Client.Get(w.ctx, client.ObjectKey{Namespace: w.ns, Name: name}, c)
	return c, err == nil
}

// next returns a fresh number for names, emails and tokens.
func (w *world) next() int {
	w.counter++
	return w.counter
}

// pick returns a random element.
func pick[T any](w *world, items []T) T { return items[w.rng.IntN(len(items))] }
