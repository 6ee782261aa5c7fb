package simulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	testingclock "k8s.io/utils/clock/testing"
)

// Standard Webhooks spec example.
const (
	specMsgID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	specTimestamp = 1614265330
	specBody      = `{"test": 2432232314}`
	specSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

// independentSignature computes a v1 signature with crypto/hmac only.
func independentSignature(t *testing.T, secret, id string, ts int64, body string) string {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		t.Fatalf("decode secret: %v", err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + strconv.FormatInt(ts, 10) + "." + body))
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func TestSignPayloadMatchesSpecVector(t *testing.T) {
	want := independentSignature(t, testSecret, specMsgID, specTimestamp, specBody)
	if want != specSignature {
		t.Fatalf("independent HMAC %q differs from the spec's %q", want, specSignature)
	}
	signers, err := endpointSigners(WebhookEndpoint{URL: "http://x", Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	headers, err := signPayload(signers, specMsgID, time.Unix(specTimestamp, 0), []byte(specBody))
	if err != nil {
		t.Fatal(err)
	}
	assertEqual(t, "signature", headers.Signature, specSignature)
	assertEqual(t, "timestamp", headers.Timestamp, "1614265330")
	assertEqual(t, "id", headers.ID, specMsgID)
}

func TestSignPayloadMultipleSecrets(t *testing.T) {
	second, err := GenerateWebhookSecret()
	if err != nil {
		t.Fatal(err)
	}
	signers, err := endpointSigners(WebhookEndpoint{URL: "http://x", Secret: testSecret, AdditionalSecrets: []string{second}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	headers, err := signPayload(signers, specMsgID, now, []byte(specBody))
	if err != nil {
		t.Fatal(err)
	}
	entries := strings.Split(headers.Signature, " ")
	assertEqual(t, "signature entries", len(entries), 2)
	assertEqual(t, "second entry", entries[1], independentSignature(t, second, specMsgID, now.Unix(), specBody))
	header := http.Header{}
	header.Set("webhook-id", headers.ID)
	header.Set("webhook-timestamp", headers.Timestamp)
	// An unknown version entry in front must be skipped by receivers.
	header.Set("webhook-signature", "v1a,bm90LWEtc2lnbmF0dXJl "+headers.Signature)
	other, _ := GenerateWebhookSecret()
	for name, tc := range map[string]struct {
		secret string
		ok     bool
	}{"old key": {testSecret, true}, "new key": {second, true}, "unrelated key": {other, false}} {
		verifier, err := standardwebhooks.NewWebhook(tc.secret)
		if err != nil {
			t.Fatal(err)
		}
		if err := verifier.Verify([]byte(specBody), header); (err == nil) != tc.ok {
			t.Errorf("%s: verify error %v, want ok=%v", name, err, tc.ok)
		}
	}
}

func TestNewSignerRejectsBadSecretsWithoutEchoingThem(t *testing.T) {
	for _, secret := range []string{"", "whsec_", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_not base64!"} {
		_, err := newSigner(secret)
		if err == nil {
			t.Fatalf("secret %q accepted", secret)
		}
		if key := strings.TrimPrefix(secret, "whsec_"); key != "" && strings.Contains(err.Error(), key) {
			t.Fatalf("error %q echoes the secret", err)
		}
	}
}

// TestDeliveredSignatureTimestampTolerance sends real deliveries signed at
// the simulator's wall clock and verifies them with the library's
// time-checking Verify: current ones pass, ones 10 minutes old are stale.
func TestDeliveredSignatureTimestampTolerance(t *testing.T) {
	for name, tc := range map[string]struct {
		skew    time.Duration
		wantErr error
	}{"current": {0, nil}, "stale": {-10 * time.Minute, standardwebhooks.ErrMessageTooOld}} {
		t.Run(name, func(t *testing.T) {
			verifier, _ := standardwebhooks.NewWebhook(testSecret)
			results := make(chan error, 10)
			endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				results <- verifier.Verify(body, r.Header)
			}))
			defer endpoint.Close()
			h := newHarness(t, func(c *Config) {
				c.WallClock = testingclock.NewFakeClock(time.Now().Add(tc.skew))
				c.WebhookEndpoints = []WebhookEndpoint{{URL: endpoint.URL, Secret: testSecret}}
			})
			h.create(newSubReq("pdt_sim_basic", "tolerance@example.com"))
			select {
			case err := <-results:
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("verify: %v, want %v", err, tc.wantErr)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("no delivery")
			}
		})
	}
}
