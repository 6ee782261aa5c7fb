package faulttest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/accounts"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
	"github.com/dodo-operator/dodo-operator/internal/stamp"
	"github.com/dodo-operator/dodo-operator/test/harness"
)

// Faults of the two-account scenario, on both simulators: write answers lost after commit
// (as in TestLostResponses, more often so that each account sees some in its fewer
// calls), 5xx answered before anything is done and latency (creates, charges, patches and
// reads; see accountFaults for the plan changes).
const (
	accountsLostRate     = 0.2
	accountsErrorRate    = 0.1
	accountsReadErrRate  = 0.05
	accountsWriteLatency = 100 * time.Millisecond
	accountsReadLatency  = 20 * time.Millisecond
)

// accountsKills is how often the operator is SIGKILLed: three rounds' worth as in
// TestCrashAtRandomPoints in the short form, a fifth of that test's kills in the long form
// (each round here creates eight Subscriptions and converges twice).
var accountsKills = max(crashKills/5, 3*killsPerRound)

// accountsSecondName names the second account's DodoAccount and Secret.
const accountsSecondName = "second"

// twoAccounts is the two-account scenario: the operator's own account (the shared
// simulator, sys.Sim) and a DodoAccount reaching a second simulator of its own.
type twoAccounts struct {
	*suite
	m *model
	// simB is the second account's simulator; refB the accountRef naming its DodoAccount.
	simB *harness.SimServer
	refB *billingv1alpha1.AccountReference
	// owners are the test's Subscriptions and OnDemandCharges by UID.
	owners map[types.UID]owner
	// inB says which objects (Subscriptions and OnDemandCharges by name) use account B.
	inB map[string]bool
}

type owner struct {
	kind, name string
	inB        bool
}

// TestTwoAccountsUnderFaults runs rounds of creates, on-demand charges and deletions with
// the operator SIGKILLed twice per round, as TestCrashAtRandomPoints does, then a plan
// change in each account, with two Dodo accounts: half the Subscriptions (and their
// charges) name a DodoAccount reaching a second simulator with its own key, fault seed
// and webhooks (delivered to the receiver's path of that account, signed with its own
// secret); the rest use the operator's own account. Both simulators lose 20% of write
// answers after committing them, answer 10% of creates, charges and patches and 5% of
// reads with a 5xx, and delay them. In each account the money invariants must hold at
// every kill and after every round, no object's stamp may ever appear in the other
// account's simulator, and in the end every status must name what its own account holds.
func TestTwoAccountsUnderFaults(t *testing.T) {
	opts := testOperator()
	a := &twoAccounts{suite: newSuite(t, "accounts", &opts), m: newModel(), owners: map[types.UID]owner{}, inB: map[string]bool{}}
	a.startSecondAccount()
	beforeA, beforeB := sys.Sim.Calls.Snapshot(), a.simB.Calls.Snapshot()
	a.dumpCalls(beforeA, beforeB)
	if err := sys.Sim.SetFaults(accountFaults(seed)); err != nil {
		t.Fatal(err)
	}
	if err := a.simB.SetFaults(accountFaults(seed ^ hash(accountsSecondName))); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sys.Sim.SetFaults(simulator.Faults{}) })
	kills := 0
	for round := 0; kills < accountsKills; round++ {
		start := time.Now()
		a.applyRound(round)
		for k := 0; k < killsPerRound && kills < accountsKills; k++ {
			time.Sleep(a.jitter(50*time.Millisecond, 1500*time.Millisecond))
			a.crashAndRestart()
			kills++
			a.checkAccounts(fmt.Sprintf("after kill %d", kills))
		}
		a.eventually(fmt.Sprintf("convergence of round %d", round), 3*time.Minute, func() (bool, string) { return a.converged(a.m) })
		a.checkAccounts(fmt.Sprintf("after round %d", round))
		a.changePlans(round)
		a.eventually(fmt.Sprintf("plan changes of round %d", round), 3*time.Minute, func() (bool, string) { return a.converged(a.m) })
		a.checkAccounts(fmt.Sprintf("after the plan changes of round %d", round))
		t.Logf("round %d converged in %s", round, time.Since(start).Round(100*time.Millisecond))
		a.count("rounds", 1)
	}
	a.checkFinal()
	a.countFaults(a.label(false), sys.Sim.Calls.Snapshot().Sub(beforeA))
	a.countFaults(a.label(true), a.simB.Calls.Snapshot().Sub(beforeB))
	a.checkSecondWebhooks()
	a.report()
}

