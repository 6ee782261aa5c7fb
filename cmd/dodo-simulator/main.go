// Command dodo-simulator serves a local, Dodo Payments-compatible API for
// tests, demos and development (see internal/simulator).
//
//	dodo-simulator --api-key-file key.txt --webhook-url http://127.0.0.1:9443/webhooks \
//	    --write-webhook-secret /tmp/whsec.txt
//
// Without --products the built-in catalogue is used (pdt_sim_basic $30/month,
// pdt_sim_pro $80/month, pdt_sim_trial $10/month with 14 trial days,
// pdt_sim_annual $300/year, pdt_sim_on_demand $10/month for on-demand).
// Keys, tokens and webhook secrets are never logged.
//
// --pessimistic turns off the conveniences Dodo does not document (lists
// lagging 2 s behind writes, payment pages capped at page_number 2, dues
// charged again on a repeated update-payment-method, no subscription
// metadata on mandate, renewal and dues payments); the other pessimism
// flags set one switch each, and win over the preset's values
// (docs/reliability.md, "Pessimistic mode").
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/dodo-operator/dodo-operator/internal/simulator"
)

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(v string) error {
	*l = append(*l, v)
	return nil
}

type options struct {
	listen             string
	apiKey             string
	apiKeyFile         string
	productsFile       string
	products           stringList
	webhookURLs        stringList
	webhookSecretFile  string
	writeWebhookSecret string
	adminTokenFile     string
	baseURL            string
	timeScale          float64
	rateLimitPerMinute int
	rateLimitBurst     int
	settleDelay        time.Duration
	seed               uint64
	logFormat          string
	pessimistic        bool
	pessimism          simulator.Pessimism
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("dodo-simulator", flag.ContinueOnError)
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8090", "address to listen on")
	fs.StringVar(&o.apiKey, "api-key", os.Getenv("DODO_SIMULATOR_API_KEY"), "accepted API key (default $DODO_SIMULATOR_API_KEY)")
	fs.StringVar(&o.apiKeyFile, "api-key-file", "", "file holding the accepted API key")
	fs.StringVar(&o.productsFile, "products", "", "YAML product catalogue (built-in catalogue when omitted)")
	fs.Var(&o.products, "product", "extra product, e.g. id=pdt_x,price=3000,currency=USD,interval=Month (repeatable)")
	fs.Var(&o.webhookURLs, "webhook-url", "webhook endpoint URL (repeatable)")
	fs.StringVar(&o.webhookSecretFile, "webhook-secret-file", "", "file holding the whsec_ webhook secret")
	fs.StringVar(&o.writeWebhookSecret, "write-webhook-secret", "", "generate a webhook secret and write it to this file")
	fs.StringVar(&o.adminTokenFile, "admin-token-file", "", "file holding the token required on /_simulator/ admin routes")
	fs.StringVar(&o.baseURL, "base-url", "", "public base URL for payment links (default: request host)")
	fs.Float64Var(&o.timeScale, "time-scale", 1, "webhook retry schedule scale (0.001 = 1000x faster)")
	fs.IntVar(&o.rateLimitPerMinute, "rate-limit-per-minute", 0, "API requests per minute per key (0 = off)")
	fs.IntVar(&o.rateLimitBurst, "rate-limit-burst", 0, "rate limit burst (default min(10, per-minute))")
	fs.DurationVar(&o.settleDelay, "settle-delay", simulator.DefaultSettleDelay, "how long charges stay processing")
	fs.Uint64Var(&o.seed, "seed", uint64(time.Now().UnixNano()), "seed for IDs")
	fs.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	pessimismFlags(fs, &o)
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	return o, nil
}

func pessimismFlags(fs *flag.FlagSet, o *options) {
	p := &o.pessimism
	fs.BoolVar(&o.pessimistic, "pessimistic", false, "turn on every pessimistic switch (values set by the flags below are kept)")
	fs.DurationVar(&p.ListLag, "list-lag", 0, "lists show objects as they were this long ago (0 = current)")
	fs.IntVar(&p.PaymentListPageCap, "payment-list-page-cap", 0, "highest page_number GET /payments serves (0 = no cap)")
	fs.StringVar((*string)(&p.PaymentListPastCap), "payment-list-past-cap", "",
		"answer past the cap: empty_page (default) or error (422)")
	fs.BoolVar(&p.DuesDespiteOpenPayment, "dues-despite-open-payment", false,
		"update-payment-method on on_hold charges the dues again while a payment is open")
	fs.BoolVar(&p.PaymentsWithoutSubscriptionMetadata, "payments-without-subscription-metadata", false,
		"mandate, renewal and dues payments carry no subscription metadata")
}

