// Package ondemandcharge reconciles OnDemandCharge objects: exactly one payment per attempt,
// and retries only as the on-demand guide's safe policy allows (docs/retry-policy.md).
package ondemandcharge

import (
	"fmt"
	"hash/fnv"
	"time"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// Policy limits, from the on-demand guide: 3-4 attempts, day 0, +3, +7, +7 days.
const (
	MaxAttempts = 4
	// spreadWindow bounds the per-charge spread: every retry of a charge starts the same
	// stable offset in [0, spreadWindow) after its due time, so that charges anchored to
	// the same time of day never reach the card networks together. It only ever delays.
	spreadWindow = 15 * time.Minute
)

// DefaultIntervals are the gaps between attempts: day 0, day 3, day 10, day 17.
var DefaultIntervals = []time.Duration{72 * time.Hour, 168 * time.Hour, 168 * time.Hour}

// policy is the effective retry policy of one charge.
type policy struct {
	maxAttempts int
	intervals   []time.Duration
}

// policyOf applies the defaults to the spec's retry policy.
func policyOf(spec *billingv1alpha1.OnDemandChargeSpec) policy {
	p := policy{maxAttempts: MaxAttempts, intervals: DefaultIntervals}
	if rp := spec.RetryPolicy; rp != nil {
		if rp.MaxAttempts != nil && *rp.MaxAttempts >= 1 && *rp.MaxAttempts <= MaxAttempts {
			p.maxAttempts = int(*rp.MaxAttempts)
		}
		if len(rp.Intervals) > 0 {
			p.intervals = make([]time.Duration, 0, len(rp.Intervals))
			for _, d := range rp.Intervals {
				p.intervals = append(p.intervals, d.Duration)
			}
		}
	}
	return p
}

// interval is the least time between attempt next-1 and attempt next (2..).
func (p policy) interval(next int) time.Duration {
	return p.intervals[min(next-2, len(p.intervals)-1)]
}

// cardDecline is a decline of the payment method the next attempt would charge, made
// outside this charge (a renewal, a payment-method change, the customer portal).
type cardDecline struct {
	paymentID string
	code      string
	at        time.Time // the payment's creation; zero when unknown
}

// retryInput is everything the decision after a declined attempt depends on.
type retryInput struct {
	policy    policy
	attempts  []billingv1alpha1.ChargeAttempt // the last one declined
	anchor    time.Time
	spreadKey string
	card      *cardDecline // the latest decline on the card outside this charge, if any
	allowed   bool         // a person allowed one more attempt after the last (billingv1alpha1.AnnotationAllowRetry)
}

// retryAction is what follows a declined attempt.
type retryAction int

const (
	actionRetry     retryAction = iota // schedule the next attempt
	actionStop                         // no further attempt: the charge fails
	actionAskPerson                    // no attempt unless a person allows one (billingv1alpha1.AnnotationAllowRetry)
)

// decision is the policy's answer; next is set for actionRetry.
type decision struct {
	action  retryAction
	reason  string
	message string
	next    time.Time
}

// decideAfterDecline applies the guide's rules, in this order: never retry a hard or
// skip-list decline of the card (the charge's own or the latest outside it), never past
// the attempt cap, never when the same decline repeats, and retry only declines known to
// be retryable unless a person allows one more attempt. See docs/retry-policy.md.
func decideAfterDecline(in retryInput) decision {
	last := in.attempts[len(in.attempts)-1]
	weighed := declinesToWeigh(in)
	for _, w := range weighed {
		if dodo.ClassifyDecline(w.code).NeverRetry {
			return decision{action: actionStop, reason: billingv1alpha1.ReasonHardDecline, message: fmt.Sprintf("The payment method was "+
				"declined with %s (%s), a decline that must not be retried on the same payment method; "+
				"no further attempt will be made.", displayCode(w.code), w.source)}
		}
	}
	switch n := len(in.attempts); {
	case n >= in.policy.maxAttempts:
		return decision{action: actionStop, reason: billingv1alpha1.ReasonAttemptsExhausted, message: fmt.Sprintf(
			"All %d attempts were declined; the last with %s.", n, displayCode(last.DeclineCode))}
	case n >= 2 && last.DeclineCode != "" && in.attempts[n-2].DeclineCode == last.DeclineCode:
		return decision{action: actionStop, reason: billingv1alpha1.ReasonRepeatedDecline, message: "The same decline (" + last.DeclineCode +
			") repeated; retries stop, as the on-demand guide asks. Create a new charge after the customer fixes the payment method."}
	}
	for _, w := range weighed {
		if !dodo.ClassifyDecline(w.code).Retryable && !in.allowed {
			return decision{action: actionAskPerson, reason: billingv1alpha1.ReasonDeclineNotRetryable,
				message: fmt.Sprintf("%s was declined with %s, "+
					"which is not on the list of retryable declines (docs/retry-policy.md); no attempt is made. To allow one more "+
					"attempt, set the annotation %s to %q; otherwise delete this charge.",
					w.source, displayCode(w.code), billingv1alpha1.AnnotationAllowRetry, fmt.Sprint(last.Number))}
		}
	}
	next := nextAttemptAt(in.policy, last.StartedAt.Time, in.anchor, len(in.attempts)+1, in.spreadKey)
	return decision{action: actionRetry, next: next}
}

// weighedDecline is a decline the decision looks at, with where it comes from.
type weighedDecline struct {
	code   string
	source string
}

// declinesToWeigh are the last attempt's decline and, when it counts, the card's latest
// decline outside the charge: when it is at least as recent as the last attempt, or when
// it is hard (a card with a hard decline is never charged again), or of unknown time.
func declinesToWeigh(in retryInput) []weighedDecline {
	last := in.attempts[len(in.attempts)-1]
	out := []weighedDecline{{last.DeclineCode, fmt.Sprintf("attempt %d", last.Number)}}
	c := in.card
	if c == nil {
		return out
	}
	if dodo.ClassifyDecline(c.code).NeverRetry || c.at.IsZero() || !c.at.Before(last.StartedAt.Time) {
		out = append(out, weighedDecline{c.code, "payment " + c.paymentID + " on the same payment method, outside this charge,"})
	}
	return out
}

func displayCode(code string) string {
	if code == "" {
		return "no error code"
	}
	return code
}

// nextAttemptAt is when attempt number next (2..) is due: the first instant at the charge's
// time of day that is at least the interval after the previous attempt started. The
// charge's time of day is the anchor's (UTC) plus its spread, so attempts that run on time
// keep the guide's days (3, 10, 17); counting from the previous attempt (not the first)
// means a late attempt never makes the next one due at once, and the spread never brings
// an attempt closer than its interval. Times are whole seconds, as status keeps them.
func nextAttemptAt(p policy, previous, anchor time.Time, next int, spreadKey string) time.Time {
	earliest := previous.UTC().Truncate(time.Second).Add(p.interval(next))
	slot := anchor.UTC().Truncate(time.Second).Add(spread(spreadKey))
	due := time.Date(earliest.Year(), earliest.Month(), earliest.Day(), slot.Hour(), slot.Minute(), slot.Second(), 0, time.UTC)
	if due.Before(earliest) {
		due = due.AddDate(0, 0, 1)
	}
	return due
}

// spread is a stable offset in [0, spreadWindow) for a key, in whole seconds like the
// times status keeps, so a stored nextAttemptAt compares equal to a recomputed one.
func spread(key string) time.Duration {
	h := fnv.New64a()
	_, _ = h.Write([]byte(key))
	return time.Duration(h.Sum64()%uint64(spreadWindow/time.Second)) * time.Second
}
