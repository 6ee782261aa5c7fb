package faulttest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dodo-operator/dodo-operator/internal/simulator"
	"github.com/dodo-operator/dodo-operator/test/harness"
)

// suite is one test's view of the shared system: its namespace, its operator process,
// its seeded RNG and the counts it reports.
type suite struct {
	t      *testing.T
	ctx    context.Context
	ns     string
	rng    *rand.Rand
	op     *harness.Component
	counts map[string]int
	order  []string
}

// testOperator are the operator settings of the crash-style tests: short settle, absence
// and resync times so that recovery paths finish in seconds, no client-side throttling.
// The absence windows stay above the simulator's list lag (main_test.go), as the defaults
// do above Dodo's.
func testOperator() harness.OperatorOptions {
	return harness.OperatorOptions{
		ResyncInterval: 5 * time.Second, CreateSettle: time.Second, ChargeOutcomeTimeout: 5 * time.Second,
		CreateAbsentAfter: 4 * listLag, ChargeSettle: time.Second, ChargeAbsentAfter: 4 * listLag,
		RequestsPerSecond: 1000, MaxChargesInFlight: 1000, MaxConcurrentReconciles: 4,
		// A kill between the change-plan's marker and its call leaves a change Dodo never
		// got; the suite answers PlanChangeNotApplied as a person would (resendLostPlans).
		PlanChangeConfirmWithin: 10 * time.Second,
	}
}

// newSuite makes the namespace, clears leftover faults, and starts an operator with opts
// (none when opts is nil); the operator is stopped when the test ends.
func newSuite(t *testing.T, name string, opts *harness.OperatorOptions) *suite {
	t.Helper()
	s := &suite{t: t, ctx: context.Background(), ns: name, rng: rand.New(rand.NewPCG(seed, hash(name))), counts: map[string]int{}}
	if err := sys.Client.Create(s.ctx, harness.Namespace(name)); err != nil {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
	if err := sys.Sim.SetFaults(simulator.Faults{}); err != nil {
		t.Fatal(err)
	}
	sys.Proxy.SetStatusWriteFailRate(0)
	if opts != nil {
		s.op = s.startOperator(*opts)
	}
	t.Cleanup(func() {
		if t.Failed() {
			s.dumpNotConverged()
		}
	})
	return s
}

func (s *suite) startOperator(opts harness.OperatorOptions) *harness.Component {
	s.t.Helper()
	if opts.Name == "" {
		opts.Name = "operator-" + s.ns
	}
	op, err := sys.NewOperator(opts)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := op.StartAndWait(s.ctx, time.Minute); err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { _ = op.Stop(20 * time.Second) })
	return op
}

// jitter is a seeded duration in [lo, hi).
func (s *suite) jitter(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(s.rng.Int64N(int64(hi-lo)))
}

func (s *suite) create(obj client.Object) {
	s.t.Helper()
	obj.SetNamespace(s.ns)
	if err := sys.Client.Create(s.ctx, obj); err != nil {
		s.t.Fatalf("creating %s: %v", obj.GetName(), err)
	}
}

func (s *suite) get(name string, obj client.Object) error {
	return sys.Client.Get(s.ctx, client.ObjectKey{Namespace: s.ns, Name: name}, obj)
}

// count adds n to a reported count, keeping first-use order.
func (s *suite) count(name string, n int) {
	if _, ok := s.counts[name]; !ok {
		s.order = append(s.order, name)
	}
	s.counts[name] += n
}

// report prints the test's counts on one FAULT-REPORT line.
func (s *suite) report() {
	parts := make([]string, 0, len(s.order))
	for _, name := range s.order {
		parts = append(parts, fmt.Sprintf("%s=%d", name, s.counts[name]))
	}
	s.t.Logf("FAULT-REPORT %s seed=%d: %s", s.t.Name(), seed, strings.Join(parts, ", "))
}

// eventually polls check until it reports done, failing with its last explanation.
func (s *suite) eventually(what string, timeout time.Duration, check func() (bool, string)) {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		done, why := check()
		if done {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%s: not reached within %s: %s", what, timeout, why)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// assertNoDuplicates checks the money invariants of the namespace right now; they must
// hold at every moment, not only after convergence.
func (s *suite) assertNoDuplicates(when string) harness.Findings {
	s.t.Helper()
	f := harness.CheckState(sys.Sim.State(), s.ns)
	if f.Duplicates() != 0 {
		s.t.Fatalf("%s: money invariant broken: %s", when, f)
	}
	s.count("invariant checks", 1)
	return f
}

func (s *suite) dumpNotConverged() {
	if s.op != nil {
		s.t.Logf("operator log tail:\n%s", s.op.LogTail(40))
	}
}

func hash(s string) uint64 {
	var h uint64 = 14695981039346656037
	for i := range len(s) {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
