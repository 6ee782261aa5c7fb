package ondemandcharge

import (
	"container/heap"
	"context"
	"fmt"
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/stamp"
)

// The simulation replays generated histories against the operator's own functions: the
// decision after a decline (retryDecision: dues evidence, the card's latest decline,
// decideAfterDecline), applyResolution for a person's annotation, call for the request
// metadata, and the capacity caps. Dodo's side (payments settling, payments by others,
// the subscription's status and latest payment) and the operator's delays (pauses,
// waiting for a payment method, capacity, outages) are simulated.

type simEventKind int

const (
	evReconcile simEventKind = iota // the operator looks at the charge (deferred by an outage)
	evSettle                        // Dodo settles an attempt's payment
	evLearn                         // the operator learns the outcome (deferred by an outage)
	evDecline                       // a decline outside the charge
	evPayment                       // a succeeded payment by others
	evPerson                        // a person sets the allow-retry annotation
)

type simEvent struct {
	at      time.Time
	seq     int
	kind    simEventKind
	c       *simCharge
	attempt int
	ext     *genExternal
}

type eventQueue []*simEvent

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	return q[i].at.Before(q[j].at) || (q[i].at.Equal(q[j].at) && q[i].seq < q[j].seq)
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(*simEvent)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// Caps of the simulated operator (one per account).
const (
	simPerCustomer = 1
	simInFlight    = 8
)

// oracleStats counts what the run checked.
type oracleStats struct {
	histories, decisions, attempts, metadataChecks int
	outcomes                                       map[string]int
	capacityWaits, outageWaits, blockedWaits       int
	resolutions                                    int
	violations                                     []string
	// offsets are the charges' spreads seen: "do not bunch many subscriptions at the
	// same instant".
	offsets map[time.Duration]bool
}

func (st *oracleStats) violate(c *simCharge, format string, args ...any) {
	st.violations = append(st.violations, c.gen.key+": "+fmt.Sprintf(format, args...))
}

// simAccount is one operator process with its caps, and the charges it reconciles.
type simAccount struct {
	queue    eventQueue
	seq      int
	capacity *capacity
	outages  [][2]time.Time
	inFlight map[*simCharge]bool
	stats    *oracleStats
}

// simCharge is the state of one charge: the operator's object, Dodo's payments, and the
// simulation's own record of attempts for the oracle.
type simCharge struct {
	gen        *genCharge
	api        *scriptedAPI
	charge     *billingv1alpha1.OnDemandCharge
	sub        *billingv1alpha1.Subscription
	ledger     []ledgerEntry
	attempts   []oracleAttempt // declined attempts, as the simulation recorded them
	anchor     time.Time
	allowed    int // the attempt number a person allowed a retry after
	blocks     [][2]time.Time
	due        time.Time
	spread     *time.Duration
	done       bool
	stalled    bool
	inFlight   bool
	externalID int
}

func newSimCharge(g *genCharge) *simCharge {
	c := &simCharge{gen: g, api: newScriptedAPI()}
	c.charge = &billingv1alpha1.OnDemandCharge{ObjectMeta: metav1.ObjectMeta{Name: g.key, Namespace: "sim", UID: types.UID("uid-" + g.key)},
		Spec: billingv1alpha1.OnDemandChargeSpec{SubscriptionRef: billingv1alpha1.LocalSubscriptionReference{Name: "s"},
			Amount: g.amount, Currency: "USD", RetryPolicy: g.retryPolicy},
		Status: billingv1alpha1.OnDemandChargeStatus{ChargeKey: g.key, SubscriptionID: "sub_1"}}
	c.sub = &billingv1alpha1.Subscription{Status: billingv1alpha1.SubscriptionStatus{SubscriptionID: "sub_1",
		ProviderStatus: "active", CustomerID: g.customer, PaymentMethodID: "pm_card"}}
	if g.mandate != nil {
		mandate := metav1.NewTime(*g.mandate)
		c.sub.Status.PreviousBillingDate = &mandate
	}
	return c
}

func (a *simAccount) push(at time.Time, kind simEventKind, c *simCharge, attempt int, ext *genExternal) {
	a.seq++
	heap.Push(&a.queue, &simEvent{at: at, seq: a.seq, kind: kind, c: c, attempt: attempt, ext: ext})
}

// maxEventsPerAccount ends a simulation that does not converge (a charge that never
// stops asking for capacity, say) as a violation instead of a hang.
const maxEventsPerAccount = 200000

// run processes every event in time order.
func (a *simAccount) run() {
	for events := 0; a.queue.Len() > 0; events++ {
		ev := heap.Pop(&a.queue).(*simEvent)
		if events == maxEventsPerAccount {
			a.stats.violate(ev.c, "the simulation did not end after %d events", events)
			return
		}
		if ev.kind == evReconcile || ev.kind == evLearn {
			if end, down := a.outageAt(ev.at); down {
				a.stats.outageWaits++
				a.push(end, ev.kind, ev.c, ev.attempt, ev.ext)
				continue
			}
		}
		switch ev.kind {
		case evReconcile:
			a.reconcile(ev.c, ev.at)
		case evSettle:
			a.settle(ev.c, ev.attempt, ev.at)
		case evLearn:
			a.learn(ev.c, ev.attempt, ev.at)
		case evDecline, evPayment:
			a.external(ev.c, ev.kind, ev.ext, ev.at)
		case evPerson:
			ev.c.allowed = ev.attempt
			ev.c.charge.Annotations = map[string]string{billingv1alpha1.AnnotationAllowRetry: strconv.Itoa(ev.attempt)}
			a.push(ev.at, evReconcile, ev.c, 0, nil)
		}
	}
}

