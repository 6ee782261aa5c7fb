package faulttest

import (
	"fmt"
	"testing"
	"time"

	"github.com/dodo-operator/dodo-operator/test/harness"
)

// leaderElectionID is the operator's Lease name.
const leaderElectionID = "dodo-operator.billing.dodo-operator.io"

// TestLeaderHandover runs two replicas with leader election and SIGKILLs the leader at
// seeded moments while work is in flight. Only the leader may reconcile (the follower's
// reconcile count stays 0), the follower takes over, and nothing is done twice.
func TestLeaderHandover(t *testing.T) {
	s := newSuite(t, "leader", nil)
	opts := testOperator()
	opts.LeaderElect = true
	// Outside a cluster the Lease needs a namespace; short timings make a handover take
	// seconds instead of the production 15 s lease.
	opts.Extra = []string{"--leader-election-namespace=" + s.ns, "--lease-duration=4s", "--renew-deadline=3s", "--retry-period=500ms"}
	replicas := [2]*harness.Component{}
	for i, name := range []string{"replica-a", "replica-b"} {
		opts.Name = name
		replicas[i] = s.startOperator(opts)
	}
	m := newModel()
	s.applyRound(m, 0)
	s.eventually("first round", 3*time.Minute, func() (bool, string) { return s.converged(m) })
	for round := 1; round <= leaderHandovers; round++ {
		leader := s.leaderAmong(replicas)
		s.applyRound(m, round)
		time.Sleep(s.jitter(50*time.Millisecond, 1500*time.Millisecond))
		if err := leader.Kill(); err != nil {
			t.Fatal(err)
		}
		s.count("leader SIGKILLs", 1)
		if err := leader.StartAndWait(s.ctx, time.Minute); err != nil {
			t.Fatal(err)
		}
		s.assertNoDuplicates(fmt.Sprintf("after handover %d", round))
		s.eventually("convergence after the handover", 3*time.Minute, func() (bool, string) { return s.converged(m) })
	}
	s.leaderAmong(replicas)
	s.checkMoney(m)
	s.report()
}

// leaderAmong waits until exactly one replica leads, checks that the other has not
// reconciled anything, and returns the leader.
func (s *suite) leaderAmong(replicas [2]*harness.Component) *harness.Component {
	s.t.Helper()
	var leader *harness.Component
	s.eventually("one leader", time.Minute, func() (bool, string) {
		leader = nil
		leading := 0
		for _, r := range replicas {
			text, err := r.Metrics(s.ctx)
			if err != nil {
				return false, err.Error()
			}
			if harness.MetricSum(text, "leader_election_master_status", map[string]string{"name": leaderElectionID}) == 1 {
				leader = r
				leading++
			}
		}
		return leading == 1, fmt.Sprintf("%d replicas lead", leading)
	})
	for _, r := range replicas {
		if r == leader {
			continue
		}
		text, err := r.Metrics(s.ctx)
		if err != nil {
			s.t.Fatal(err)
		}
		if n := harness.MetricSum(text, "controller_runtime_reconcile_total", nil); n != 0 {
			s.t.Fatalf("follower %s reconciled %v times: double work", r.Name, n)
		}
		s.count("follower reconcile checks", 1)
	}
	return leader
}
