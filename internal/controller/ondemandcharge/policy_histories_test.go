package ondemandcharge

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/stamp"
)

// The retry policy against the oracle over random histories (docs/reliability.md, "Retry
// policy"). RETRY_ORACLE_SEED and RETRY_ORACLE_HISTORIES repeat or widen a run.
const (
	oracleSeed          = 20261129
	oracleHistories     = 10000
	chargesPerAccount   = 100
	outagesPerAccount   = 4
	oracleViolationsMax = 20 // printed at most
)

func TestRetryPolicyAgainstTheOracle(t *testing.T) {
	seed, histories := uint64(oracleSeed), oracleHistories
	if v, err := strconv.ParseUint(os.Getenv("RETRY_ORACLE_SEED"), 10, 64); err == nil {
		seed = v
	}
	if v, err := strconv.Atoi(os.Getenv("RETRY_ORACLE_HISTORIES")); err == nil && v > 0 {
		histories = v
	}
	began := time.Now()
	stats := runOracle(seed, histories)
	t.Logf("RETRY-ORACLE seed=%d histories=%d decisions=%d attempts=%d metadata-checks=%d violations=%d outcomes=%v "+
		"waits: capacity=%d outage=%d paused-or-waiting=%d; person resolutions=%d; distinct spreads=%d; %v", seed, stats.histories, stats.decisions,
		stats.attempts, stats.metadataChecks, len(stats.violations), stats.outcomes, stats.capacityWaits, stats.outageWaits,
		stats.blockedWaits, stats.resolutions, len(stats.offsets), time.Since(began).Round(time.Millisecond))
	for i, v := range stats.violations {
		if i == oracleViolationsMax {
			break
		}
		t.Error(v)
	}
	if len(stats.violations) > 0 {
		t.Fatalf("%d violations (seed %d)", len(stats.violations), seed)
	}
	// The run must have exercised every rule and delay, or passing it proves little.
	for _, out := range []string{outSettled, outUnclear, outHard, outCap, outRepeat, outPerson, outRetry} {
		if stats.outcomes[out] < 20 {
			t.Errorf("outcome %s decided only %d times", out, stats.outcomes[out])
		}
	}
	// Charges anchored to the same minute must not retry at the same instant.
	if len(stats.offsets) < 100 {
		t.Errorf("retries used only %d distinct spreads", len(stats.offsets))
	}
	if stats.histories != histories || stats.capacityWaits == 0 || stats.outageWaits == 0 || stats.blockedWaits == 0 ||
		stats.resolutions == 0 || stats.metadataChecks == 0 {
		t.Errorf("a part of the model was not exercised: %+v", stats)
	}
}

func runOracle(seed uint64, histories int) *oracleStats {
	g := newGenerator(seed)
	stats := &oracleStats{outcomes: map[string]int{}, offsets: map[time.Duration]bool{}}
	for account := 0; account*chargesPerAccount < histories; account++ {
		a := &simAccount{capacity: newCapacity(simPerCustomer, simInFlight), inFlight: map[*simCharge]bool{}, stats: stats}
		for range outagesPerAccount {
			start := genBase.Add(g.between(0, 45*24*time.Hour))
			a.outages = append(a.outages, [2]time.Time{start, start.Add(g.between(30*time.Minute, 3*24*time.Hour))})
		}
		for i := 0; i < chargesPerAccount && account*chargesPerAccount+i < histories; i++ {
			c := newSimCharge(g.charge(account, i))
			stats.histories++
			a.push(c.gen.created, evReconcile, c, 0, nil)
		}
		a.run()
	}
	return stats
}

// start makes an attempt as startAttempt does: within the caps, the attempt recorded, one
// call (a charge, or the dues on an on_hold subscription).
func (a *simAccount) start(c *simCharge, now time.Time) {
	st := &c.charge.Status
	number := len(st.Attempts) + 1
	if number > MaxAttempts {
		a.stats.violate(c, "attempt %d: more than %d attempts", number, MaxAttempts)
		c.done = true
		return
	}
	key := client.ObjectKeyFromObject(c.charge)
	if !a.capacity.tryAcquire(key, c.gen.customer, nil) {
		a.stats.capacityWaits++
		a.push(now.Add(time.Minute), evReconcile, c, 0, nil)
		return
	}
	a.checkCaps(c)
	a.inFlight[c], c.inFlight = true, true
	if number > 1 {
		a.checkRetryStart(c, now, number)
	}
	via := viaCharge
	if c.sub.Status.ProviderStatus == "on_hold" {
		via = viaDues
	}
	st.Attempts = append(st.Attempts, billingv1alpha1.ChargeAttempt{Number: int32(number), Via: via,
		StartedAt: metav1.NewTime(now), Outcome: billingv1alpha1.AttemptPending})
	if st.AnchorTime == nil {
		anchor := metav1.NewTime(now)
		if c.sub.Status.PreviousBillingDate != nil {
			anchor = *c.sub.Status.PreviousBillingDate
		}
		st.AnchorTime, c.anchor = &anchor, anchor.Time
	}
	r := &Reconciler{API: c.api}
	paymentID, err := r.call(context.Background(), &scope{charge: c.charge, now: now, api: c.api}, c.sub, via, int32(number))
	if err != nil {
		a.stats.violate(c, "call: %v", err)
	}
	if via == viaCharge {
		a.stats.metadataChecks++
		if got := c.api.chargeMetadata[stamp.KeyRetryAttempt]; got != strconv.Itoa(number-1) {
			a.stats.violate(c, "attempt %d sent retry_attempt %q", number, got)
		}
	}
	a.stats.attempts++
	st.Attempts[number-1].PaymentID = paymentID
	c.addPayment(ledgerEntry{id: paymentID, created: now, amount: c.gen.amount, currency: "USD", card: cardSame, ours: true}, "pm_card")
	settled := now.Add(c.gen.settleAfter[number-1])
	a.push(settled, evSettle, c, number, nil)
	a.scheduleGap(c, number, now, settled)
}

