package faulttest

import (
	"fmt"
	"testing"
	"time"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
	"github.com/dodo-operator/dodo-operator/test/harness"
)

// lostResponseRate is the share of writes the simulator commits and then hides.
const lostResponseRate = 0.1

// TestLostResponses makes the simulator commit 10% of all writes (creates, plan changes,
// charges, cancellations) and then hide the answer, alternately as a 502 and as a
// connection closed without a response. The operator must look up what was done instead
// of doing it again: the same invariants as the crash test.
func TestLostResponses(t *testing.T) {
	runLostResponses(t, "lost", lostResponseObjects)
}

// runLostResponses runs the lost-response scenario with n objects in namespace ns.
func runLostResponses(t *testing.T, ns string, n int) {
	opts := testOperator()
	s := newSuite(t, ns, &opts)
	faults := simulator.Faults{Seed: seed, Routes: map[string]simulator.RouteFaults{}}
	for i, route := range harness.WriteRoutes {
		mode := simulator.FailModeBadGateway
		if i%2 == 0 {
			mode = simulator.FailModeDrop
		}
		faults.Routes[route] = simulator.RouteFaults{FailAfterCommitRate: lostResponseRate, FailAfterCommitMode: mode}
	}
	before := sys.Sim.Calls.Snapshot()
	if err := sys.Sim.SetFaults(faults); err != nil {
		t.Fatal(err)
	}
	m := newModel()
	for i := range n {
		name := fmt.Sprintf("s%03d", i)
		switch i % 4 {
		case 0, 1:
			s.addSubscription(m, harness.RegularSubscription(s.ns, name, policyFor(i)), 0)
		default:
			s.addSubscription(m, harness.OnDemandSubscription(s.ns, name, name+harness.EmailDomain), 0)
		}
	}
	s.eventually("creation", 3*time.Minute, func() (bool, string) { return s.converged(m) })
	s.assertNoDuplicates("after creation")
	for i := range n {
		name := fmt.Sprintf("s%03d", i)
		switch i % 4 {
		case 0:
			s.changePlan(m, name)
		case 1:
			s.deleteSubscription(m, name)
		default:
			s.addCharge(m, harness.Charge(s.ns, name+"-charge", name, int64(200+i)))
		}
	}
	s.eventually("changes, charges and deletions", 3*time.Minute, func() (bool, string) { return s.converged(m) })
	s.checkMoney(m)
	s.countLostResponses(sys.Sim.Calls.Snapshot().Sub(before))
	s.report()
}

func policyFor(i int) billingv1alpha1.DeletionPolicy {
	if i%8 < 4 {
		return billingv1alpha1.DeletionPolicyCancel
	}
	return billingv1alpha1.DeletionPolicyCancelAtPeriodEnd
}

// countLostResponses reports the writes made and the answers hidden; the test proves
// nothing unless some were.
func (s *suite) countLostResponses(calls harness.CallCounts) {
	s.t.Helper()
	writes, lost := 0, 0
	for _, route := range harness.WriteRoutes {
		for key, n := range calls {
			if key.Route != route {
				continue
			}
			writes += n
			if key.Status == 0 || key.Status == 502 {
				lost += n
			}
		}
	}
	s.count("payments API writes", writes)
	s.count("responses lost after commit", lost)
	if lost == 0 {
		s.t.Fatalf("no response was lost in %d writes: the faults did not fire (try another FAULTTEST_SEED)", writes)
	}
}
