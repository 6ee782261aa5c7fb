// Package faulttest is the fault-injection suite: it runs the real operator and webhook
// receiver as child processes against an envtest control plane and the payments
// simulator, breaks things (SIGKILL at random points, lost responses, webhook duplicates
// and reordering, API-server errors and restarts, leader handover), and checks the
// money invariants against the simulator's state dump: exactly one Dodo subscription
// per Subscription, at most one payment per charge attempt, and no webhook effect lost.
//
// `go test ./test/faulttest/` runs the short form (small counts, part of make test);
// `go test -tags faults ./test/faulttest/` runs the long form (make fault-test). Both
// print a FAULT-REPORT line per test with the counts.
package faulttest
