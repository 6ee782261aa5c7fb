package accounts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// DefaultSecretTTL is how long an API key read from its Secret is used before the Secret
// is read again: a rotated key is picked up within it, with no restart. A key Dodo refuses
// is read again at once.
const DefaultSecretTTL = time.Minute

// ErrNoDefaultAccount is returned for an object without accountRef when the operator was
// started without credentials of its own.
var ErrNoDefaultAccount = &NotUsableError{Reason: ReasonAccountNotFound,
	Message: "the object has no spec.accountRef and the operator has no API key of its own (DODO_PAYMENTS_API_KEY)"}

// Clients gives each account its own payments client, so its own rate limiter and
// priority budget: a busy account never slows another. A client is built again when the
// account's spec or its API key changes.
type Clients struct {
	// Reader reads accounts and Namespaces (the manager's cached client).
	Reader client.Reader
	// SecretReader reads Secrets with GET only, past the cache (the manager's API reader):
	// no list or watch, so the operator needs no access to Secrets no account names.
	// Reader when nil.
	SecretReader client.Reader
	// Default serves objects without accountRef (nil: such objects are refused).
	Default *dodo.Client
	// Base holds what every account's client shares (timeouts, budget share, user agent).
	Base dodo.Config
	// Options are passed to every client (metrics, logger).
	Options []dodo.Option
	// SecretTTL bounds how long a key read is reused (DefaultSecretTTL when zero).
	SecretTTL time.Duration
	Clock     clock.PassiveClock
	// SlotsPerAccount bounds the reconciles working on one saturated account at once
	// (Enter; DefaultSlotsPerAccount when zero). Keep it below the controllers' workers.
	SlotsPerAccount int

	slots slots

	mu    sync.Mutex
	byKey map[Key]*cachedClient
}

type cachedClient struct {
	spec   string // account UID and generation
	keySum string // hash of the API key, never the key
	readAt time.Time
	client *dodo.Client
}

// For is the payments client of the account ref names for an object in namespace.
// A *NotUsableError says why the account cannot be used now (missing, not admitting the
// namespace, its Secret missing); the object waits, nothing is called.
func (c *Clients) For(ctx context.Context, namespace string, ref *billingv1alpha1.AccountReference) (*dodo.Client, error) {
	key := KeyOf(namespace, ref)
	if key.IsDefault() {
		if c.Default == nil {
			return nil, ErrNoDefaultAccount
		}
		return c.Default, nil
	}
	acct, err := Get(ctx, c.Reader, key)
	if err != nil {
		return nil, err
	}
	if err := acct.Admits(ctx, c.Reader, namespace); err != nil {
		return nil, err
	}
	return c.ClientOf(ctx, acct)
}

// ClientOf is the client of a resolved account (the account controller checks the key
// with it).
func (c *Clients) ClientOf(ctx context.Context, acct *Account) (*dodo.Client, error) {
	now := c.now()
	spec := string(acct.Object.GetUID()) + "/" + strconv.FormatInt(acct.Object.GetGeneration(), 10)
	if fresh := c.freshClient(acct.Key, spec, now); fresh != nil {
		return fresh, nil
	}
	secrets := c.SecretReader
	if secrets == nil {
		secrets = c.Reader
	}
	apiKey, err := acct.ReadSecretKey(ctx, secrets, acct.Spec.APIKeySecretRef)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(apiKey))
	keySum := hex.EncodeToString(sum[:8])
	c.mu.Lock()
	defer c.mu.Unlock()
	if cached := c.byKey[acct.Key]; cached != nil && cached.spec == spec && cached.keySum == keySum {
		cached.readAt = now
		return cached.client, nil
	}
	built, err := dodo.New(c.configOf(acct, apiKey), c.Options...)
	if err != nil {
		return nil, &NotUsableError{Reason: ReasonAccountInvalid, Message: fmt.Sprintf("%s: %v", acct.Key, redact(err))}
	}
	if c.byKey == nil {
		c.byKey = map[Key]*cachedClient{}
	}
	c.byKey[acct.Key] = &cachedClient{spec: spec, keySum: keySum, readAt: now, client: built}
	return built, nil
}

// freshClient is the cached client of key when it was built for spec, its key was read
// within the TTL and Dodo has not refused it since; nil otherwise.
func (c *Clients) freshClient(key Key, spec string, now time.Time) *dodo.Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	cached := c.byKey[key]
	if cached == nil || cached.spec != spec || now.Sub(cached.readAt) >= c.ttl() || cached.client.CredentialsError() != nil {
		return nil
	}
	return cached.client
}

// ReasonAccountInvalid means the account's spec cannot make a client (a bad base URL).
const ReasonAccountInvalid = "AccountInvalid"

func (c *Clients) configOf(acct *Account, apiKey string) dodo.Config {
	cfg := c.Base
	cfg.BaseURL, cfg.Environment = acct.Spec.BaseURL, dodo.Environment(acct.Spec.Environment)
	cfg.APIKey = dodo.NewSecret(apiKey)
	if rl := acct.Spec.RateLimit; rl != nil && rl.RequestsPerMinute > 0 {
		cfg.RateLimit = rate.Limit(float64(rl.RequestsPerMinute) / 60)
	}
	return cfg
}

// redact keeps config errors (which never carry the key) but drops anything unexpected.
func redact(err error) error {
	if errors.Is(err, dodo.ErrNoAPIKey) || errors.Is(err, dodo.ErrNoEnvironment) {
		return err
	}
	return errors.New("invalid base URL or environment")
}

func (c *Clients) ttl() time.Duration {
	if c.SecretTTL > 0 {
		return c.SecretTTL
	}
	return DefaultSecretTTL
}

func (c *Clients) now() time.Time {
	if c.Clock == nil {
		return time.Now()
	}
	return c.Clock.Now()
}
