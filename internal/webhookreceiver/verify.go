package webhookreceiver

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"k8s.io/utils/clock"
)

// Verification failures; all answer 401 and are counted as rejected_signature.
var (
	errMissingHeaders  = errors.New("missing webhook-id, webhook-timestamp or webhook-signature header")
	errBadTimestamp    = errors.New("webhook-timestamp is not a Unix time in seconds")
	errTimestampTooOld = errors.New("webhook-timestamp is older than the tolerance")
	errTimestampTooNew = errors.New("webhook-timestamp is further in the future than the tolerance")
	errBadSignature    = errors.New("no signature matches a configured secret")
)

// verifier checks Standard Webhooks signatures. The reference library's own timestamp
// check is fixed at 5 minutes against the real clock, so the timestamp is checked here
// against the injected clock and configured tolerance, and the library verifies only the
// signatures (constant-time, every space-separated "v1," entry).
type verifier struct {
	hooks     []*standardwebhooks.Webhook
	tolerance time.Duration
	clock     clock.PassiveClock
}

func newVerifier(secrets Secrets, tolerance time.Duration, clk clock.PassiveClock) (*verifier, error) {
	hooks, err := secrets.webhooks()
	if err != nil {
		return nil, err
	}
	return &verifier{hooks: hooks, tolerance: tolerance, clock: clk}, nil
}

// verify checks the headers and the signature over the raw body.
func (v *verifier) verify(header http.Header, body []byte) error {
	return v.verifyWith(v.hooks, header, body)
}

// verifyWith checks the headers, and the signature with hooks (an account's secrets)
// instead of the configured ones.
func (v *verifier) verifyWith(hooks []*standardwebhooks.Webhook, header http.Header, body []byte) error {
	id := header.Get(standardwebhooks.HeaderWebhookID)
	signature := header.Get(standardwebhooks.HeaderWebhookSignature)
	rawTimestamp := header.Get(standardwebhooks.HeaderWebhookTimestamp)
	if id == "" || signature == "" || rawTimestamp == "" {
		return errMissingHeaders
	}
	if err := v.checkTimestamp(rawTimestamp); err != nil {
		return err
	}
	return verifySignature(hooks, header, body)
}

// verifySignature checks the signature over the raw body with each of hooks.
func verifySignature(hooks []*standardwebhooks.Webhook, header http.Header, body []byte) error {
	for _, hook := range hooks {
		if hook.VerifyIgnoringTimestamp(body, header) == nil {
			return nil
		}
	}
	return errBadSignature
}

func (v *verifier) checkTimestamp(raw string) error {
	seconds, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return errBadTimestamp
	}
	sent := time.Unix(seconds, 0)
	now := v.clock.Now()
	switch {
	case now.Sub(sent) > v.tolerance:
		return fmt.Errorf("%w (%s)", errTimestampTooOld, v.tolerance)
	case sent.Sub(now) > v.tolerance:
		return fmt.Errorf("%w (%s)", errTimestampTooNew, v.tolerance)
	}
	return nil
}
