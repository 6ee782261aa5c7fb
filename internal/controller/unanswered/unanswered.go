// Package unanswered decides when to look up a non-idempotent call whose answer was lost
// (a create or a charge), and when an empty lookup may be believed. No Dodo call takes an
// idempotency key, and Dodo's lists lag behind its writes, so the lookup waits from the
// latest moment the call can have been sent, and "nothing was made" is concluded only
// after the lists kept showing nothing for a while (docs/money-safety.md).
package unanswered

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// Tracker remembers, in this process, when unanswered calls returned, and when the
// process started: a call of an earlier process was sent before this one started. It is
// safe for concurrent use; the zero value is ready.
type Tracker struct {
	once    sync.Once
	started time.Time
	ended   sync.Map // types.UID -> time.Time
}

// Start records the process's start; only the first call counts.
func (t *Tracker) Start(now time.Time) { t.once.Do(func() { t.started = now }) }

// Ended records that the object's unanswered call returned at the given time.
func (t *Tracker) Ended(uid types.UID, at time.Time) { t.ended.Store(uid, at) }

// Forget drops what is known of the object's call, once its outcome is decided.
func (t *Tracker) Forget(uid types.UID) { t.ended.Delete(uid) }

// SentBy is the latest moment the object's call can have been sent, given the marker
// stored before it.
func (t *Tracker) SentBy(uid types.UID, marker time.Time) time.Time {
	sent := marker
	if t.started.After(sent) {
		sent = t.started
	}
	if ended, ok := t.ended.Load(uid); ok && ended.(time.Time).After(sent) {
		sent = ended.(time.Time)
	}
	return sent
}

// Windows are the two waits of a lookup: Settle before the first look, AbsentAfter before
// an empty look is believed.
type Windows struct {
	Settle      time.Duration
	AbsentAfter time.Duration
}

// Default waits of a lookup (both controllers' defaults): a committed write shows in Dodo's
// lists within seconds, and they lag behind its writes by minutes at worst.
const (
	DefaultSettle      = 30 * time.Second
	DefaultAbsentAfter = 5 * time.Minute
)

// WithDefaults fills the unset waits with the defaults. AbsentAfter is never shorter than
// Settle: an empty look can only be believed after the first look.
func (w Windows) WithDefaults() Windows {
	if w.Settle <= 0 {
		w.Settle = DefaultSettle
	}
	if w.AbsentAfter <= 0 {
		w.AbsentAfter = DefaultAbsentAfter
	}
	w.AbsentAfter = max(w.AbsentAfter, w.Settle)
	return w
}

// Step is what to do about an unanswered call now.
type Step int

const (
	// Wait means: too early to look, or to believe that nothing was made; come back after the wait.
	Wait Step = iota
	// Look means: look the call's result up now.
	Look
	// Absent means: the lookups found nothing for long enough; the call made nothing.
	Absent
)

// Next says what to do before a lookup (found=false, looked=false), or after a lookup
// that found nothing (looked=true), with the wait that goes with Wait.
func (w Windows) Next(sent, now time.Time, looked bool) (Step, time.Duration) {
	if wait := sent.Add(w.Settle).Sub(now); wait > 0 {
		return Wait, wait
	}
	if !looked {
		return Look, 0
	}
	if wait := sent.Add(w.AbsentAfter).Sub(now); wait > 0 {
		return Wait, min(wait, w.Settle)
	}
	return Absent, 0
}
