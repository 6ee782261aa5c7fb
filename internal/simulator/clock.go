package simulator

import (
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// Clock is the simulator's business clock: a base clock (real time unless a
// test injects a fake one) plus an offset that Advance and Set move. Renewals,
// link expiry and settlements are scheduled on this clock.
//
// Moving a Clock directly only changes the time; the Simulator processes what
// became due on its next request, scan or Advance. Use Simulator.Advance and
// Simulator.SetTime to move the clock and process due work in one step.
type Clock struct {
	base clock.PassiveClock

	mu     sync.Mutex
	offset time.Duration
}

// NewClock returns a Clock following base (clock.RealClock{} when nil).
func NewClock(base clock.PassiveClock) *Clock {
	if base == nil {
		base = clock.RealClock{}
	}
	return &Clock{base: base}
}

// Now returns the simulated time, always in UTC so rendered timestamps are stable.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base.Now().Add(c.offset).UTC()
}

// Since returns the simulated time elapsed since t.
func (c *Clock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

// Advance moves the clock forward by d (backward when d is negative).
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
	return c.base.Now().Add(c.offset).UTC()
}

// Set moves the clock to t; afterwards it keeps following the base clock.
func (c *Clock) Set(t time.Time) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset = t.Sub(c.base.Now())
	return t.UTC()
}

var _ clock.PassiveClock = (*Clock)(nil)