// scheduleGap puts the generated events around attempt number on the queue.
func (a *simAccount) scheduleGap(c *simCharge, number int, started, settled time.Time) {
	gap := c.gen.gaps[number-1]
	for kind, ext := range map[simEventKind]*genExternal{evDecline: gap.decline, evPayment: gap.payment} {
		if ext == nil {
			continue
		}
		at := settled.Add(ext.after)
		if ext.after < 0 {
			at = started.Add(-ext.after) // while the attempt is in flight
		}
		a.push(at, kind, c, number, ext)
	}
	if b := gap.block; b != nil {
		from := settled.Add(b.after)
		c.blocks = append(c.blocks, [2]time.Time{from, from.Add(b.long)})
	}
}

// settle is Dodo settling the attempt's payment: the subscription goes on_hold on a
// decline.
func (a *simAccount) settle(c *simCharge, number int, now time.Time) {
	id := c.charge.Status.Attempts[number-1].PaymentID
	outcome := c.gen.outcomes[number-1]
	for i, e := range c.ledger {
		if e.id == id {
			e.final, e.settled, e.succeeded = true, now, outcome == "ok"
			if !e.succeeded {
				e.code = outcome
			}
			c.ledger = append(c.ledger[:i], c.ledger[i+1:]...)
			c.addPayment(e, "pm_card")
			break
		}
	}
	c.sub.Status.ProviderStatus = "active"
	if outcome != "ok" && !c.gen.gaps[number-1].staysActive {
		c.sub.Status.ProviderStatus = "on_hold"
	}
	a.push(now, evLearn, c, number, nil)
}

// learn is the operator recording the outcome (webhook or read), then deciding.
func (a *simAccount) learn(c *simCharge, number int, now time.Time) {
	a.capacity.release(client.ObjectKeyFromObject(c.charge))
	delete(a.inFlight, c)
	c.inFlight = false
	attempt := &c.charge.Status.Attempts[number-1]
	completed := metav1.NewTime(now)
	attempt.CompletedAt, attempt.Outcome = &completed, billingv1alpha1.AttemptSucceeded
	if outcome := c.gen.outcomes[number-1]; outcome != "ok" {
		attempt.Outcome, attempt.DeclineCode = billingv1alpha1.AttemptFailed, outcome
		c.attempts = append(c.attempts, oracleAttempt{start: attempt.StartedAt.Time, code: outcome, paymentID: attempt.PaymentID})
		a.reconcile(c, now)
		return
	}
	c.done = true
}

// external is a payment made outside the charge: a decline (a renewal, a payment-method
// change, the portal) or a succeeded payment (dues paid by others, another charge...).
func (a *simAccount) external(c *simCharge, kind simEventKind, ext *genExternal, now time.Time) {
	c.externalID++
	e := ledgerEntry{id: fmt.Sprintf("pay_ext_%d", c.externalID), created: now, settled: now, final: true, amount: ext.amount,
		currency: "USD", card: ext.card}
	pm := map[string]string{cardSame: "pm_card", cardOther: "pm_other", cardUnknown: ""}[ext.card]
	if kind == evDecline {
		e.code, e.amount = ext.code, 1500
	} else {
		e.succeeded, e.card, pm = true, cardSame, "pm_card"
		switch ext.kind {
		case "otherCharge":
			e.chargeKey = "another-charge"
		case "otherCurrency":
			e.currency = "EUR"
		case "dues":
			c.sub.Status.ProviderStatus = "active"
		}
	}
	c.addPayment(e, pm)
	a.push(now, evReconcile, c, 0, nil)
}

// checkCaps: attempts in flight per customer and in the account stay within the caps.
func (a *simAccount) checkCaps(c *simCharge) {
	sameCustomer := 0
	for other := range a.inFlight {
		if other.gen.customer == c.gen.customer {
			sameCustomer++
		}
	}
	if sameCustomer+1 > simPerCustomer || len(a.inFlight)+1 > simInFlight {
		a.stats.violate(c, "caps exceeded: %d in flight for customer %s, %d in the account", sameCustomer+1, c.gen.customer,
			len(a.inFlight)+1)
	}
}
