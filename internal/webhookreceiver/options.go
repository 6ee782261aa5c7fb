package webhookreceiver

import (
	"errors"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/dodo-operator/dodo-operator/internal/accounts"
)

// Defaults of Options.
const (
	// DefaultTimestampTolerance is the Standard Webhooks reference libraries' window.
	DefaultTimestampTolerance = 5 * time.Minute
	// DefaultMaxBodyBytes bounds a delivery; Standard Webhooks suggests payloads under 20 KB.
	DefaultMaxBodyBytes int64 = 1 << 20
	// DefaultNotFoundGrace is how long after an event a stamped object that cannot be found
	// gets a 503 (Dodo retries at once, after 5 s and after 5 min).
	DefaultNotFoundGrace = 5 * time.Minute
	// DefaultApplyTimeout keeps the answer within Dodo's 15 s delivery timeout.
	DefaultApplyTimeout = 10 * time.Second
)

// Options configures a Receiver. Client and Cache are required; zero durations and sizes take the
// defaults above.
type Options struct {
	// Secrets verify the signatures (the primary, and the previous one during a rotation).
	Secrets Secrets
	// NoDefaultAccount serves accounts' paths only: Secrets is not needed and the default
	// path answers 404 (unknown_account).
	NoDefaultAccount bool
	// Client reads objects fresh from the API server and writes their status. It must not
	// be a cached client: a stale read would only cost conflicts, but an uncached one never
	// answers from an old view.
	Client client.Client
	// Cache holds the field indexes registered by SetupIndexes (a manager's cache).
	Cache client.Reader
	// Accounts reads DodoAccounts and ClusterDodoAccounts for the accounts' paths (a
	// manager's cache: a request never makes the receiver read the API server for an
	// account). Nil serves the default path only; account paths answer 404.
	Accounts client.Reader
	// SecretReader reads the Secrets accounts name, with GET only (not a cache: the
	// receiver must not list or watch Secrets); Client when nil.
	SecretReader client.Reader
	// SecretTTL is how long an account's webhook secrets are used before they are read
	// again (accounts.DefaultSecretTTL when zero). A signature they do not verify reads
	// them again at once.
	SecretTTL time.Duration
	// Ready reports whether Cache has synced; nil means always ready.
	Ready func() bool
	// Clock checks webhook timestamps and the not-found grace, ages the accounts' secrets
	// and dates lastWebhookAt; the real clock when nil.
	Clock clock.PassiveClock
	// TimestampTolerance is how far webhook-timestamp may be from Clock.
	TimestampTolerance time.Duration
	// MaxBodyBytes is the largest body accepted (413 above).
	MaxBodyBytes int64
	// NotFoundGrace is how long after the event a missing stamped object answers 503.
	NotFoundGrace time.Duration
	// ApplyTimeout bounds the lookups and writes of one delivery.
	ApplyTimeout time.Duration
	// Recorder, when set, receives an Event for each change of Dodo's status the receiver
	// stores (on_hold, failed, reactivated...): notification tools route on Events.
	Recorder events.EventRecorder
	// Registerer receives the metrics; controller-runtime's registry when nil.
	Registerer prometheus.Registerer
	// Logger receives logs: outcomes and object names, never secrets or payload content at
	// the default verbosity.
	Logger logr.Logger
}

func (o Options) withDefaults() Options {
	if o.Ready == nil {
		o.Ready = func() bool { return true }
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	if o.TimestampTolerance <= 0 {
		o.TimestampTolerance = DefaultTimestampTolerance
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.NotFoundGrace <= 0 {
		o.NotFoundGrace = DefaultNotFoundGrace
	}
	if o.ApplyTimeout <= 0 {
		o.ApplyTimeout = DefaultApplyTimeout
	}
	if o.SecretReader == nil {
		o.SecretReader = o.Client
	}
	if o.SecretTTL <= 0 {
		o.SecretTTL = accounts.DefaultSecretTTL
	}
	if o.Registerer == nil {
		o.Registerer = ctrlmetrics.Registry
	}
	if o.Logger.GetSink() == nil {
		o.Logger = logr.Discard()
	}
	return o
}

func (o Options) validate() error {
	if o.Client == nil || o.Cache == nil {
		return errors.New("webhook receiver: a Kubernetes client and an indexed cache are required")
	}
	return nil
}
