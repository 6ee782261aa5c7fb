// Package simtest serves the payments simulator over real HTTP for one test and hands back
// a typed client of it: the one way tests outside the simulator wire the two together.
// Only tests import it.
package simtest

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
)

// APIKey is the key the simulator accepts when the test's configuration names none.
const APIKey = "sk_test_simtest"

type settings struct {
	client  []func(*dodo.Config)
	options []dodo.Option
	run     bool
}

// Option changes how Start serves the simulator or builds its client.
type Option func(*settings)

// WithClientConfig edits the client's configuration after Start filled it in (the base
// URL, the first API key, and the defaults listed at Start).
func WithClientConfig(edit func(*dodo.Config)) Option {
	return func(s *settings) { s.client = append(s.client, edit) }
}

// WithClientOptions passes options to dodo.New (a clock, a random source...).
func WithClientOptions(opts ...dodo.Option) Option {
	return func(s *settings) { s.options = append(s.options, opts...) }
}

// Running starts the simulator's background work (webhook delivery, the due-work scan)
// before Start returns; without it the test drives time (Advance, ProcessDue).
func Running() Option {
	return func(s *settings) { s.run = true }
}

// Start builds a simulator from cfg, serves it on a loopback port until the test ends,
// and returns it with a client of it. When cfg has no API key, APIKey is accepted. The
// client uses the first API key, a client-side limit of 1000 requests a second, burst
// 1000, a 5-second timeout and no retries (a test sees every failure it causes, once);
// WithClientConfig changes these.
func Start(t testing.TB, cfg simulator.Config, opts ...Option) (*simulator.Simulator, *dodo.Client) {
	t.Helper()
	var s settings
	for _, o := range opts {
		o(&s)
	}
	if len(cfg.APIKeys) == 0 {
		cfg.APIKeys = []string{APIKey}
	}
	sim, err := simulator.New(cfg)
	if err != nil {
		t.Fatalf("simulator: %v", err)
	}
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(func() {
		srv.Close()
		_ = sim.Close()
	})
	if s.run {
		if err := sim.Start(); err != nil {
			t.Fatalf("starting the simulator: %v", err)
		}
	}
	clientCfg := dodo.Config{BaseURL: srv.URL, APIKey: dodo.NewSecret(cfg.APIKeys[0]), RateLimit: 1000, Burst: 1000,
		Timeout: 5 * time.Second, MaxGetRetries: -1}
	for _, edit := range s.client {
		edit(&clientCfg)
	}
	client, err := dodo.New(clientCfg, s.options...)
	if err != nil {
		t.Fatalf("client of the simulator: %v", err)
	}
	return sim, client
}