// startSecondAccount starts the second simulator, creates its Secret and DodoAccount in
// the test's namespace, waits until the operator has found the account Ready, and points
// the simulator's webhooks at the receiver's path of the account.
func (a *twoAccounts) startSecondAccount() {
	a.t.Helper()
	simB, err := harness.StartSimulator(harness.SimOptions{Seed: seed ^ hash("simulator "+accountsSecondName), Pessimism: pessimism()})
	if err != nil {
		a.t.Fatal(err)
	}
	a.simB = simB
	// The objects of the second account are left behind like every test's, but paused
	// first: the operators of later tests watch every namespace, and would call a
	// simulator that no longer runs (the account cannot be deleted while they use it).
	a.t.Cleanup(func() {
		a.pauseSecondAccount()
		if err := simB.Close(); err != nil {
			a.t.Errorf("stopping the second simulator: %v", err)
		}
	})
	a.create(harness.AccountSecret(a.ns, accountsSecondName, simB))
	a.create(harness.AccountFor(a.ns, accountsSecondName, accountsSecondName, simB))
	a.refB = &billingv1alpha1.AccountReference{Kind: billingv1alpha1.AccountKindNamespaced, Name: accountsSecondName}
	a.eventually("the DodoAccount Ready", time.Minute, func() (bool, string) {
		got := &billingv1alpha1.DodoAccount{}
		if err := a.get(accountsSecondName, got); err != nil {
			return false, err.Error()
		}
		return harness.ConditionStatus(got.Status.Conditions, billingv1alpha1.ConditionReady) == "True", conditionsText(got.Status.Conditions)
	})
	url, err := sys.Receiver.AccountWebhookURL(a.keyB())
	if err != nil {
		a.t.Fatal(err)
	}
	if err := simB.SendWebhooksTo(url); err != nil {
		a.t.Fatal(err)
	}
}

// pauseSecondAccount stops every call for the second account's objects.
func (a *twoAccounts) pauseSecondAccount() {
	patch := client.RawPatch(types.MergePatchType, fmt.Appendf(nil, `{"metadata":{"annotations":{%q:"true"}}}`, billingv1alpha1.AnnotationPaused))
	for _, who := range a.owners {
		if !who.inB {
			continue
		}
		var obj client.Object = &billingv1alpha1.Subscription{}
		if who.kind == "OnDemandCharge" {
			obj = &billingv1alpha1.OnDemandCharge{}
		}
		obj.SetNamespace(a.ns)
		obj.SetName(who.name)
		if err := sys.Client.Patch(a.ctx, obj, patch); client.IgnoreNotFound(err) != nil {
			a.t.Errorf("pausing %s %s: %v", who.kind, who.name, err)
		}
	}
}

// dumpCalls logs each account's payments API calls since the test began, by route and
// status, when the test fails.
func (a *twoAccounts) dumpCalls(beforeA, beforeB harness.CallCounts) {
	a.t.Cleanup(func() {
		if !a.t.Failed() {
			return
		}
		for _, inB := range []bool{false, true} {
			sim, before := sys.Sim, beforeA
			if inB {
				sim, before = a.simB, beforeB
			}
			calls := sim.Calls.Snapshot().Sub(before)
			lines := make([]string, 0, len(calls))
			for key, n := range calls {
				lines = append(lines, fmt.Sprintf("%s -> %d: %d", key.Route, key.Status, n))
			}
			slices.Sort(lines)
			if len(lines) == 0 {
				lines = append(lines, "(none)")
			}
			a.t.Logf("%s's payments API calls:\n  %s", a.account(inB), strings.Join(lines, "\n  "))
		}
	})
}

