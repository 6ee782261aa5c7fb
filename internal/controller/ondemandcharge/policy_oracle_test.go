package ondemandcharge

import (
	"fmt"
	"time"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// The oracle: a second, minimal reading of the on-demand guide's safe retry policy, written
// from the guide's text and docs/retry-policy.md, not from policy.go. It shares no code with
// the operator's policy except the documented decline table (for "hard").

// guideSkipList: "never retry" (the guide's skip list).
var guideSkipList = map[string]bool{"STOLEN_CARD": true, "DO_NOT_HONOR": true, "FRAUDULENT": true,
	"PICKUP_CARD": true, "AUTHENTICATION_FAILURE": true, "LOST_CARD": true}

// guideRetryable: "retry only retryable failures (network/issuer errors, insufficient
// funds)", as listed in docs/retry-policy.md.
var guideRetryable = map[string]bool{"INSUFFICIENT_FUNDS": true, "LIMIT_EXCEEDED": true, "CARD_VELOCITY_EXCEEDED": true,
	"PROCESSING_ERROR": true, "NETWORK_ERROR": true, "NETWORK_TIMEOUT": true, "TRY_AGAIN_LATER": true}

// guideGaps: attempt 2 at +3 days, attempt 3 at +7 more days, attempt 4 at +7 more days.
var guideGaps = []time.Duration{3 * 24 * time.Hour, 7 * 24 * time.Hour, 7 * 24 * time.Hour}

// guideMaxAttempts: "cap total attempts at 3-4".
const guideMaxAttempts = 4

// guideNeverAgain: a hard decline ("never retry hard declines") or one on the skip list.
func guideNeverAgain(code string) bool {
	class := dodo.ClassifyDecline(code)
	return guideSkipList[code] || (class.Known && class.Hard)
}

// Cards a payment can be on, seen from the charge.
const (
	cardSame    = "same"    // the subscription's current payment method: what a retry charges
	cardOther   = "other"   // another payment method
	cardUnknown = "unknown" // Dodo did not say
)

// ledgerEntry is one payment of the subscription, as the world knows it.
type ledgerEntry struct {
	id        string
	created   time.Time
	settled   time.Time // when it failed or succeeded
	final     bool      // failed or succeeded (announced)
	succeeded bool
	code      string
	amount    int64
	currency  string
	chargeKey string // the k8s_charge_key stamp; "" for dues, renewals and the like
	card      string
	ours      bool // a payment of this charge's attempts
}

// oracleAttempt is a declined attempt of the charge.
type oracleAttempt struct {
	start     time.Time
	code      string
	paymentID string
}

// oracleFacts is what the guide's rules need at one decision.
type oracleFacts struct {
	maxAttempts int             // the spec's, 0 when unset
	gaps        []time.Duration // the spec's intervals, nil when unset
	anchor      time.Time
	attempts    []oracleAttempt
	ledger      []ledgerEntry
	allowed     bool // a person allowed one more attempt after the last
}

// Oracle outcomes.
const (
	outSettled = "settled" // a dues payment paid the amount: never charge again
	outUnclear = "unclear" // a succeeded payment may have: ask a person
	outHard    = "hard"
	outCap     = "cap"
	outRepeat  = "repeat"
	outPerson  = "person" // not a retryable decline: ask a person
	outRetry   = "retry"
)

// oracleVerdict: the outcome, and for a retry the instant the interval ends.
type oracleVerdict struct {
	outcome   string
	notBefore time.Time
}

func oracleDecide(f oracleFacts) oracleVerdict {
	last := f.attempts[len(f.attempts)-1]
	if out := oracleDues(f, last); out != "" {
		return oracleVerdict{outcome: out}
	}
	// "Evaluate the last decline reason every time": this charge's, and the card's latest
	// outside the charge when it is newer, or hard (that card is never charged again).
	codes := []string{last.code}
	if latest, ok := latestOf(f.ledger); ok && !latest.ours && !latest.succeeded && latest.card != cardOther &&
		(guideNeverAgain(latest.code) || !latest.created.Before(last.start)) {
		codes = append(codes, latest.code)
	}
	for _, c := range codes {
		if guideNeverAgain(c) {
			return oracleVerdict{outcome: outHard}
		}
	}
	maxAttempts := guideMaxAttempts
	if f.maxAttempts >= 1 && f.maxAttempts <= guideMaxAttempts {
		maxAttempts = f.maxAttempts
	}
	n := len(f.attempts)
	if n >= maxAttempts {
		return oracleVerdict{outcome: outCap}
	}
	if n >= 2 && last.code != "" && f.attempts[n-2].code == last.code {
		return oracleVerdict{outcome: outRepeat}
	}
	for _, c := range codes {
		if !guideRetryable[c] && !f.allowed {
			return oracleVerdict{outcome: outPerson}
		}
	}
	return oracleVerdict{outcome: outRetry, notBefore: guideNotBefore(f, last.start, n)}
}

// oracleDues: "a failed charge settled by a dues payment is paid and must never be charged
// again". A dues payment carries no charge stamp, comes after the decline, and covers the
// declined amount; any other unstamped success since the declined payment is unclear.
func oracleDues(f oracleFacts, last oracleAttempt) string {
	var declined *ledgerEntry
	for i := range f.ledger {
		if f.ledger[i].id == last.paymentID {
			declined = &f.ledger[i]
		}
	}
	if declined == nil {
		return ""
	}
	unclear := false
	for _, p := range f.ledger {
		if !p.succeeded || p.ours || p.chargeKey != "" || !p.created.After(declined.created) {
			continue
		}
		if p.created.After(declined.settled) && p.amount >= declined.amount && p.currency == declined.currency {
			return outSettled
		}
		unclear = true
	}
	if unclear && !f.allowed {
		return outUnclear
	}
	return ""
}

// latestOf is the subscription's latest announced payment (by creation, then ID).
func latestOf(ledger []ledgerEntry) (ledgerEntry, bool) {
	var latest ledgerEntry
	found := false
	for _, p := range ledger {
		if p.final && (!found || p.created.After(latest.created) || (p.created.Equal(latest.created) && p.id > latest.id)) {
			latest, found = p, true
		}
	}
	return latest, found
}

// guideNotBefore: the gap after attempt n counts from attempt n ("+3 days", "+7 more
// days"); no retry starts before it has passed.
func guideNotBefore(f oracleFacts, lastStart time.Time, n int) time.Time {
	gaps := guideGaps
	if len(f.gaps) > 0 {
		gaps = f.gaps
	}
	gap := gaps[len(gaps)-1]
	if n-1 < len(gaps) {
		gap = gaps[n-1]
	}
	return lastStart.UTC().Add(gap)
}

// guideScheduleProblem checks a scheduled retry against "anchor retries to the mandate's
// time of day; use UTC" and docs/retry-policy.md's spread: due at or after notBefore, at
// the anchor's time of day plus an offset under spreadWindow that is the same for every
// retry of the charge (offset, nil before the first), and at the first such instant.
func guideScheduleProblem(due, notBefore, anchor time.Time, offset *time.Duration) (string, time.Duration) {
	tod := time.Duration((secondOfDay(due)-secondOfDay(anchor)+86400)%86400) * time.Second
	switch {
	case due.Before(notBefore):
		return fmt.Sprintf("due %v, before the interval ends at %v", due, notBefore), tod
	case !due.Add(-24 * time.Hour).Before(notBefore):
		return fmt.Sprintf("due %v, a day or more after the first allowed instant %v", due, notBefore), tod
	case tod >= spreadWindow:
		return fmt.Sprintf("due %v, %v after the anchor's time of day %v", due, tod, anchor.UTC()), tod
	case offset != nil && *offset != tod:
		return fmt.Sprintf("due %v: the spread moved from %v to %v", due, *offset, tod), tod
	}
	return "", tod
}

func secondOfDay(t time.Time) int {
	t = t.UTC()
	return t.Hour()*3600 + t.Minute()*60 + t.Second()
}

// checkRetryStart checks, from the simulation's own record and not the operator's, the
// invariants every retry meets when it starts: within maxAttempts (at most 4); at least
// its interval after the previous attempt and not before its due time; never after a hard
// or skip-list decline on the card, a repeated decline, a decline not on the retryable
// list (unless a person allowed this attempt), or a dues payment that paid (or may have
// paid) the amount.
func (a *simAccount) checkRetryStart(c *simCharge, now time.Time, number int) {
	f := c.facts()
	maxAttempts := guideMaxAttempts
	if f.maxAttempts >= 1 && f.maxAttempts <= guideMaxAttempts {
		maxAttempts = f.maxAttempts
	}
	prev := c.attempts[len(c.attempts)-1]
	if number > maxAttempts || number != len(c.attempts)+1 {
		a.stats.violate(c, "attempt %d of at most %d (%d declined before)", number, maxAttempts, len(c.attempts))
	}
	if notBefore := guideNotBefore(f, prev.start, len(c.attempts)); now.Before(notBefore) || now.Before(c.due) {
		a.stats.violate(c, "attempt %d at %v: the interval ends at %v, the due time is %v", number, now, notBefore, c.due)
	}
	for _, at := range c.attempts {
		if guideNeverAgain(at.code) {
			a.stats.violate(c, "attempt %d after a hard decline %s", number, at.code)
		}
	}
	if n := len(c.attempts); n >= 2 && prev.code != "" && c.attempts[n-2].code == prev.code {
		a.stats.violate(c, "attempt %d after the decline %s repeated", number, prev.code)
	}
	allowed := c.allowed == len(c.attempts)
	if !guideRetryable[prev.code] && !allowed {
		a.stats.violate(c, "attempt %d after %q, not retryable, without a person's consent", number, prev.code)
	}
	if latest, ok := latestOf(c.ledger); ok && !latest.ours && !latest.succeeded && latest.card != cardOther {
		if guideNeverAgain(latest.code) || (!latest.created.Before(prev.start) && !guideRetryable[latest.code] && !allowed) {
			a.stats.violate(c, "attempt %d charged a card whose latest decline was %q", number, latest.code)
		}
	}
	if dues := oracleDues(f, prev); dues != "" {
		a.stats.violate(c, "attempt %d after a succeeded payment (%s): charged twice?", number, dues)
	}
}