func readSecretFile(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	value := strings.TrimSpace(string(data))
	if value == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return value, nil
}

func (o options) apiKeys() ([]string, error) {
	key := o.apiKey
	if o.apiKeyFile != "" {
		fromFile, err := readSecretFile(o.apiKeyFile)
		if err != nil {
			return nil, fmt.Errorf("api key: %w", err)
		}
		key = fromFile
	}
	if key == "" {
		return nil, errors.New("an API key is required: --api-key, --api-key-file or DODO_SIMULATOR_API_KEY")
	}
	return []string{key}, nil
}

func (o options) catalogue() ([]simulator.Product, error) {
	var products []simulator.Product
	if o.productsFile != "" {
		data, err := os.ReadFile(o.productsFile)
		if err != nil {
			return nil, fmt.Errorf("read products: %w", err)
		}
		if products, err = simulator.ParseProductsYAML(data); err != nil {
			return nil, err
		}
	} else if len(o.products) == 0 {
		products = simulator.DefaultProducts()
	}
	for _, spec := range o.products {
		p, err := simulator.ParseProductFlag(spec)
		if err != nil {
			return nil, err
		}
		products = append(products, p)
	}
	return products, nil
}

// webhookSecret reads the secret, or generates one and writes it (0600).
func (o options) webhookSecret() (string, error) {
	if o.webhookSecretFile != "" {
		return readSecretFile(o.webhookSecretFile)
	}
	if o.writeWebhookSecret == "" {
		if len(o.webhookURLs) == 0 {
			return "", nil
		}
		return "", errors.New("webhook URLs need --webhook-secret-file or --write-webhook-secret")
	}
	secret, err := simulator.GenerateWebhookSecret()
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(o.writeWebhookSecret, []byte(secret+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write webhook secret: %w", err)
	}
	return secret, nil
}

func (o options) config(logger *slog.Logger) (simulator.Config, error) {
	keys, err := o.apiKeys()
	if err != nil {
		return simulator.Config{}, err
	}
	products, err := o.catalogue()
	if err != nil {
		return simulator.Config{}, err
	}
	secret, err := o.webhookSecret()
	if err != nil {
		return simulator.Config{}, err
	}
	cfg := simulator.Config{
		APIKeys: keys, Products: products, BaseURL: o.baseURL, WebhookTimeScale: o.timeScale,
		RateLimitPerMinute: o.rateLimitPerMinute, RateLimitBurst: o.rateLimitBurst,
		SettleDelay: o.settleDelay, Seed: o.seed, Logger: logger, Pessimism: o.pessimism,
	}
	if o.pessimistic {
		cfg = simulator.Pessimistic(cfg)
	}
	for _, url := range o.webhookURLs {
		cfg.WebhookEndpoints = append(cfg.WebhookEndpoints, simulator.WebhookEndpoint{URL: url, Secret: secret})
	}
	if o.adminTokenFile != "" {
		if cfg.AdminToken, err = readSecretFile(o.adminTokenFile); err != nil {
			return simulator.Config{}, fmt.Errorf("admin token: %w", err)
		}
	}
	return cfg, nil
}

func newLogger(format string) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, nil))
}

func run(ctx context.Context, o options, logger *slog.Logger) error {
	cfg, err := o.config(logger)
	if err != nil {
		return err
	}
	sim, err := simulator.New(cfg)
	if err != nil {
		return err
	}
	if err := sim.Start(); err != nil {
		return err
	}
	defer func() { _ = sim.Close() }()
	listener, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	server := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
	logger.Info("dodo simulator listening", "address", listener.Addr().String(),
		"webhook_urls", []string(o.webhookURLs), "admin_token_set", cfg.AdminToken != "",
		"rate_limit_per_minute", cfg.RateLimitPerMinute, "products", len(cfg.Products),
		"pessimism", fmt.Sprintf("%+v", cfg.Pessimism))
	serveErr := make(chan error, 1)
	go func() { serveErr <- server.Serve(listener) }()
	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := server.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

func main() {
	o, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0) // -help printed the usage, as asked: not a failure
	}
	if err != nil {
		os.Exit(2)
	}
	logger := newLogger(o.logFormat)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, logger); err != nil {
		logger.Error("dodo simulator failed", "error", err)
		stop()
		os.Exit(1)
	}
}
