package dodo

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/utils/clock"
)

// maxResponseBytes bounds how much of a response body is read.
const maxResponseBytes = 10 << 20

// Client calls the Dodo Payments API. It is safe for concurrent use.
type Client struct {
	baseURL    *url.URL
	apiKey     Secret
	userAgent  string
	timeout    time.Duration
	maxRetries int
	maxPages   int
	maxBody    int64
	httpClient *http.Client
	clock      clock.Clock
	jitter     func() float64
	limiter    waiter
	budget     *Budget
	metrics    *metrics
	log        logr.Logger
	// refusedAt is when Dodo last refused the API key (401/403), zero once a later call
	// was accepted: the readiness check reports it.
	refusedAt atomic.Pointer[time.Time]
}

type clientOptions struct {
	httpClient *http.Client
	clock      clock.Clock
	jitter     func() float64
	registerer prometheus.Registerer
	logger     logr.Logger
}

// Option customises a Client.
type Option func(*clientOptions)

// WithHTTPClient sets the HTTP client (its Timeout should stay zero: the
// client applies Config.Timeout per attempt through the context).
func WithHTTPClient(httpClient *http.Client) Option {
	return func(o *clientOptions) { o.httpClient = httpClient }
}

// WithClock sets the clock used for retry waits and Retry-After dates, so
// tests can assert waits without sleeping.
func WithClock(c clock.Clock) Option {
	return func(o *clientOptions) { o.clock = c }
}

// WithRand sets the jitter source; it must return values in [0,1) and be
// safe for concurrent use.
func WithRand(random func() float64) Option {
	return func(o *clientOptions) { o.jitter = random }
}

// WithMetrics registers the client's metrics on registerer.
func WithMetrics(registerer prometheus.Registerer) Option {
	return func(o *clientOptions) { o.registerer = registerer }
}

// WithLogger sets the logger for retry decisions (never bodies or keys).
func WithLogger(logger logr.Logger) Option {
	return func(o *clientOptions) { o.logger = logger }
}

// New builds a Client. It fails when no API key or no environment/base URL
// is configured.
func New(cfg Config, opts ...Option) (*Client, error) {
	base, err := cfg.ResolveBaseURL()
	if err != nil {
		return nil, err
	}
	if cfg.APIKey.IsZero() {
		return nil, ErrNoAPIKey
	}
	cfg = cfg.withDefaults()
	o := clientOptions{
		httpClient: defaultHTTPClient(),
		clock:      clock.RealClock{},
		jitter:     rand.Float64,
		logger:     logr.Discard(),
	}
	for _, opt := range opts {
		opt(&o)
	}
	m, err := newMetrics(o.registerer)
	if err != nil {
		return nil, fmt.Errorf("dodo: register metrics: %w", err)
	}
	// One budget per client: the operator makes one client per API key.
	budget := budgetFor(cfg, cfg.APIKey.fingerprint())
	bm, err := newBudgetVecs().register(o.registerer, cfg.APIKey.fingerprint())
	if err != nil {
		return nil, fmt.Errorf("dodo: register budget metrics: %w", err)
	}
	budget.useMetrics(bm)
	return &Client{
		baseURL:    base,
		apiKey:     cfg.APIKey,
		userAgent:  cfg.UserAgent,
		timeout:    cfg.Timeout,
		maxRetries: cfg.MaxGetRetries,
		maxPages:   MaxListPages,
		maxBody:    maxResponseBytes,
		httpClient: o.httpClient,
		clock:      o.clock,
		jitter:     o.jitter,
		limiter:    budget,
		budget:     budget,
		metrics:    m,
		log:        o.logger,
	}, nil
}

// defaultHTTPClient does not follow redirects: a redirected POST could be
// replayed as something else, and Dodo's API does not redirect.
func defaultHTTPClient() *http.Client {
	return &http.Client{
		Transport: http.DefaultTransport.(*http.Transport).Clone(),
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// BaseURL returns the resolved base URL.
func (c *Client) BaseURL() string { return c.baseURL.String() }

// String describes the client without its key.
func (c *Client) String() string { return "dodo.Client{BaseURL:" + c.baseURL.String() + "}" }

// GoString describes the client without its key.
func (c *Client) GoString() string { return c.String() }
