// Package sequencetest is a randomized, model-based sequence test of the two controllers
// (docs/reliability.md, "Randomized sequence test").
//
// TestRandomSequences drives the real Subscription and OnDemandCharge reconcilers and the
// real webhook receiver against a real kube-apiserver (envtest) and the in-process payments
// simulator in pessimistic mode (docs/reliability.md, "Pessimistic mode"), through seeded
// random interleavings of user actions (creates, spec edits, adoptions, deletions, charges,
// Argo CD-style replacements), reconciles with faults (a Dodo answer lost after commit, a
// Dodo call failed before commit, a status write failed before or after it was stored or
// conflicting with a concurrent write), operator kills, webhooks delivered late, twice or
// out of order, and time passing. After every step it checks the invariants against the
// simulator's state and a log of every Dodo call, tagged with the object being reconciled:
//
//  1. no write or charge on a Dodo subscription the acting object does not own, and none
//     for a Subscription with managementPolicy ObserveOnly;
//  2. at most one Dodo subscription created per Subscription object (UID);
//  3. at most one payment per (charge key, attempt); at most one update-payment-method
//     call that Dodo may have taken per (object, payment-method request) or per (charge,
//     attempt); no unpaid amount collected by two dues payments;
//  4. at most one change-plan call that Dodo may have taken per requested plan;
//  5. a Subscription with deletionPolicy Cancel or CancelAtPeriodEnd that is gone leaves
//     no Dodo subscription it created or adopted live and unmanaged;
//  6. charges follow the retry policy (attempt cap, no retry after a success or a hard,
//     non-retryable or repeated decline, never sooner than the interval);
//  7. no hot loop: an object does not send the same write more than 10 times without time
//     passing;
//  8. no webhook's effect is lost: once every event is delivered and acknowledged, each
//     Subscription shows its Dodo subscription's status.
//
// Every run is reproducible from its seed: fake clocks, a seeded math/rand/v2, no sleeps,
// webhooks rendered when the test delivers them. The TestRepro tests are the bugs the
// sequences found, scripted.
//
//	go test ./test/sequencetest/ -run TestRandomSequences              # short form, 20
//	go test ./test/sequencetest/ -run TestRandomSequences -seed=N -v   # one sequence
//	SEQUENCES=1000 go test ./test/sequencetest/ -run TestRandomSequences -timeout 60m
package sequencetest
