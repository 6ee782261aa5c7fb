package faulttest

import (
	"fmt"
	"testing"
	"time"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/test/harness"
)

// killsPerRound is how many times the operator dies while one round of work is in flight.
const killsPerRound = 2

// TestCrashAtRandomPoints SIGKILLs the operator at seeded random moments while it creates
// subscriptions, changes plans, charges and applies deletion policies. The money
// invariants are checked after every restart (they must hold at every moment), and after
// every round the system must converge: exactly one Dodo subscription per Subscription,
// one succeeded payment per charge, plans and cancellations as asked.
func TestCrashAtRandomPoints(t *testing.T) {
	opts := testOperator()
	s := newSuite(t, "crash", &opts)
	m := newModel()
	kills := 0
	for round := 0; kills < crashKills; round++ {
		s.applyRound(m, round)
		for k := 0; k < killsPerRound && kills < crashKills; k++ {
			time.Sleep(s.jitter(50*time.Millisecond, 1500*time.Millisecond))
			s.crashAndRestart()
			kills++
			s.assertNoDuplicates(fmt.Sprintf("after kill %d", kills))
		}
		s.eventually(fmt.Sprintf("convergence of round %d", round), 3*time.Minute, func() (bool, string) { return s.converged(m) })
		s.count("rounds", 1)
	}
	s.checkMoney(m)
	s.report()
}

// applyRound starts a round's work: three creates (two monthly subscriptions with either
// deletion policy, one on-demand), and, on objects of earlier rounds, a plan change, a
// charge and a deletion.
func (s *suite) applyRound(m *model, round int) {
	prefix := fmt.Sprintf("r%03d", round)
	s.addSubscription(m, harness.RegularSubscription(s.ns, prefix+"-a", billingv1alpha1.DeletionPolicyCancel), round)
	s.addSubscription(m, harness.RegularSubscription(s.ns, prefix+"-b", billingv1alpha1.DeletionPolicyCancelAtPeriodEnd), round)
	s.addSubscription(m, harness.OnDemandSubscription(s.ns, prefix+"-c", prefix+"-c"+harness.EmailDomain), round)
	if name := s.pick(m, false, round, nil); name != "" {
		s.changePlan(m, name)
	}
	if name := s.pick(m, true, round, nil); name != "" {
		s.addCharge(m, harness.Charge(s.ns, prefix+"-charge", name, int64(100+round)))
	}
	if name := s.pick(m, false, round-1, nil); name != "" {
		s.deleteSubscription(m, name)
	}
}

// crashAndRestart SIGKILLs the operator, notes what it was in the middle of (read from
// the persisted status, so the report shows the kills landed inside operations), and
// starts it again.
func (s *suite) crashAndRestart() {
	s.t.Helper()
	if err := s.op.Kill(); err != nil {
		s.t.Fatal(err)
	}
	s.count("operator SIGKILLs", 1)
	s.noteInFlight()
	if err := s.op.StartAndWait(s.ctx, time.Minute); err != nil {
		s.t.Fatal(err)
	}
}

func (s *suite) noteInFlight() {
	subs, charges, err := s.list()
	if err != nil {
		s.t.Fatal(err)
	}
	var creating, deleting, changing, charging int
	for _, sub := range subs {
		switch {
		case sub.Status.CreatePendingSince != nil:
			creating++
		case !sub.DeletionTimestamp.IsZero():
			deleting++
		case sub.Generation != sub.Status.ObservedGeneration:
			changing++
		}
	}
	for _, c := range charges {
		if n := len(c.Status.Attempts); n > 0 && c.Status.Attempts[n-1].Outcome == billingv1alpha1.AttemptPending {
			charging++
		}
	}
	for what, n := range map[string]int{"kills with a create in flight": creating, "kills with a deletion in flight": deleting,
		"kills with a plan change unobserved": changing, "kills with a charge attempt pending": charging} {
		if n > 0 {
			s.count(what, 1)
		}
	}
}