// accountFaults are the faults of one account's simulator, seeded with seed.
func accountFaults(seed uint64) simulator.Faults {
	faults := simulator.Faults{Seed: seed, Routes: map[string]simulator.RouteFaults{}}
	for i, route := range harness.WriteRoutes {
		mode, status := simulator.FailModeBadGateway, http.StatusInternalServerError
		if i%2 == 0 {
			mode, status = simulator.FailModeDrop, http.StatusServiceUnavailable
		}
		rf := simulator.RouteFaults{FailAfterCommitRate: accountsLostRate, FailAfterCommitMode: mode}
		// A change-plan or update-payment-method whose outcome is unknown is never sent
		// again (docs/money-safety.md). A 5xx answered before anything was done, or a
		// SIGKILL while the simulator delays the call (it drops a request whose caller
		// went away), would leave the plan pending for good: those two get only lost
		// answers of calls Dodo took, like the other scenarios.
		if route != simulator.RouteChangePlan && route != simulator.RouteUpdatePaymentMethod {
			rf.ErrorRate, rf.ErrorStatus = accountsErrorRate, status
			rf.Latency = simulator.Duration(accountsWriteLatency)
		}
		faults.Routes[route] = rf
	}
	for _, route := range []string{simulator.RouteGetSubscription, simulator.RouteListSubscriptions,
		simulator.RouteGetPayment, simulator.RouteListPayments} {
		faults.Routes[route] = simulator.RouteFaults{ErrorRate: accountsReadErrRate, ErrorStatus: http.StatusBadGateway,
			Latency: simulator.Duration(accountsReadLatency)}
	}
	return faults
}

// applyRound starts a round's work, half of it in each account: eight creates (in each
// account two monthly subscriptions, one with either deletion policy, and two on-demand),
// and in each account, on objects of earlier rounds, two charges and a deletion.
func (a *twoAccounts) applyRound(round int) {
	prefix := fmt.Sprintf("r%03d", round)
	for i, name := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		name = prefix + "-" + name
		var sub *billingv1alpha1.Subscription
		switch i % 4 {
		case 0:
			sub = harness.RegularSubscription(a.ns, name, billingv1alpha1.DeletionPolicyCancel)
		case 1:
			sub = harness.RegularSubscription(a.ns, name, billingv1alpha1.DeletionPolicyCancelAtPeriodEnd)
		default:
			sub = harness.OnDemandSubscription(a.ns, name, name+harness.EmailDomain)
		}
		inB := i%2 == round%2
		if inB {
			sub.Spec.AccountRef = a.refB.DeepCopy()
		}
		a.addSubscription(a.m, sub, round)
		a.own("Subscription", sub.Name, sub.UID, inB)
	}
	for _, inB := range []bool{false, true} {
		for k := range 2 {
			if name := a.pick(a.m, true, round, a.inAccount(inB)); name != "" {
				charge := harness.Charge(a.ns, fmt.Sprintf("%s-charge-%s-%d", prefix, a.label(inB), k), name, int64(100+10*round+k))
				a.addCharge(a.m, charge)
				a.own("OnDemandCharge", charge.Name, charge.UID, inB)
			}
		}
		if name := a.pick(a.m, false, round, a.inAccount(inB)); name != "" {
			a.deleteSubscription(a.m, name)
		}
	}
}

// changePlans changes the plan of one monthly subscription in each account, once the
// round has converged: not while the operator is killed. A change-plan is never sent
// twice for the same plan (docs/money-safety.md), so a SIGKILL between storing its marker
// and the call reaching Dodo leaves the plan pending for good; TestCrashAtRandomPoints
// kills during plan changes, this test checks the accounts.
func (a *twoAccounts) changePlans(round int) {
	for _, inB := range []bool{false, true} {
		if name := a.pick(a.m, false, round+1, a.inAccount(inB)); name != "" {
			a.changePlan(a.m, name)
		}
	}
}

func (a *twoAccounts) inAccount(inB bool) func(*subModel) bool {
	return func(sm *subModel) bool { return a.inB[sm.name] == inB }
}

// label is a short name of an account for object names and counts.
func (a *twoAccounts) label(inB bool) string {
	if inB {
		return accountsSecondName
	}
	return "default"
}

func (a *twoAccounts) own(kind, name string, uid types.UID, inB bool) {
	a.owners[uid] = owner{kind: kind, name: name, inB: inB}
	a.inB[name] = inB
	if inB {
		a.count("objects in the second account", 1)
	}
}

