package dodo

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/time/rate"
)

// waiter is the limiter seam: *rate.Limiter satisfies it, tests substitute it.
type waiter interface {
	Wait(ctx context.Context) error
}

func newLimiter(limit rate.Limit, burst int) *rate.Limiter {
	return rate.NewLimiter(limit, burst)
}

// waitForToken blocks until the limiter admits one request, recording the
// wait. It fails only before anything is sent, so a failure never makes an
// outcome unknown.
func (c *Client) waitForToken(ctx context.Context) error {
	// Real time, not c.clock: rate.Limiter itself runs on real time.
	start := time.Now()
	err := c.limiter.Wait(ctx)
	c.metrics.limiterWait.Observe(time.Since(start).Seconds())
	if err != nil {
		return fmt.Errorf("dodo: rate limiter: %w", err)
	}
	return nil
}
