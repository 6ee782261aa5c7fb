package harness

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"time"
)

// OperatorOptions configure an operator child process. Zero values keep the binary's
// defaults, except where noted.
type OperatorOptions struct {
	// Binary is the dodo-operator program.
	Binary string
	// Name labels the process and its log file (default "operator").
	Name string
	// Kubeconfig and LogDir are required.
	Kubeconfig, LogDir string
	// Sim is the payments API the operator uses.
	Sim *SimServer
	// ResyncInterval, CreateSettle and ChargeOutcomeTimeout map to the flags of the same
	// meaning.
	ResyncInterval, CreateSettle, ChargeOutcomeTimeout time.Duration
	// CreateAbsentAfter, ChargeSettle and ChargeAbsentAfter map to --create-absent-after,
	// --charge-settle and --charge-absent-after (the lookups after an unanswered call).
	CreateAbsentAfter, ChargeSettle, ChargeAbsentAfter time.Duration
	// PlanChangeConfirmWithin maps to --plan-change-confirm-within.
	PlanChangeConfirmWithin time.Duration
	// MaxConcurrentReconciles maps to --max-concurrent-reconciles.
	MaxConcurrentReconciles int
	// RequestsPerSecond maps to --dodo-requests-per-second (0 keeps the 1.5/s default).
	RequestsPerSecond float64
	// MaxChargesInFlight maps to --max-charges-in-flight.
	MaxChargesInFlight int
	// LeaderElect maps to --leader-elect.
	LeaderElect bool
	// Pprof serves Go's profiles on a free loopback port (--pprof-bind-address).
	Pprof bool
	// Extra are more arguments.
	Extra []string
}

// Component is a child process with metrics and probe endpoints.
type Component struct {
	*Process
	// MetricsURL is the Prometheus endpoint; ProbeURL the base of /healthz and /readyz;
	// PprofURL the base of /debug/pprof (empty unless asked for).
	MetricsURL, ProbeURL, PprofURL string
}

// NewOperator prepares an operator process (not started).
func NewOperator(o OperatorOptions) (*Component, error) {
	if o.Name == "" {
		o.Name = "operator"
	}
	metrics, probe, err := twoPorts()
	if err != nil {
		return nil, err
	}
	// Plain HTTP metrics on loopback: the harness scrapes without a ServiceAccount token.
	args := []string{"--metrics-bind-address=" + metrics, "--metrics-secure=false", "--health-probe-bind-address=" + probe,
		"--dodo-base-url=" + o.Sim.URL}
	args = appendDuration(args, "--resync-interval", o.ResyncInterval)
	args = appendDuration(args, "--create-settle", o.CreateSettle)
	args = appendDuration(args, "--charge-outcome-timeout", o.ChargeOutcomeTimeout)
	args = appendDuration(args, "--create-absent-after", o.CreateAbsentAfter)
	args = appendDuration(args, "--charge-settle", o.ChargeSettle)
	args = appendDuration(args, "--charge-absent-after", o.ChargeAbsentAfter)
	args = appendDuration(args, "--plan-change-confirm-within", o.PlanChangeConfirmWithin)
	args = appendInt(args, "--max-concurrent-reconciles", o.MaxConcurrentReconciles)
	args = appendInt(args, "--max-charges-in-flight", o.MaxChargesInFlight)
	if o.RequestsPerSecond > 0 {
		args = append(args, "--dodo-requests-per-second="+strconv.FormatFloat(o.RequestsPerSecond, 'f', -1, 64))
	}
	if o.LeaderElect {
		args = append(args, "--leader-elect")
	}
	pprofURL := ""
	if o.Pprof {
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		args, pprofURL = append(args, "--pprof-bind-address="+addr), "http://"+addr
	}
	p := &Process{Name: o.Name, Path: o.Binary, Args: append(args, o.Extra...),
		Env:     []string{"KUBECONFIG=" + o.Kubeconfig, "DODO_PAYMENTS_API_KEY=" + o.Sim.APIKey},
		LogPath: filepath.Join(o.LogDir, o.Name+".log")}
	return &Component{Process: p, MetricsURL: "http://" + metrics + "/metrics", ProbeURL: "http://" + probe,
		PprofURL: pprofURL}, nil
}

// ReceiverOptions configure a webhook receiver child process.
type ReceiverOptions struct {
	Binary, Name, Kubeconfig, LogDir string
	// SecretFile holds the whsec_ secret.
	SecretFile string
}

// Receiver is the webhook receiver process and where it listens.
type Receiver struct {
	*Component
	// WebhookURL is where webhooks are delivered.
	WebhookURL string
}

// NewReceiver prepares a webhook receiver process (not started).
func NewReceiver(o ReceiverOptions) (*Receiver, error) {
	if o.Name == "" {
		o.Name = "webhook-receiver"
	}
	metrics, probe, err := twoPorts()
	if err != nil {
		return nil, err
	}
	listen, err := freeAddr()
	if err != nil {
		return nil, err
	}
	p := &Process{Name: o.Name, Path: o.Binary, LogPath: filepath.Join(o.LogDir, o.Name+".log"),
		Args: []string{"--listen=" + listen, "--metrics-bind-address=" + metrics, "--health-probe-bind-address=" + probe,
			"--webhook-key-file=" + o.SecretFile},
		Env: []string{"KUBECONFIG=" + o.Kubeconfig}}
	c := &Component{Process: p, MetricsURL: "http://" + metrics + "/metrics", ProbeURL: "http://" + probe}
	return &Receiver{Component: c, WebhookURL: "http://" + listen + "/dodo/webhooks"}, nil
}

// StartAndWait starts the process and waits until /readyz answers 200.
func (c *Component) StartAndWait(ctx context.Context, timeout time.Duration) error {
	if err := c.Start(); err != nil {
		return err
	}
	return c.WaitReady(ctx, timeout)
}

// WaitReady polls /readyz until it answers 200, the process exits, or timeout passes.
func (c *Component) WaitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	for {
		if !c.Running() {
			return fmt.Errorf("%s exited during start:\n%s", c.Name, c.LogTail(30))
		}
		if resp, err := client.Get(c.ProbeURL + "/readyz"); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready: %w:\n%s", c.Name, ctx.Err(), c.LogTail(30))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Metrics scrapes the process's Prometheus endpoint.
func (c *Component) Metrics(ctx context.Context) (string, error) {
	return Scrape(ctx, c.MetricsURL)
}

func appendDuration(args []string, flag string, d time.Duration) []string {
	if d <= 0 {
		return args
	}
	return append(args, flag+"="+d.String())
}

func appendInt(args []string, flag string, n int) []string {
	if n <= 0 {
		return args
	}
	return append(args, flag+"="+strconv.Itoa(n))
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().String(), nil
}

func twoPorts() (string, string, error) {
	a, err := freeAddr()
	if err != nil {
		return "", "", err
	}
	b, err := freeAddr()
	return a, b, err
}
