package webhookreceiver

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/accounts"
)

// minSecretReread bounds how often a failed verification reads an account's Secrets again
// before the TTL: anyone can post bad signatures to an account's path, and each re-read is
// a GET on the API server. Dodo retries a refused delivery after 5 s, so a rotation costs
// at most one early retry.
const minSecretReread = 5 * time.Second

// errNoAccountSecret: the account names no usable webhook secret (answered 401).
var errNoAccountSecret = errors.New("the account has no usable webhook secret (spec.webhook.secretRef, its Secret and key)")

// accountSecrets caches the verifiers built from each account's webhook Secrets. Secrets
// are read with GET only (the receiver never lists or watches them), again after the TTL,
// when the account's spec names other Secrets, or at once (minSecretReread apart) when a
// signature does not verify, so a rotated Secret needs no restart. Values are never kept
// as strings, logged or put into errors.
type accountSecrets struct {
	reader client.Reader
	clock  clock.PassiveClock
	ttl    time.Duration
	log    logr.Logger

	mu    sync.Mutex
	byKey map[accounts.Key]*secretEntry
}

// secretEntry is one read of an account's webhook Secrets.
type secretEntry struct {
	// source is the account's UID and the Secrets and keys it names (never values).
	source string
	// hooks verify with secretRef's value then previousSecretRef's; empty when neither is
	// usable (cached too, so a misconfigured account is not read per request).
	hooks  []*standardwebhooks.Webhook
	readAt time.Time
}

func newAccountSecrets(reader client.Reader, clk clock.PassiveClock, ttl time.Duration, log logr.Logger) *accountSecrets {
	return &accountSecrets{reader: reader, clock: clk, ttl: ttl, log: log, byKey: map[accounts.Key]*secretEntry{}}
}

// get returns the account's verifiers, read again when the cached ones are older than the
// TTL, or than minSecretReread with refresh (a signature they did not verify).
func (s *accountSecrets) get(ctx context.Context, acct *accounts.Account, refresh bool) (*secretEntry, error) {
	source := secretSource(acct)
	now := s.clock.Now()
	s.mu.Lock()
	cached := s.byKey[acct.Key]
	s.mu.Unlock()
	if cached != nil && cached.source == source {
		age := now.Sub(cached.readAt)
		if age >= 0 && age < s.ttl && (!refresh || age < minSecretReread) {
			return cached, nil
		}
	}
	entry, err := s.read(ctx, acct, source, now)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.byKey[acct.Key] = entry
	s.mu.Unlock()
	return entry, nil
}

// read builds the verifiers from the Secrets the account names. A missing Secret or key,
// or a value that is not a whsec_ secret, leaves that secret out (and is logged, by name);
// only an API-server failure is an error.
func (s *accountSecrets) read(ctx context.Context, acct *accounts.Account, source string, now time.Time) (*secretEntry, error) {
	entry := &secretEntry{source: source, readAt: now}
	var problems []string
	for _, ref := range webhookSecretRefs(acct) {
		value, err := acct.ReadSecretKey(ctx, s.reader, *ref)
		var notUsable *accounts.NotUsableError
		switch {
		case errors.As(err, &notUsable):
			problems = append(problems, notUsable.Message)
			continue
		case err != nil:
			return nil, err
		}
		hook, err := newWebhook(value)
		if err != nil {
			problems = append(problems, fmt.Sprintf("Secret %s/%s key %q: %v", acct.SecretNamespace, ref.Name, ref.Key, err))
			continue
		}
		entry.hooks = append(entry.hooks, hook)
	}
	if len(problems) > 0 {
		s.log.Info("Webhook secret of the account not usable; its deliveries that need it are refused",
			"account", acct.Key.String(), "problems", problems)
	}
	return entry, nil
}

// webhookSecretRefs are the account's secretRef and previousSecretRef, when set.
func webhookSecretRefs(acct *accounts.Account) []*billingv1alpha1.SecretKeyReference {
	var refs []*billingv1alpha1.SecretKeyReference
	if w := acct.Spec.Webhook; w != nil {
		for _, ref := range []*billingv1alpha1.SecretKeyReference{w.SecretRef, w.PreviousSecretRef} {
			if ref != nil {
				refs = append(refs, ref)
			}
		}
	}
	return refs
}

// secretSource says which Secrets an entry was read from: another account of the same
// name, or a spec naming other Secrets, invalidates it.
func secretSource(acct *accounts.Account) string {
	source := string(acct.Object.GetUID()) + "|" + acct.SecretNamespace
	if w := acct.Spec.Webhook; w != nil {
		for _, ref := range []*billingv1alpha1.SecretKeyReference{w.SecretRef, w.PreviousSecretRef} {
			source += "|"
			if ref != nil {
				source += ref.Name + "/" + ref.Key
			}
		}
	}
	return source
}