// keyB is the second account's key, spelled out rather than resolved with the code under
// test (accounts.KeyOf).
func (a *twoAccounts) keyB() accounts.Key {
	return accounts.Key{Kind: billingv1alpha1.AccountKindNamespaced, Namespace: a.ns, Name: accountsSecondName}
}

// account names the account of an object for messages.
func (a *twoAccounts) account(inB bool) string {
	if inB {
		return a.keyB().String()
	}
	return accounts.Key{}.String()
}

// states are the two simulators' state dumps, the operator's own account's first.
func (a *twoAccounts) states() map[bool]simulator.State {
	return map[bool]simulator.State{false: sys.Sim.State(), true: a.simB.State()}
}

// checkAccounts checks what must hold at every moment: in each account's simulator, only
// stamps of that account's objects, and no double create or charge among them.
func (a *twoAccounts) checkAccounts(when string) {
	a.t.Helper()
	var problems []string
	states := a.states()
	for _, inB := range []bool{false, true} {
		st := states[inB]
		for _, o := range harness.StampedObjects(st, a.ns) {
			who, known := a.owners[o.Identity.UID]
			switch {
			case !known:
				problems = append(problems, fmt.Sprintf("%s's simulator holds %s, stamped with no object of the test", a.account(inB), o))
			case who.inB != inB:
				problems = append(problems, fmt.Sprintf("CROSS-ACCOUNT: %s's simulator holds %s, but %s %s uses %s",
					a.account(inB), o, who.kind, who.name, a.account(who.inB)))
			}
		}
		if f := a.findings(st, inB); f.Duplicates() != 0 {
			problems = append(problems, fmt.Sprintf("%s: money invariant broken: %s", a.account(inB), f))
		}
	}
	if len(problems) > 0 {
		a.t.Fatalf("%s: %d per-account invariant violations:\n  %s", when, len(problems), strings.Join(problems, "\n  "))
	}
	a.count("per-account invariant checks", 1)
}

// findings are CheckState's findings on one account's simulator for the objects of that
// account.
func (a *twoAccounts) findings(st simulator.State, inB bool) harness.Findings {
	return harness.CheckState(harness.KeepStamped(st, a.ns, func(id stamp.Identity) bool {
		who, known := a.owners[id.UID]
		return known && who.inB == inB
	}), a.ns)
}

