package simulator

import (
	"container/heap"
	"time"
)

// dueKind is a kind of work scheduled on the business clock.
type dueKind int

const (
	dueRenewal dueKind = iota
	dueExpiry
	dueSettle
	dueCheckoutExpiry
)

// dueItem is scheduled work. Items are not removed when the object changes;
// the handler re-checks the object and ignores stale items, and every change
// that moves a date pushes a fresh item.
type dueItem struct {
	at   time.Time
	seq  uint64
	kind dueKind
	id   string
}

// dueQueue is a min-heap ordered by (at, seq): time order, then scheduling
// order, which makes processing deterministic.
type dueQueue struct {
	items []dueItem
	seq   uint64
}

func (q *dueQueue) Len() int { return len(q.items) }

func (q *dueQueue) Less(i, j int) bool {
	if !q.items[i].at.Equal(q.items[j].at) {
		return q.items[i].at.Before(q.items[j].at)
	}
	return q.items[i].seq < q.items[j].seq
}

func (q *dueQueue) Swap(i, j int) { q.items[i], q.items[j] = q.items[j], q.items[i] }

// Push implements heap.Interface; use schedule.
func (q *dueQueue) Push(x any) { q.items = append(q.items, x.(dueItem)) }

// Pop implements heap.Interface; use next.
func (q *dueQueue) Pop() any {
	last := q.items[len(q.items)-1]
	q.items = q.items[:len(q.items)-1]
	return last
}

func (q *dueQueue) schedule(at time.Time, kind dueKind, id string) {
	q.seq++
	heap.Push(q, dueItem{at: at, seq: q.seq, kind: kind, id: id})
}

// next pops the earliest item due at or before now.
func (q *dueQueue) next(now time.Time) (dueItem, bool) {
	if len(q.items) == 0 || q.items[0].at.After(now) {
		return dueItem{}, false
	}
	return heap.Pop(q).(dueItem), true
}

// dueBy reports whether anything is due at or before now.
func (q *dueQueue) dueBy(now time.Time) bool {
	return len(q.items) > 0 && !q.items[0].at.After(now)
}

// processDueLocked runs everything due up to now in time order. Each item
// runs at its own scheduled time (events carry that time), and work it
// schedules within the window runs in the same pass.
func (s *Simulator) processDueLocked(now time.Time) {
	for {
		item, ok := s.due.next(now)
		if !ok {
			return
		}
		s.handleDueLocked(item)
		s.publishLocked()
	}
}

func (s *Simulator) handleDueLocked(item dueItem) {
	switch item.kind {
	case dueRenewal:
		if sub := s.st.subscriptions[item.id]; sub != nil {
			s.renewLocked(sub, item.at)
		}
	case dueExpiry:
		if sub := s.st.subscriptions[item.id]; sub != nil {
			s.expireLocked(sub, item.at)
		}
	case dueSettle:
		if p := s.st.payments[item.id]; p != nil {
			s.settleLocked(p, item.at)
		}
	case dueCheckoutExpiry:
		if co := s.st.checkouts[item.id]; co != nil {
			s.expireCheckoutLocked(co, item.at)
		}
	}
}

// nowLocked processes due work and returns the current business time; every
// API operation starts with it so a request never sees overdue state.
func (s *Simulator) nowLocked() time.Time {
	now := s.clock.Now()
	s.processDueLocked(now)
	return now
}

// catchUp processes due work if there is any, taking the write lock only
// then, so read-only requests stay on the read lock.
func (s *Simulator) catchUp() {
	now := s.clock.Now()
	s.mu.RLock()
	due := s.due.dueBy(now)
	s.mu.RUnlock()
	if !due {
		return
	}
	s.mu.Lock()
	s.processDueLocked(s.clock.Now())
	s.mu.Unlock()
}
