// Package accountbench measures one promise of accounts (docs/accounts.md): a busy account
// never slows another. Two accounts, each on its own simulator enforcing Dodo's 100
// requests a minute, share one operator (the Subscription controller on a real API
// server). New Subscriptions of account B reach Active alone, then while account A is
// saturated by a backlog of creates; the ratio of the two times is the result.
//
//	go test ./test/accountbench/ -run '^$' -bench . -benchtime 1x
package accountbench

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/accounts"
	"github.com/dodo-operator/dodo-operator/internal/controller/subscription"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
	"github.com/dodo-operator/dodo-operator/internal/simulator/simtest"
	"github.com/dodo-operator/dodo-operator/test/testenv"
)

var env *testenv.Env

// TestMain starts the API server only when a benchmark runs: `go test ./...` (make test)
// has nothing to run here.
func TestMain(m *testing.M) {
	flag.Parse()
	if flag.Lookup("test.bench").Value.String() == "" {
		os.Exit(m.Run())
	}
	testenv.RunMain(m, &env)
}

const (
	// backlogA Subscriptions of account A are applied at once: at 1.5 requests a second
	// their creates alone keep A's budget busy for minutes.
	backlogA = 150
	// newInB Subscriptions of account B are timed.
	newInB = 5
)

type world struct {
	b   *testing.B
	ctx context.Context
	ns  string
}

func BenchmarkNewSubscriptionsOfAnAccountBesideASaturatedOne(b *testing.B) {
	for range b.N {
		w := newWorld(b)
		alone := w.timeToActive("alone", "b", newInB)
		w.apply("a", "backlog", backlogA)
		time.Sleep(3 * time.Second) // A's creates are now queued at its limiter
		beside := w.timeToActive("beside", "b", newInB)
		if created := w.created("backlog", backlogA); created >= backlogA {
			b.Fatalf("account A's backlog was done (%d created) before B's were measured: nothing was saturated", created)
		} else {
			b.Logf("account A had created %d of its %d Subscriptions when B's were Active: still saturated", created, backlogA)
		}
		b.ReportMetric(alone.Seconds(), "s-alone")
		b.ReportMetric(beside.Seconds(), "s-beside-saturated")
		b.ReportMetric(beside.Seconds()/alone.Seconds(), "ratio")
		b.Logf("account B, %d new Subscriptions to Active: alone %s, beside account A saturated (%d creates queued) %s, ratio %.2f",
			newInB, alone.Round(time.Millisecond), backlogA, beside.Round(time.Millisecond), beside.Seconds()/alone.Seconds())
	}
}

func newWorld(b *testing.B) *world {
	b.Helper()
	w := &world{b: b, ctx: context.Background(), ns: "acctbench-" + rand.String(5)}
	if err := env.Client.Create(w.ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: w.ns}}); err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"a", "b"} {
		key := "sk_test_" + name
		_, c := simtest.Start(b, simulator.Config{APIKeys: []string{key}, RateLimitPerMinute: 100, Seed: uint64(len(name))},
			simtest.Running())
		w.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name + "-key", Namespace: w.ns},
			StringData: map[string]string{"apiKey": key}})
		w.create(&billingv1alpha1.DodoAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: w.ns},
			Spec: billingv1alpha1.DodoAccountSpec{BaseURL: c.BaseURL(),
				APIKeySecretRef: billingv1alpha1.SecretKeyReference{Name: name + "-key", Key: "apiKey"}}})
	}
	w.startOperator()
	return w
}

// startOperator runs the Subscription controller as the operator does: default flags,
// one payments client per account (1.5 requests a second each, Dodo's burst of 10).
func (w *world) startOperator() {
	mgr, err := ctrl.NewManager(env.Config, ctrl.Options{Scheme: env.Scheme, Metrics: metricsserver.Options{BindAddress: "0"}})
	if err != nil {
		w.b.Fatal(err)
	}
	r := &subscription.Reconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(),
		Accounts: &accounts.Clients{Reader: mgr.GetClient(), SecretReader: mgr.GetAPIReader()},
		Options:  subscription.Options{ResyncInterval: time.Hour}, Metrics: subscription.NewMetrics(prometheus.NewRegistry())}
	if err := r.SetupWithManager(mgr); err != nil {
		w.b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(w.ctx)
	w.b.Cleanup(cancel)
	go func() {
		if err := mgr.Start(ctx); err != nil {
			w.b.Error(err)
		}
	}()
}

func (w *world) create(obj client.Object) {
	w.b.Helper()
	if err := env.Client.Create(w.ctx, obj); err != nil {
		w.b.Fatal(err)
	}
}

// apply creates n Subscriptions in account, named prefix-i.
func (w *world) apply(account, prefix string, n int) []string {
	names := make([]string, n)
	for i := range n {
		names[i] = fmt.Sprintf("%s-%d", prefix, i)
		w.create(&billingv1alpha1.Subscription{ObjectMeta: metav1.ObjectMeta{Name: names[i], Namespace: w.ns},
			Spec: billingv1alpha1.SubscriptionSpec{ProductID: "pdt_sim_basic", Quantity: 1,
				AccountRef: &billingv1alpha1.AccountReference{Kind: billingv1alpha1.AccountKindNamespaced, Name: account},
				Customer:   billingv1alpha1.CustomerSpec{Email: names[i] + "@example.com"},
				Billing:    billingv1alpha1.BillingAddress{Country: "US"}}})
	}
	return names
}

// timeToActive applies n Subscriptions in account and waits until all are active.
func (w *world) timeToActive(prefix, account string, n int) time.Duration {
	start := time.Now()
	names := w.apply(account, prefix, n)
	deadline := start.Add(10 * time.Minute)
	for time.Now().Before(deadline) {
		if w.allActive(names) {
			return time.Since(start)
		}
		time.Sleep(50 * time.Millisecond)
	}
	w.b.Fatalf("%s: not all active after 10 minutes", prefix)
	return 0
}

func (w *world) allActive(names []string) bool {
	for _, name := range names {
		sub := &billingv1alpha1.Subscription{}
		if err := env.Client.Get(w.ctx, client.ObjectKey{Namespace: w.ns, Name: name}, sub); err != nil ||
			sub.Status.ProviderStatus != "active" {
			return false
		}
	}
	return true
}

// created counts the Subscriptions prefix-0..n-1 that have a Dodo subscription ID.
func (w *world) created(prefix string, n int) int {
	count := 0
	for i := range n {
		sub := &billingv1alpha1.Subscription{}
		err := env.Client.Get(w.ctx, client.ObjectKey{Namespace: w.ns, Name: fmt.Sprintf("%s-%d", prefix, i)}, sub)
		if err == nil && sub.Status.SubscriptionID != "" {
			count++
		}
	}
	return count
}
