package dodo

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// Environment selects Dodo's test or live API.
type Environment string

// Environments, spelled as the SDKs' DODO_PAYMENTS_ENVIRONMENT values.
const (
	TestMode Environment = "test_mode"
	LiveMode Environment = "live_mode"
)

// Base URLs of the two environments (docs/dodo-api.md §2.1).
const (
	TestModeBaseURL = "https://test.dodopayments.com"
	LiveModeBaseURL = "https://live.dodopayments.com"
)

// Environment variables read by ConfigFromEnv.
const (
	EnvAPIKey      = "DODO_PAYMENTS_API_KEY"
	EnvAPIKeyFile  = "DODO_PAYMENTS_API_KEY_FILE"
	EnvBaseURL     = "DODO_PAYMENTS_BASE_URL"
	EnvEnvironment = "DODO_PAYMENTS_ENVIRONMENT"
)

// Defaults applied by New for zero Config fields.
const (
	DefaultTimeout       = 30 * time.Second
	DefaultRateLimit     = rate.Limit(1.5) // 90/min, under Dodo's 100/min per key
	DefaultBurst         = 10
	DefaultMaxGetRetries = 3
	DefaultUserAgent     = "dodo-operator"
)

// ErrNoEnvironment is returned when neither BaseURL nor Environment is set:
// the client never falls back to live mode silently.
var ErrNoEnvironment = errors.New("dodo: neither base URL nor environment configured")

// ErrNoAPIKey is returned when no API key is configured.
var ErrNoAPIKey = errors.New("dodo: no API key configured")

// Secret holds a credential. Its value sits behind a pointer so that even
// reflection-based printing of an unexported field shows an address, never
// the key; every fmt verb, %#v and JSON print "[redacted]".
type Secret struct {
	value *string
}

// NewSecret wraps a credential.
func NewSecret(value string) Secret { return Secret{value: &value} }

// Reveal returns the credential; use it only to build the auth header.
func (s Secret) Reveal() string {
	if s.value == nil {
		return ""
	}
	return *s.value
}

// IsZero reports whether no credential is set.
func (s Secret) IsZero() bool { return s.Reveal() == "" }

// String redacts the secret.
func (s Secret) String() string { return redactedText }

// GoString redacts the secret for %#v.
func (s Secret) GoString() string { return redactedText }

// Format redacts the secret for every fmt verb.
func (s Secret) Format(state fmt.State, _ rune) { _, _ = state.Write([]byte(redactedText)) }

// MarshalJSON redacts the secret.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redactedText + `"`), nil }

// Config configures a Client. Zero numeric fields take the defaults above.
type Config struct {
	// BaseURL overrides Environment when set (e.g. the simulator's address).
	BaseURL string
	// Environment selects test or live mode when BaseURL is empty.
	Environment Environment
	// APIKey is sent as "Authorization: Bearer <key>".
	APIKey Secret
	// Timeout bounds each HTTP attempt (request and response body).
	Timeout time.Duration
	// RateLimit and Burst configure the client-side limiter; rate.Inf disables it.
	RateLimit rate.Limit
	Burst     int
	// BackgroundShare caps background calls (resync, bulk observation) at this share of
	// RateLimit (default DefaultBackgroundShare); the rest is kept for money calls and
	// new objects.
	BackgroundShare float64
	// MaxPerSecond caps requests in any one-second window (default DefaultMaxPerSecond,
	// Dodo's documented burst; negative: no cap). No cap applies when RateLimit is above it.
	MaxPerSecond int
	// MaxGetRetries caps retries of one call (GETs; POST/PATCH only on 429 or
	// a dial failure). 0 means the default; negative disables retries.
	MaxGetRetries int
	// UserAgent is sent as User-Agent.
	UserAgent string
}

// ResolveBaseURL applies the precedence BaseURL > Environment and validates it.
func (c Config) ResolveBaseURL() (*url.URL, error) {
	raw := c.BaseURL
	if raw == "" {
		switch c.Environment {
		case TestMode:
			raw = TestModeBaseURL
		case LiveMode:
			raw = LiveModeBaseURL
		case "":
			return nil, ErrNoEnvironment
		default:
			return nil, fmt.Errorf("dodo: unknown environment %q (want %s or %s)", c.Environment, TestMode, LiveMode)
		}
	}
	parsed, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil {
		return nil, fmt.Errorf("dodo: parse base URL: %w", err)
	}
	if (parsed.Scheme != "http" && parsed.Scheme != "https") || parsed.Host == "" {
		return nil, fmt.Errorf("dodo: base URL %q must be an absolute http(s) URL", raw)
	}
	return parsed, nil
}

func (c Config) withDefaults() Config {
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.RateLimit == 0 {
		c.RateLimit = DefaultRateLimit
	}
	if c.Burst <= 0 {
		c.Burst = DefaultBurst
	}
	switch {
	case c.MaxGetRetries == 0:
		c.MaxGetRetries = DefaultMaxGetRetries
	case c.MaxGetRetries < 0:
		c.MaxGetRetries = 0
	}
	if c.UserAgent == "" {
		c.UserAgent = DefaultUserAgent
	}
	return c
}

// ConfigFromEnv reads the SDK-compatible environment variables. The key comes
// from the file named by DODO_PAYMENTS_API_KEY_FILE when that is set (a
// mounted Kubernetes Secret), else from DODO_PAYMENTS_API_KEY. With neither set it
// returns the rest of the configuration and an error wrapping ErrNoAPIKey.
func ConfigFromEnv() (Config, error) {
	cfg := Config{
		BaseURL:     strings.TrimSpace(os.Getenv(EnvBaseURL)),
		Environment: Environment(strings.TrimSpace(os.Getenv(EnvEnvironment))),
	}
	switch cfg.Environment {
	case "", TestMode, LiveMode:
	default:
		return Config{}, fmt.Errorf("dodo: %s=%q: want %s or %s", EnvEnvironment, cfg.Environment, TestMode, LiveMode)
	}
	key, err := apiKeyFromEnv()
	switch {
	case errors.Is(err, ErrNoAPIKey) && os.Getenv(EnvAPIKeyFile) == "":
		// The rest is still returned: an operator that serves only accounts (each with
		// its own key) needs no key of its own, but its base URL stays its default.
		return cfg, err
	case err != nil:
		return Config{}, err
	}
	cfg.APIKey = key
	return cfg, nil
}

func apiKeyFromEnv() (Secret, error) {
	if path := strings.TrimSpace(os.Getenv(EnvAPIKeyFile)); path != "" {
		content, err := os.ReadFile(path)
		if err != nil {
			// The OS error names the path only, never the content.
			return Secret{}, fmt.Errorf("dodo: read %s: %w", EnvAPIKeyFile, err)
		}
		key := strings.TrimSpace(string(content))
		if key == "" {
			return Secret{}, fmt.Errorf("dodo: %s names an empty file: %w", EnvAPIKeyFile, ErrNoAPIKey)
		}
		return NewSecret(key), nil
	}
	if key := strings.TrimSpace(os.Getenv(EnvAPIKey)); key != "" {
		return NewSecret(key), nil
	}
	return Secret{}, fmt.Errorf("dodo: set %s or %s: %w", EnvAPIKey, EnvAPIKeyFile, ErrNoAPIKey)
}
