// Package controllertest is what the controller tests share: one test's start on the
// shared API server (a namespace of its own, a fake clock, a recorder), for the
// Subscription and OnDemandCharge tests with the payments simulator on a fake business
// clock behind real HTTP, and the checks they make. Only tests import it.
package controllertest

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/tools/events"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
	"github.com/dodo-operator/dodo-operator/internal/simulator/simtest"
)

// T0 is when every controller test starts: the reconciler's clock and the simulator's
// clocks (an on-demand mandate authorised then keeps 13:10 UTC as its attempts' time of
// day).
var T0 = time.Date(2026, 11, 2, 13, 10, 0, 0, time.UTC)

// Base is one controller test's start: the test, a context, a namespace of its own on
// the shared API server, the reconciler's fake clock and an Event recorder. Every
// controller suite's harness embeds it (the Subscription and OnDemandCharge ones through
// World).
type Base struct {
	T    *testing.T
	Ctx  context.Context
	Kube client.Client
	// NS is the test's namespace.
	NS string
	// Clock is the reconciler's clock, which the test moves.
	Clock *clocktesting.FakeClock
	// Recorder keeps the Events the code under test tells.
	Recorder *events.FakeRecorder
}

// NewBase creates a namespace named prefix plus a random suffix; the clock starts at T0.
func NewBase(t *testing.T, kube client.Client, prefix string) *Base {
	t.Helper()
	b := &Base{T: t, Ctx: context.Background(), Kube: kube, NS: prefix + "-" + rand.String(6),
		Clock: clocktesting.NewFakeClock(T0), Recorder: events.NewFakeRecorder(200)}
	if err := kube.Create(b.Ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: b.NS}}); err != nil {
		t.Fatal(err)
	}
	return b
}

// World is a Base with the payments simulator.
type World struct {
	*Base
	// Sim is the simulator; SimClock its business clock, which the test moves apart from
	// the reconciler's.
	Sim      *simulator.Simulator
	SimClock *clocktesting.FakeClock
	// Client is a client of the simulator (simtest.Start's).
	Client *dodo.Client
}

// New is NewBase with the simulator started from cfg, whose business and wall clocks
// start at T0.
func New(t *testing.T, kube client.Client, prefix string, cfg simulator.Config) *World {
	t.Helper()
	w := &World{Base: NewBase(t, kube, prefix), SimClock: clocktesting.NewFakeClock(T0)}
	cfg.Clock, cfg.WallClock = w.SimClock, clocktesting.NewFakeClock(T0)
	w.Sim, w.Client = simtest.Start(t, cfg)
	return w
}

// Get reads the object name of the test's namespace into obj.
func Get[T client.Object](b *Base, name string, obj T) T {
	b.T.Helper()
	if err := b.Kube.Get(b.Ctx, client.ObjectKey{Namespace: b.NS, Name: name}, obj); err != nil {
		b.T.Fatal(err)
	}
	return obj
}

// ExpectCondition fails the test unless conditions hold conditionType with status and
// reason.
func ExpectCondition(t testing.TB, conditions []metav1.Condition, conditionType, status, reason string) {
	t.Helper()
	c := meta.FindStatusCondition(conditions, conditionType)
	if c == nil {
		t.Fatalf("no %s condition", conditionType)
	}
	if string(c.Status) != status || c.Reason != reason {
		t.Fatalf("%s = %s/%s (%s); want %s/%s", conditionType, c.Status, c.Reason, c.Message, status, reason)
	}
}
