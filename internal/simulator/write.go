package simulator

import "time"

// write runs change under the write lock at the simulated now (due work
// processed first), then publishes the events change queued; lagging lists
// record what it changed even when it queued none.
func write[R any](s *Simulator, change func(now time.Time) (R, error)) (R, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.publishLocked()
	return change(s.nowLocked())
}

// writeSubscription is write for a change to subscription id: a 404 when
// there is no such subscription.
func writeSubscription[R any](
	s *Simulator, id string, change func(sub *subscription, now time.Time) (R, error),
) (R, error) {
	return write(s, func(now time.Time) (R, error) {
		sub, ok := s.st.subscriptions[id]
		if !ok {
			var none R
			return none, notFound("subscription", id)
		}
		return change(sub, now)
	})
}
