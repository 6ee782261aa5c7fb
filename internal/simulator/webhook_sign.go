package simulator

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

const webhookSecretPrefix = "whsec_"

// errBadSecret never includes the secret itself.
var errBadSecret = errors.New(`webhook secret must be "whsec_" followed by base64`)

// newSigner parses a "whsec_<base64>" secret (the HMAC key is the decoded
// bytes, as in the Standard Webhooks library the Dodo SDKs use).
func newSigner(secret string) (*standardwebhooks.Webhook, error) {
	encoded, ok := strings.CutPrefix(secret, webhookSecretPrefix)
	if !ok || encoded == "" {
		return nil, errBadSecret
	}
	if _, err := base64.StdEncoding.DecodeString(encoded); err != nil {
		return nil, errBadSecret
	}
	signer, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return nil, errBadSecret
	}
	return signer, nil
}

// GenerateWebhookSecret returns a new random "whsec_" secret (24 key bytes).
func GenerateWebhookSecret() (string, error) {
	key := make([]byte, 24)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("generate webhook secret: %w", err)
	}
	return webhookSecretPrefix + base64.StdEncoding.EncodeToString(key), nil
}

// signedHeaders are the three Standard Webhooks headers of one attempt.
type signedHeaders struct {
	ID        string
	Timestamp string
	Signature string
}

// signPayload signs body once per signer and joins the "v1,<sig>" entries
// with spaces, as the spec allows for key rotation.
func signPayload(signers []*standardwebhooks.Webhook, msgID string, at time.Time, body []byte) (signedHeaders, error) {
	entries := make([]string, 0, len(signers))
	for _, signer := range signers {
		signature, err := signer.Sign(msgID, at, body)
		if err != nil {
			return signedHeaders{}, fmt.Errorf("sign webhook %s: %w", msgID, err)
		}
		entries = append(entries, signature)
	}
	return signedHeaders{
		ID:        msgID,
		Timestamp: strconv.FormatInt(at.Unix(), 10),
		Signature: strings.Join(entries, " "),
	}, nil
}

func endpointSigners(ep WebhookEndpoint) ([]*standardwebhooks.Webhook, error) {
	secrets := append([]string{ep.Secret}, ep.AdditionalSecrets...)
	signers := make([]*standardwebhooks.Webhook, 0, len(secrets))
	for _, secret := range secrets {
		signer, err := newSigner(secret)
		if err != nil {
			return nil, err
		}
		signers = append(signers, signer)
	}
	return signers, nil
}
