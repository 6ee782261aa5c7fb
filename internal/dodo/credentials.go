package dodo

import (
	"errors"
	"net/http"
	"time"
)

// noteCredentials remembers whether Dodo accepted the API key on its last answer, for
// CredentialsError: a 401 or 403 marks it refused, any other answer accepted.
func (c *Client) noteCredentials(status int) {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		now := c.clock.Now()
		c.refusedAt.Store(&now)
	case status > 0:
		c.refusedAt.Store(nil)
	}
}

// CredentialsError says why the API key is not usable, or nil while Dodo's last answer
// accepted it (or no call was made yet). It is the operator's readiness check: with a
// wrong key, or one of the other mode (test/live), nothing can be done. The key itself
// never appears in it.
func (c *Client) CredentialsError() error {
	at := c.refusedAt.Load()
	if at == nil {
		return nil
	}
	return errors.New("the payments API refused the API key (HTTP 401/403) at " + at.UTC().Format(time.RFC3339) +
		": check DODO_PAYMENTS_API_KEY and that its mode (test or live) matches the base URL " + c.baseURL.String())
}

// Saturated says whether calls wait for this key's budget now (the client-side rate limit
// is the bottleneck).
func (c *Client) Saturated() bool { return c.budget.Waiting() > 0 }
