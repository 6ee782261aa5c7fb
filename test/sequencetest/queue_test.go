package sequencetest

import (
	"slices"
	"strings"
	"time"
)

// workQueue is controller-runtime's queue as one worker sees it: first in, first out,
// each object at most once; an object written while it is being reconciled goes to the
// back (the watch adds it again).
type workQueue struct {
	order []target
	set   map[target]bool
}

func (q *workQueue) add(t target) {
	if !q.set[t] {
		q.set[t] = true
		q.order = append(q.order, t)
	}
}

func (q *workQueue) pop() (target, bool) {
	if len(q.order) == 0 {
		return target{}, false
	}
	t := q.order[0]
	q.order = q.order[1:]
	delete(q.set, t)
	return t, true
}

// enqueueDue moves the requeues due by now into the queue, earliest first (ties by
// name, so that runs are reproducible).
func (w *world) enqueueDue() {
	now := w.opClock.Now()
	var due []target
	for t, at := range w.due {
		if !at.After(now) {
			due = append(due, t)
		}
	}
	slices.SortFunc(due, func(a, b target) int {
		if c := w.due[a].Compare(w.due[b]); c != 0 {
			return c
		}
		return strings.Compare(a.kind+"/"+a.name, b.kind+"/"+b.name)
	})
	for _, t := range due {
		delete(w.due, t)
		w.queue.add(t)
	}
}

// nextDue is the earliest requeue.
func (w *world) nextDue() (time.Time, bool) {
	var next time.Time
	for _, at := range w.due {
		if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	return next, !next.IsZero()
}
