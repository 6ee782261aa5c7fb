package simulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"k8s.io/utils/clock"
)

// Defaults of Config.
const (
	DefaultBusinessID     = "bus_simulator"
	DefaultBrandID        = "bnd_simulator"
	DefaultSettleDelay    = 2 * time.Second
	DefaultCheckoutTTL    = 24 * time.Hour
	DefaultWebhookTimeout = 15 * time.Second
	DefaultWebhookWorkers = 4
	DefaultScanInterval   = time.Second
)

// WebhookEndpoint is a receiver of the simulator's webhooks. Secret is a
// Standard Webhooks "whsec_<base64>" secret; AdditionalSecrets are signed
// with too (one "v1," entry each), as during Dodo's 24 h key rotation.
// String and LogValue never print the secrets.
type WebhookEndpoint struct {
	URL               string   `json:"url"`
	Secret            string   `json:"secret"`
	AdditionalSecrets []string `json:"additional_secrets,omitempty"`
}

// String prints the URL only.
func (e WebhookEndpoint) String() string {
	return "WebhookEndpoint{URL:" + e.URL + " Secret:[redacted]}"
}

// GoString redacts like String.
func (e WebhookEndpoint) GoString() string { return e.String() }

// LogValue keeps secrets out of structured logs.
func (e WebhookEndpoint) LogValue() slog.Value { return slog.StringValue(e.URL) }

// MarshalJSON writes the endpoint with its secrets redacted, so a dump or
// log of a config never carries them (decoding reads them normally).
func (e WebhookEndpoint) MarshalJSON() ([]byte, error) {
	redacted := make([]string, len(e.AdditionalSecrets))
	for i := range redacted {
		redacted[i] = redactedSecret
	}
	return json.Marshal(struct {
		URL               string   `json:"url"`
		Secret            string   `json:"secret"`
		AdditionalSecrets []string `json:"additional_secrets,omitempty"`
	}{URL: e.URL, Secret: redactedSecret, AdditionalSecrets: redacted})
}

const redactedSecret = "[redacted]"

// Config configures a Simulator. Zero values select the documented defaults.
type Config struct {
	// APIKeys are the accepted Bearer tokens (at least one).
	APIKeys []string
	// AdminToken, when set, must be sent as "Authorization: Bearer <token>"
	// on /_simulator/ admin routes (the hosted checkout pages stay open).
	AdminToken string
	// BusinessID and BrandID are stamped on objects and webhook envelopes.
	BusinessID string
	BrandID    string
	// BaseURL is the public URL used in payment links; when empty it is
	// derived from each request's Host header.
	BaseURL string
	// Products is the catalogue; DefaultProducts when empty.
	Products []Product
	// WebhookEndpoints receive every event.
	WebhookEndpoints []WebhookEndpoint
	// WebhookTimeScale multiplies Dodo's retry schedule (0.001 compresses
	// 5 min into 300 ms); 0 means 1.
	WebhookTimeScale float64
	// WebhookTimeout bounds one delivery attempt (Dodo: 15 s).
	WebhookTimeout time.Duration
	// WebhookWorkers is the number of delivery workers per endpoint.
	WebhookWorkers int
	// WebhookClient sends deliveries; a client with WebhookTimeout when nil.
	WebhookClient *http.Client
	// RateLimitPerMinute limits API requests per key (0 = off); over the
	// limit the API answers 429 TOO_MANY_REQUESTS. RateLimitBurst defaults
	// to min(10, RateLimitPerMinute), Dodo's documented burst.
	RateLimitPerMinute int
	RateLimitBurst     int
	// Clock is the base of the business clock. Nil follows real time and
	// starts a background scanner (ScanInterval) that processes due work;
	// with an injected clock, due work runs on Advance/SetTime and on every
	// API request.
	Clock clock.PassiveClock
	// WallClock times webhook retries, the webhook-timestamp header and the
	// rate limiter (real time when nil). Tests inject a fake one.
	WallClock clock.WithDelayedExecution
	// ScanInterval is the real-time scan period when Clock is nil.
	ScanInterval time.Duration
	// SettleDelay is how long (business clock) a charge, plan-change or dues
	// payment stays processing before it settles; 0 means DefaultSettleDelay,
	// negative settles on the next processing pass.
	SettleDelay time.Duration
	// CheckoutTTL is the lifetime of a payment link (expires_on).
	CheckoutTTL time.Duration
	// Seed makes IDs reproducible.
	Seed uint64
	// Pessimism turns off conveniences Dodo does not document (list lag,
	// a payment-list page cap, dues despite an open payment, payments without
	// the subscription's metadata), each on its own; the zero value keeps
	// them all. Pessimistic(cfg) or FullPessimism() turns them all on.
	Pessimism Pessimism
	// Logger receives structured logs (discarded when nil).
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	c.BusinessID = orDefault(c.BusinessID, DefaultBusinessID)
	c.BrandID = orDefault(c.BrandID, DefaultBrandID)
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.WebhookTimeScale <= 0 {
		c.WebhookTimeScale = 1
	}
	c.WebhookTimeout = durationOrDefault(c.WebhookTimeout, DefaultWebhookTimeout)
	if c.WebhookWorkers <= 0 {
		c.WebhookWorkers = DefaultWebhookWorkers
	}
	if c.WebhookClient == nil {
		c.WebhookClient = &http.Client{Timeout: c.WebhookTimeout}
	}
	if c.RateLimitBurst <= 0 {
		c.RateLimitBurst = min(10, max(c.RateLimitPerMinute, 1))
	}
	if c.Clock == nil {
		c.ScanInterval = durationOrDefault(c.ScanInterval, DefaultScanInterval)
	}
	if c.WallClock == nil {
		c.WallClock = clock.RealClock{}
	}
	if c.SettleDelay == 0 {
		c.SettleDelay = DefaultSettleDelay
	}
	c.SettleDelay = max(c.SettleDelay, 0)
	c.CheckoutTTL = durationOrDefault(c.CheckoutTTL, DefaultCheckoutTTL)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

func (c Config) validate() error {
	var errs []error
	if len(c.APIKeys) == 0 {
		errs = append(errs, errors.New("at least one API key is required"))
	}
	for _, key := range c.APIKeys {
		if strings.TrimSpace(key) == "" {
			errs = append(errs, errors.New("API keys must not be empty"))
		}
	}
	for _, ep := range c.WebhookEndpoints {
		if err := ep.validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if c.RateLimitPerMinute < 0 {
		errs = append(errs, errors.New("rate limit must not be negative"))
	}
	if err := c.Pessimism.validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (e WebhookEndpoint) validate() error {
	if !strings.HasPrefix(e.URL, "http://") && !strings.HasPrefix(e.URL, "https://") {
		return fmt.Errorf("webhook endpoint %q: URL must be http(s)", e.URL)
	}
	for _, secret := range append([]string{e.Secret}, e.AdditionalSecrets...) {
		if _, err := newSigner(secret); err != nil {
			return fmt.Errorf("webhook endpoint %q: %w", e.URL, err)
		}
	}
	return nil
}

func orDefault(value, fallback string) string {
	if value == "" {
		return fallback
	}
	return value
}

func durationOrDefault(value, fallback time.Duration) time.Duration {
	if value <= 0 {
		return fallback
	}
	return value
}
