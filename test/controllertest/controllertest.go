// Package controllertest is what the Subscription and OnDemandCharge controller tests
// share: one test's world on the shared API server (a namespace of its own) with the
// payments simulator on a fake business clock behind real HTTP, and the checks both
// make. Only tests import it.
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

// World is one test's namespace and simulator.
type World struct {
	T    testing.TB
	Kube client.Client
	// NS is the test's namespace.
	NS string
	// Sim is the simulator; SimClock its business clock, which the test moves.
	Sim      *simulator.Simulator
	SimClock *clocktesting.FakeClock
	// Client is a client of the simulator (simtest.Start's).
	Client *dodo.Client
	// Recorder keeps the Events the code under test tells.
	Recorder *events.FakeRecorder
}

// New creates a namespace named prefix plus a random suffix and starts the simulator
// from cfg, whose business and wall clocks start at start.
func New(t testing.TB, kube client.Client, prefix string, start time.Time, cfg simulator.Config) *World {
	t.Helper()
	w := &World{T: t, Kube: kube, NS: prefix + "-" + rand.String(6), SimClock: clocktesting.NewFakeClock(start),
		Recorder: events.NewFakeRecorder(200)}
	if err := kube.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: w.NS}}); err != nil {
		t.Fatal(err)
	}
	cfg.Clock, cfg.WallClock = w.SimClock, clocktesting.NewFakeClock(start)
	w.Sim, w.Client = simtest.Start(t, cfg)
	return w
}

// Get reads the object name of the test's namespace into obj.
func Get[T client.Object](w *World, name string, obj T) T {
	w.T.Helper()
	if err := w.Kube.Get(context.Background(), client.ObjectKey{Namespace: w.NS, Name: name}, obj); err != nil {
		w.T.Fatal(err)
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
