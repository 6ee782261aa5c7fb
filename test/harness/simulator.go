package harness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
)

// SimOptions configure the in-process simulator; zero values take the defaults below.
type SimOptions struct {
	// Seed makes IDs (and, through Faults.Seed, faults) reproducible.
	Seed uint64
	// RateLimitPerMinute enforces a per-key limit like Dodo's (0 = off).
	RateLimitPerMinute int
	// SettleDelay is how long charges stay processing (default 300ms).
	SettleDelay time.Duration
	// WebhookTimeScale compresses Dodo's webhook retry schedule (default 0.001: the
	// 5 s, 5 min, 30 min... retries come after 5 ms, 300 ms, 1.8 s...).
	WebhookTimeScale float64
	// Pessimism turns off simulator conveniences Dodo does not document
	// (off by default); simulator.FullPessimism() turns every switch on. The
	// business clock here follows real time, so ListLag passes in real time.
	Pessimism simulator.Pessimism
}

// SimServer is the payments simulator served over HTTP on a loopback port, with every
// API call counted.
type SimServer struct {
	*simulator.Simulator
	// URL is the base URL of the API.
	URL string
	// APIKey is the accepted API key.
	APIKey string
	// WebhookSecret signs the webhooks (whsec_...).
	WebhookSecret string
	// Calls counts the API calls served.
	Calls *CallCounter

	server *http.Server
}

// StartSimulator starts a simulator that follows real time.
func StartSimulator(opts SimOptions) (*SimServer, error) {
	if opts.SettleDelay == 0 {
		opts.SettleDelay = 300 * time.Millisecond
	}
	if opts.WebhookTimeScale == 0 {
		opts.WebhookTimeScale = 0.001
	}
	secret, err := simulator.GenerateWebhookSecret()
	if err != nil {
		return nil, err
	}
	key := make([]byte, 16)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generating an API key: %w", err)
	}
	s := &SimServer{APIKey: "bench_" + hex.EncodeToString(key), WebhookSecret: secret, Calls: NewCallCounter()}
	s.Simulator, err = simulator.New(simulator.Config{
		APIKeys: []string{s.APIKey}, Seed: opts.Seed, RateLimitPerMinute: opts.RateLimitPerMinute,
		SettleDelay: opts.SettleDelay, WebhookTimeScale: opts.WebhookTimeScale, ScanInterval: 100 * time.Millisecond,
		WebhookWorkers: 16, Pessimism: opts.Pessimism,
	})
	if err != nil {
		return nil, err
	}
	if err := s.Start(); err != nil {
		return nil, err
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = s.Simulator.Close()
		return nil, fmt.Errorf("listening for the simulator: %w", err)
	}
	s.URL = "http://" + listener.Addr().String()
	s.server = &http.Server{Handler: s.Calls.Wrap(s.Handler()), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.server.Serve(listener) }()
	return s, nil
}

// SendWebhooksTo makes url the only webhook endpoint.
func (s *SimServer) SendWebhooksTo(url string) error {
	return s.SetWebhookEndpoints([]simulator.WebhookEndpoint{{URL: url, Secret: s.WebhookSecret}})
}

// Client is a payments API client for the simulator, without a client-side rate limit.
func (s *SimServer) Client() (*dodo.Client, error) {
	return dodo.New(dodo.Config{BaseURL: s.URL, APIKey: dodo.NewSecret(s.APIKey), RateLimit: 1e6, Burst: 1000})
}

// Close stops serving and stops the simulator's webhook workers.
func (s *SimServer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.server.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = s.server.Close()
	}
	return errors.Join(err, s.Simulator.Close())
}