func (a *simAccount) outageAt(t time.Time) (time.Time, bool) {
	for _, o := range a.outages {
		if !t.Before(o[0]) && t.Before(o[1]) {
			return o[1], true
		}
	}
	return time.Time{}, false
}

// reconcile is the part of reconcileNormal the policy is about.
func (a *simAccount) reconcile(c *simCharge, now time.Time) {
	if c.done || c.inFlight {
		return
	}
	for _, b := range c.blocks {
		if !now.Before(b[0]) && now.Before(b[1]) {
			a.stats.blockedWaits++
			a.push(b[1], evReconcile, c, 0, nil)
			return
		}
	}
	s := &scope{charge: c.charge, now: now, api: c.api}
	if c.stalled {
		if !(&Reconciler{API: c.api}).applyResolution(s) {
			return
		}
		a.stats.resolutions++
		c.stalled = false
	}
	if len(c.charge.Status.Attempts) == 0 {
		a.start(c, now)
		return
	}
	a.decide(c, now)
}

// decide runs the operator's decision after a decline, checks it against the oracle and
// acts on it.
func (a *simAccount) decide(c *simCharge, now time.Time) {
	s := &scope{charge: c.charge, now: now, api: c.api}
	last := lastAttempt(&c.charge.Status)
	d, done, err := (&Reconciler{API: c.api}).retryDecision(context.Background(), s, c.sub, last)
	if err != nil {
		a.stats.violate(c, "the decision failed: %v", err)
		c.done = true
		return
	}
	got := operatorOutcome(d, done, s)
	want := oracleDecide(c.facts())
	a.stats.decisions++
	a.stats.outcomes[got]++
	if got != want.outcome {
		a.stats.violate(c, "at %v after attempt %d (%q): the operator says %s, the oracle %s", now, last.Number,
			last.DeclineCode, got, want.outcome)
	}
	switch got {
	case outRetry:
		a.checkSchedule(c, d.next, want)
		c.due = d.next
		if d.next.After(now) {
			a.push(d.next, evReconcile, c, 0, nil)
			return
		}
		a.start(c, now)
	case outUnclear, outPerson:
		c.stalled = true
		if wait := c.gen.person[len(c.attempts)-1]; wait != nil {
			a.push(now.Add(*wait), evPerson, c, len(c.attempts), nil)
		}
	default:
		c.done = true
	}
}

func operatorOutcome(d decision, done bool, s *scope) string {
	switch {
	case done && s.out.finished != nil && s.out.finished.Reason == billingv1alpha1.ReasonSettledByDues:
		return outSettled
	case done && s.out.stalled != nil && s.out.stalled.Reason == billingv1alpha1.ReasonDuesPaymentUnclear:
		return outUnclear
	case done:
		return "done-without-a-reason"
	}
	switch d.action {
	case actionRetry:
		return outRetry
	case actionAskPerson:
		return outPerson
	}
	return map[string]string{billingv1alpha1.ReasonHardDecline: outHard, billingv1alpha1.ReasonAttemptsExhausted: outCap,
		billingv1alpha1.ReasonRepeatedDecline: outRepeat}[d.reason]
}

// checkSchedule: the retry is due as guideScheduleProblem says, with one spread per charge.
func (a *simAccount) checkSchedule(c *simCharge, next time.Time, want oracleVerdict) {
	problem, offset := guideScheduleProblem(next, want.notBefore, c.anchor, c.spread)
	if problem != "" {
		a.stats.violate(c, "%s", problem)
	}
	c.spread = &offset
	a.stats.offsets[offset] = true
}

func (c *simCharge) facts() oracleFacts {
	f := oracleFacts{anchor: c.anchor, attempts: c.attempts, ledger: c.ledger, allowed: c.allowed == len(c.attempts)}
	if rp := c.gen.retryPolicy; rp != nil {
		if rp.MaxAttempts != nil {
			f.maxAttempts = int(*rp.MaxAttempts)
		}
		for _, d := range rp.Intervals {
			f.gaps = append(f.gaps, d.Duration)
		}
	}
	return f
}

// addPayment records a payment in Dodo (the scripted API) and in the oracle's ledger.
func (c *simCharge) addPayment(e ledgerEntry, pm string) {
	status := dodo.PaymentStatusProcessing
	if e.final && e.succeeded {
		status = dodo.PaymentStatusSucceeded
	} else if e.final {
		status = dodo.PaymentStatusFailed
	}
	var metadata map[string]string
	if e.chargeKey != "" {
		metadata = map[string]string{stamp.KeyChargeKey: e.chargeKey}
	}
	p := payment(e.id, status, e.code, e.amount, e.created, pm, metadata)
	p.Currency, p.UpdatedAt = e.currency, nil
	if e.final {
		settled := e.settled
		p.UpdatedAt = &settled
	}
	c.api.payments[e.id] = p
	c.ledger = append(c.ledger, e)
	c.refreshLastPayment()
}

// refreshLastPayment: the subscription's latest announced payment, as the webhook
// receiver keeps it (newest by creation, then ID).
func (c *simCharge) refreshLastPayment() {
	latest, ok := latestOf(c.ledger)
	if !ok {
		return
	}
	at := metav1.NewTime(latest.created)
	status := "failed"
	if latest.succeeded {
		status = "succeeded"
	}
	c.sub.Status.LastPayment = &billingv1alpha1.PaymentSummary{PaymentID: latest.id, Status: status, DeclineCode: latest.code, At: &at}
}
