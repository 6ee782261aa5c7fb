package webhookreceiver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/dodo-operator/dodo-operator/internal/accounts"
)

// errUnknownAccount: an account path naming no account (answered 404).
var errUnknownAccount = errors.New("no such account")

// routeOf is the account a request path is for. Paths under accounts.WebhookPathPrefix are
// accounts' paths; every other path is the default account's, as every path was before
// accounts (the prefix itself, with its slash, too). ok is false for a path under the
// prefix that names no account.
func routeOf(path string) (key accounts.Key, ok bool) {
	if !strings.HasPrefix(path, accounts.WebhookPathPrefix) || path == accounts.WebhookPathPrefix {
		return accounts.Key{}, true
	}
	return accounts.ParseWebhookPath(path)
}

// verifyRequest verifies a delivery with the secrets of the account its path names and
// decodes it. acct is nil on the default path. The outcome is set when the request is
// refused: unknown_account (404), no_account_secret and rejected_signature (401),
// malformed (400), or error (503: the account or its Secret could not be read).
func (r *Receiver) verifyRequest(ctx context.Context, path string, header http.Header, body []byte) (
	d delivery, acct *accounts.Account, o outcome, err error) {
	key, ok := routeOf(path)
	if !ok || (key.IsDefault() && r.noDefault) {
		return delivery{}, nil, outcomeUnknownAccount, errUnknownAccount
	}
	if key.IsDefault() {
		d, err = verifyAndDecode(r.verifier, header, body)
	} else {
		if acct, o, err = r.accountOf(ctx, key); o != "" {
			return delivery{}, nil, o, err
		}
		d, err = r.verifyForAccount(ctx, acct, header, body)
	}
	switch {
	case errors.Is(err, errNoAccountSecret):
		return delivery{}, nil, outcomeNoAccountSecret, fmt.Errorf("%s: %w", key, err)
	case errors.Is(err, errMalformed):
		r.metrics.markValid(r.clock.Now())
		return delivery{}, nil, outcomeMalformed, err
	case isVerifyError(err):
		return delivery{}, nil, outcomeRejectedSignature, err
	case err != nil:
		return delivery{}, nil, outcomeError, err
	}
	r.metrics.markValid(r.clock.Now())
	d.account = key
	return d, acct, "", nil
}

// accountOf reads the account from the cache (never the API server: anyone can post to
// any path). Without an account reader, account paths are not served.
func (r *Receiver) accountOf(ctx context.Context, key accounts.Key) (*accounts.Account, outcome, error) {
	if r.accounts == nil {
		return nil, outcomeUnknownAccount, errUnknownAccount
	}
	if !r.ready() {
		return nil, outcomeError, errNotReady
	}
	ctx, cancel := context.WithTimeout(ctx, r.applyTimeout)
	defer cancel()
	acct, err := accounts.Get(ctx, r.accounts, key)
	var notUsable *accounts.NotUsableError
	switch {
	case errors.As(err, &notUsable):
		return nil, outcomeUnknownAccount, errUnknownAccount
	case err != nil:
		return nil, outcomeError, err
	}
	return acct, "", nil
}

// verifyForAccount verifies with the account's secretRef and previousSecretRef. A signature
// the cached secrets do not verify reads the Secrets again at once (minSecretReread apart):
// a rotated Secret is picked up without waiting for the TTL or a restart.
func (r *Receiver) verifyForAccount(ctx context.Context, acct *accounts.Account, header http.Header, body []byte) (delivery, error) {
	if w := acct.Spec.Webhook; w == nil || w.SecretRef == nil {
		return delivery{}, errNoAccountSecret
	}
	ctx, cancel := context.WithTimeout(ctx, r.applyTimeout)
	defer cancel()
	entry, err := r.secrets.get(ctx, acct, false)
	if err != nil {
		return delivery{}, err
	}
	err = r.verifier.verifyWith(entry.hooks, header, body)
	if errors.Is(err, errBadSignature) {
		fresh, readErr := r.secrets.get(ctx, acct, true)
		if readErr != nil {
			return delivery{}, readErr
		}
		if fresh != entry {
			entry, err = fresh, r.verifier.verifyWith(fresh.hooks, header, body)
		}
	}
	switch {
	case len(entry.hooks) == 0:
		return delivery{}, errNoAccountSecret
	case err != nil:
		return delivery{}, err
	}
	return decodeDelivery(header.Get(standardwebhooks.HeaderWebhookID), body)
}

// isVerifyError says whether err is one of the signature and header checks' refusals.
func isVerifyError(err error) bool {
	for _, target := range []error{errMissingHeaders, errBadTimestamp, errTimestampTooOld, errTimestampTooNew, errBadSignature} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}