// checkFinal compares the converged objects with their own account's simulator, as
// checkMoney does for one account, and checks that every ID a status records is its own
// account's: the Subscription's subscriptionID, and the charge's account and payments.
func (a *twoAccounts) checkFinal() {
	a.t.Helper()
	a.checkAccounts("after convergence")
	states := a.states()
	var problems []string
	for _, name := range sortedKeys(a.m.subs) {
		sm, inB := a.m.subs[name], a.inB[name]
		own := states[inB]
		problems = append(problems, a.subscriptionProblems(own, sm, harness.SubscriptionsByUID(own, a.ns)[string(sm.uid)])...)
		if sm.deleted {
			continue
		}
		obj := &billingv1alpha1.Subscription{}
		if err := a.get(name, obj); err != nil {
			problems = append(problems, name+": "+err.Error())
			continue
		}
		if !sameAccount(obj.Spec.AccountRef, a.ref(inB)) {
			problems = append(problems, fmt.Sprintf("%s: spec.accountRef %+v, want %s", name, obj.Spec.AccountRef, a.account(inB)))
		}
		problems = append(problems, a.idProblems(states, inB, "Subscription "+name+" status.subscriptionID", obj.Status.SubscriptionID, subscriptionIDs)...)
		a.count("subscription IDs checked in their account", 1)
	}
	for _, name := range sortedKeys(a.m.charges) {
		inB := a.inB[name]
		problems = append(problems, a.chargeProblems(states[inB], name)...)
		charge := &billingv1alpha1.OnDemandCharge{}
		if err := a.get(name, charge); err != nil {
			problems = append(problems, name+": "+err.Error())
			continue
		}
		if !sameAccount(charge.Status.AccountRef, a.ref(inB)) {
			problems = append(problems, fmt.Sprintf("%s: status.accountRef %+v, want %s (its subscription's)", name, charge.Status.AccountRef, a.account(inB)))
		}
		for _, attempt := range charge.Status.Attempts {
			problems = append(problems, a.idProblems(states, inB, "OnDemandCharge "+name+" payment", attempt.PaymentID, paymentIDs)...)
			a.count("charge payments checked in their account", 1)
		}
	}
	if len(problems) > 0 {
		a.t.Fatalf("the two accounts converged to the wrong state (%d problems):\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
	for _, inB := range []bool{false, true} {
		f := a.findings(states[inB], inB)
		a.count(fmt.Sprintf("dodo subscriptions in %s", a.account(inB)), f.Subscriptions)
		a.count(fmt.Sprintf("charge payments in %s", a.account(inB)), f.ChargePayments)
	}
}

// idProblems says what is wrong with an ID a status records: absent from its own
// account's simulator, or present in the other's.
func (a *twoAccounts) idProblems(states map[bool]simulator.State, inB bool, what, id string, ids func(simulator.State) map[string]bool) []string {
	var out []string
	switch {
	case id == "":
		out = append(out, what+" is empty")
	case !ids(states[inB])[id]:
		out = append(out, fmt.Sprintf("%s %s is not in its own account's (%s) simulator", what, id, a.account(inB)))
	}
	if id != "" && ids(states[!inB])[id] {
		out = append(out, fmt.Sprintf("CROSS-ACCOUNT: %s %s is in the other account's (%s) simulator", what, id, a.account(!inB)))
	}
	return out
}

func subscriptionIDs(st simulator.State) map[string]bool {
	out := map[string]bool{}
	for _, sub := range st.Subscriptions {
		out[sub.SubscriptionID] = true
	}
	return out
}

func paymentIDs(st simulator.State) map[string]bool {
	out := map[string]bool{}
	for _, p := range st.Payments {
		out[p.PaymentID] = true
	}
	return out
}

func (a *twoAccounts) ref(inB bool) *billingv1alpha1.AccountReference {
	if inB {
		return a.refB
	}
	return nil
}

func sameAccount(x, y *billingv1alpha1.AccountReference) bool {
	if x == nil || y == nil {
		return x == y
	}
	return *x == *y
}

// countFaults reports one account's payments API writes, the answers lost after commit and
// the 5xx answered before; the test proves nothing for an account whose writes saw none.
func (a *twoAccounts) countFaults(label string, calls harness.CallCounts) {
	a.t.Helper()
	writes, lost, failed := 0, 0, 0
	for key, n := range calls {
		if !isWriteRoute(key.Route) {
			continue
		}
		writes += n
		switch key.Status {
		case 0, http.StatusBadGateway:
			lost += n
		case http.StatusInternalServerError, http.StatusServiceUnavailable:
			failed += n
		}
	}
	a.count(label+" account writes", writes)
	a.count(label+" account answers lost after commit", lost)
	a.count(label+" account writes answered 5xx", failed)
	if lost+failed == 0 {
		a.t.Fatalf("%s account: no write fault fired in %d writes (try another FAULTTEST_SEED)", label, writes)
	}
}

func isWriteRoute(route string) bool {
	for _, r := range harness.WriteRoutes {
		if r == route {
			return true
		}
	}
	return false
}

// checkSecondWebhooks reports the second simulator's deliveries to the receiver's account
// path: some must have been taken, and none refused as badly signed (the account's own
// secret signs them).
func (a *twoAccounts) checkSecondWebhooks() {
	a.t.Helper()
	delivered, refused := 0, 0
	for _, r := range a.simB.Deliveries() {
		if r.Status == simulator.DeliveryDelivered {
			delivered++
		}
		for _, attempt := range r.Attempts {
			if attempt.StatusCode == http.StatusUnauthorized {
				refused++
			}
		}
	}
	a.count("second account webhooks delivered", delivered)
	a.count("second account webhook attempts refused 401", refused)
	if delivered == 0 || refused > 0 {
		a.t.Fatalf("the receiver took %d of the second account's webhooks and refused %d attempts as unsigned (want some, and none)",
			delivered, refused)
	}
}
