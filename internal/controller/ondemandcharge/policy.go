// Package ondemandcharge reconciles OnDemandCharge objects: exactly one payment per attempt,
// and retries only as the on-demand guide's safe policy allows (payments-api.md 6 and 9.2).
package ondemandcharge

import (
	"hash/fnv"
	"time"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// Policy limits, from the on-demand guide: 3-4 attempts, day 0, +3, +7, +7 days.
const (
	MaxAttempts = 4
	// spreadWindow spreads attempts that fall due at the same moment, so that many charges
	// anchored to the same time never hit the card networks together.
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

// verdict is what to do after a declined attempt.
type verdict struct {
	retry   bool
	reason  string // condition reason when not retrying
	message string
}

// afterDecline decides whether a declined attempt may be retried: never for a hard decline
// (or one of the guide's never-retry codes), never when the same soft decline repeats,
// never past the attempt cap.
func afterDecline(p policy, attempts []billingv1alpha1.ChargeAttempt) verdict {
	last := attempts[len(attempts)-1]
	class := dodo.ClassifyDecline(last.DeclineCode)
	switch {
	case class.NeverRetry:
		return verdict{reason: "HardDecline", message: "The payment was declined with " + last.DeclineCode +
			", a decline that must not be retried on the same card; no further attempt will be made."}
	case len(attempts) >= 2 && last.DeclineCode != "" && attempts[len(attempts)-2].DeclineCode == last.DeclineCode:
		return verdict{reason: "RepeatedDecline", message: "The same decline (" + last.DeclineCode +
			") repeated; retries stop, as the on-demand guide asks. Create a new charge after the customer fixes the payment method."}
	case len(attempts) >= p.maxAttempts:
		return verdict{reason: "AttemptsExhausted", message: "All attempts were declined; the last with " + last.DeclineCode + "."}
	}
	return verdict{retry: true}
}

// nextAttemptAt is when attempt number next (2..) is due: the first attempt's date plus the
// intervals so far, at the anchor's time of day (UTC, so no DST shifts), spread by a stable
// per-charge offset. It is never before the previous attempt plus half its interval.
func nextAttemptAt(p policy, first, anchor time.Time, next int, spreadKey string) time.Time {
	var offset time.Duration
	for i := 0; i < next-1 && i < len(p.intervals); i++ {
		offset += p.intervals[i]
	}
	day := first.UTC().Add(offset)
	a := anchor.UTC()
	due := time.Date(day.Year(), day.Month(), day.Day(), a.Hour(), a.Minute(), a.Second(), 0, time.UTC)
	if earliest := first.UTC().Add(offset - p.intervals[min(next-2, len(p.intervals)-1)]/2); due.Before(earliest) {
		due = due.AddDate(0, 0, 1)
	}
	return due.Add(spread(spreadKey))
}

// spread is a stable offset in [0, spreadWindow) for a key.
func spread(key string) time.Duration {
	h := fnv.New64a()
	_, _ = h.Write([]byte(key))
	return time.Duration(h.Sum64() % uint64(spreadWindow))
}
