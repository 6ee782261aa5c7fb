package faulttest

import (
	"testing"
	"time"
)

// TestAPIServerRestart restarts the kube-apiserver for real (the process is stopped and
// started again with the same flags and etcd, so watches break and requests fail for a
// while) at seeded moments while the operator is creating, changing, charging and
// deleting. The operator (leader election off) must ride it out without a restart of its
// own and converge with the money invariants intact.
func TestAPIServerRestart(t *testing.T) {
	opts := testOperator()
	s := newSuite(t, "apirestart", &opts)
	m := newModel()
	s.applyRound(m, 0)
	s.eventually("first round", 3*time.Minute, func() (bool, string) { return s.converged(m) })
	for round := 1; round <= apiServerRestarts; round++ {
		s.applyRound(m, round)
		time.Sleep(s.jitter(50*time.Millisecond, 800*time.Millisecond))
		if err := sys.CP.RestartAPIServer(s.ctx, s.jitter(500*time.Millisecond, 3*time.Second)); err != nil {
			t.Fatal(err)
		}
		s.count("API server restarts", 1)
		s.assertNoDuplicates("after the API server came back")
		s.eventually("convergence after the restart", 3*time.Minute, func() (bool, string) { return s.converged(m) })
	}
	if !s.op.Running() || s.op.Starts() != 1 {
		t.Fatalf("the operator did not ride out the API server restarts (running %v, starts %d):\n%s",
			s.op.Running(), s.op.Starts(), s.op.LogTail(20))
	}
	_, killed := sys.CP.Restarts()
	s.count("API server stops that drained over 5s and were killed", killed)
	s.checkMoney(m)
	s.report()
}
