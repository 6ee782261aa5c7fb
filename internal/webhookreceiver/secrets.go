package webhookreceiver

import (
	"errors"
	"fmt"
	"os"
	"strings"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// EnvWebhookKey is the environment variable holding the primary secret, as in Dodo's SDKs.
const EnvWebhookKey = "DODO_PAYMENTS_WEBHOOK_KEY"

// Secrets are the Standard Webhooks secrets ("whsec_" + base64) a delivery may be signed
// with: Primary, and Previous while a rotation is in progress (Dodo keeps the old secret
// valid for 24 hours). They print as [redacted].
type Secrets struct {
	Primary  dodo.Secret
	Previous dodo.Secret
}

// ErrNoDefaultSecret means there is no signing secret for the default path. An install that serves only
// accounts' paths runs without one (the default path then answers 404).
var ErrNoDefaultSecret = errors.New("no webhook secret for the default path")

// LoadSecrets reads the primary secret from primaryFile, or from the environment variable
// DODO_PAYMENTS_WEBHOOK_KEY when primaryFile is empty, and the previous secret from
// previousFile when set. Surrounding whitespace (a trailing newline in a mounted file) is
// trimmed. Errors name the source, never the value.
func LoadSecrets(getenv func(string) string, primaryFile, previousFile string) (Secrets, error) {
	var s Secrets
	var err error
	if primaryFile != "" {
		if s.Primary, err = readSecretFile(primaryFile); err != nil {
			return Secrets{}, err
		}
	} else {
		s.Primary = dodo.NewSecret(strings.TrimSpace(getenv(EnvWebhookKey)))
	}
	if s.Primary.IsZero() {
		return Secrets{}, fmt.Errorf("%w: set %s or --webhook-key-file", ErrNoDefaultSecret, EnvWebhookKey)
	}
	if previousFile != "" {
		if s.Previous, err = readSecretFile(previousFile); err != nil {
			return Secrets{}, err
		}
	}
	if _, err := s.webhooks(); err != nil {
		return Secrets{}, err
	}
	return s, nil
}

func readSecretFile(path string) (dodo.Secret, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return dodo.Secret{}, fmt.Errorf("reading webhook secret file %s: %w", path, err)
	}
	secret := dodo.NewSecret(strings.TrimSpace(string(raw)))
	if secret.IsZero() {
		return dodo.Secret{}, fmt.Errorf("webhook secret file %s is empty", path)
	}
	return secret, nil
}

// webhooks builds one verifier per configured secret, primary first.
func (s Secrets) webhooks() ([]*standardwebhooks.Webhook, error) {
	named := []struct {
		name   string
		secret dodo.Secret
	}{{"primary", s.Primary}, {"previous", s.Previous}}
	var hooks []*standardwebhooks.Webhook
	for _, n := range named {
		if n.secret.IsZero() {
			continue
		}
		hook, err := newWebhook(n.secret.Reveal())
		if err != nil {
			return nil, fmt.Errorf("%s webhook secret: %w", n.name, err)
		}
		hooks = append(hooks, hook)
	}
	if len(hooks) == 0 {
		return nil, errors.New("no webhook secret configured")
	}
	return hooks, nil
}

// errBadSecret hides the library's decode error, which could quote part of the value.
var errBadSecret = errors.New(`secret must be "whsec_" followed by non-empty base64`)

func newWebhook(secret string) (*standardwebhooks.Webhook, error) {
	if strings.TrimPrefix(secret, "whsec_") == "" {
		return nil, errBadSecret
	}
	hook, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return nil, errBadSecret
	}
	return hook, nil
}
