package simulator

import (
	"time"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// List lag (Pessimism.ListLag): lists show each object as it was ListLag
// ago on the business clock, and not at all before it was created then.
//
// Every change to a stored object passes through a few funnels (creation,
// emit*Locked, setPaymentStatusLocked); each marks the object changed at
// that business time, and publishLocked, which ends every operation and
// every due item, records the object's state from then on as a version.
// Wire structs are safe to copy shallowly (see store.go), so a version is
// a plain copy. The history assumes the business clock moves forward; a
// clock moved back may hide objects until it passes them again.

// listVersion is an object's state as lists show it from at on.
type listVersion[W any] struct {
	at    time.Time
	state W
}

// listHistory holds the versions a lagging list may still show, oldest
// first, and whether the live object changed since the last version.
type listHistory[W any] struct {
	versions  []listVersion[W]
	changed   bool
	changedAt time.Time
}

// markChanged notes a change at at; it reports whether the object was
// unchanged before, i.e. whether the caller must queue it for recording.
func (h *listHistory[W]) markChanged(at time.Time) (first bool) {
	first = !h.changed
	if first || at.After(h.changedAt) {
		h.changedAt = at
	}
	h.changed = true
	return first
}

// record stores live as the version from changedAt on and forgets versions
// no cutoff can reach any more: cutoffs only grow, and the next one is at
// least changedAt-lag.
func (h *listHistory[W]) record(live W, lag time.Duration) {
	at := h.changedAt
	h.changed = false
	if n := len(h.versions); n > 0 && !at.After(h.versions[n-1].at) {
		h.versions[n-1].state = live // same moment (or a clock moved back)
		return
	}
	h.versions = append(h.versions, listVersion[W]{at: at, state: live})
	cutoff := at.Add(-lag)
	keepFrom := 0
	for i, v := range h.versions {
		if !v.at.After(cutoff) {
			keepFrom = i
		}
	}
	h.versions = h.versions[keepFrom:]
}

// asOf returns the state lists show at cutoff (nil while hidden); live is
// the current object, shown when its last change is already old enough.
func (h *listHistory[W]) asOf(cutoff time.Time, live *W) *W {
	if h.changed && !h.changedAt.After(cutoff) {
		return live
	}
	for i := len(h.versions) - 1; i >= 0; i-- {
		if !h.versions[i].at.After(cutoff) {
			return &h.versions[i].state
		}
	}
	return nil
}

// listChanges are the objects changed in the operation in progress.
type listChanges struct {
	subscriptions []*subscription
	payments      []*payment
}

func (s *Simulator) markSubscriptionChangedLocked(sub *subscription, at time.Time) {
	if s.cfg.Pessimism.ListLag > 0 && sub.listed.markChanged(at) {
		s.listChanged.subscriptions = append(s.listChanged.subscriptions, sub)
	}
}

func (s *Simulator) markPaymentChangedLocked(p *payment, at time.Time) {
	if s.cfg.Pessimism.ListLag > 0 && p.listed.markChanged(at) {
		s.listChanged.payments = append(s.listChanged.payments, p)
	}
}

// recordListVersionsLocked stores the state the operation left behind.
func (s *Simulator) recordListVersionsLocked() {
	lag := s.cfg.Pessimism.ListLag
	for _, sub := range s.listChanged.subscriptions {
		sub.listed.record(sub.Subscription, lag)
	}
	for _, p := range s.listChanged.payments {
		p.listed.record(p.Payment, lag)
	}
	clear(s.listChanged.subscriptions)
	clear(s.listChanged.payments)
	s.listChanged.subscriptions = s.listChanged.subscriptions[:0]
	s.listChanged.payments = s.listChanged.payments[:0]
}

// listCutoffLocked is the business time lists show: now minus the lag.
func (s *Simulator) listCutoffLocked() time.Time {
	return s.clock.Now().Add(-s.cfg.Pessimism.ListLag)
}

// listedSubscriptionLocked is the copy of sub a list shows at cutoff, or
// nil while the list does not show it yet.
func (s *Simulator) listedSubscriptionLocked(sub *subscription, cutoff time.Time) *dodo.Subscription {
	if s.cfg.Pessimism.ListLag <= 0 {
		return &sub.Subscription
	}
	return sub.listed.asOf(cutoff, &sub.Subscription)
}

// listedPaymentLocked is listedSubscriptionLocked for payments.
func (s *Simulator) listedPaymentLocked(p *payment, cutoff time.Time) *dodo.Payment {
	if s.cfg.Pessimism.ListLag <= 0 {
		return &p.Payment
	}
	return p.listed.asOf(cutoff, &p.Payment)
}
