// Package sequencetest is a randomized, model-based sequence test of the two controllers.
//
// TestRandomSequences drives the real Subscription and OnDemandCharge reconcilers against
// a real kube-apiserver (envtest) and the in-process payments simulator in pessimistic
// mode (docs/reliability.md, "Pessimistic mode"), through seeded random interleavings of
// creates, spec edits, adoptions, deletions, charges, reconciles with faults (a Dodo
// answer lost after commit, a Dodo call failed before commit, a status write failed before
// or after it was stored), operator kills and time passing. After every step it checks the
// money invariants against the simulator's state and a log of every Dodo call, tagged with
// the object being reconciled:
//
//  1. no write or charge on a Dodo subscription the acting object does not own;
//  2. at most one Dodo subscription created per Subscription object (UID);
//  3. at most one payment per (charge key, attempt), and at most one update-payment-method
//     call per (object, payment-method request) or per (charge, attempt);
//  4. at most one change-plan call per requested plan;
//  5. a Subscription with deletionPolicy Cancel or CancelAtPeriodEnd that is gone leaves
//     no Dodo subscription of its own live and unmanaged;
//  6. charges follow the retry policy (attempt cap, no retry after a hard or repeated
//     decline, never sooner than the interval).
//
// Every run is reproducible from its seed: fake clocks, a seeded math/rand/v2, no sleeps.
//
//	go test ./internal/sequencetest/ -run TestRandomSequences              # short form
//	go test ./internal/sequencetest/ -run TestRandomSequences -seed=N      # one sequence
//	SEQUENCES=1000 go test ./internal/sequencetest/ -run TestRandomSequences -timeout 60m
package sequencetest
