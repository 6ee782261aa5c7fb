package dodo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// waiter is the limiter seam: *Budget satisfies it, tests substitute it.
type waiter interface {
	Wait(ctx context.Context) error
}

// waitForToken blocks until the budget admits one request of the call's class,
// recording the wait. It fails only before anything is sent, so a failure never makes
// an outcome unknown.
func (c *Client) waitForToken(ctx context.Context, method string) error {
	// Real time, not c.clock: the budget runs on its own clock (real unless a test
	// builds one), and c.clock may be a fake that only retry tests advance.
	start := time.Now()
	err := c.limiter.Wait(WithPriority(ctx, classOf(ctx, method)))
	c.metrics.limiterWait.Observe(time.Since(start).Seconds())
	if err != nil {
		return fmt.Errorf("dodo: rate limiter: %w", err)
	}
	return nil
}

// fingerprint identifies a key in metrics labels without revealing it.
func (s Secret) fingerprint() string {
	sum := sha256.Sum256([]byte(s.Reveal()))
	return hex.EncodeToString(sum[:4])
}
