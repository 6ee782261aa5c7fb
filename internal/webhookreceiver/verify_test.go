package webhookreceiver

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	testingclock "k8s.io/utils/clock/testing"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

func TestVerifier(t *testing.T) {
	body := []byte(`{"type":"subscription.active"}`)
	now := testStart
	valid := func(secret string, sentAt time.Time) http.Header {
		return signedHeader(t, secret, "msg_1", sentAt, body)
	}
	without := func(name string) http.Header {
		h := valid(testSecret, now)
		h.Del(name)
		return h
	}
	with := func(name, value string) http.Header {
		h := valid(testSecret, now)
		h.Set(name, value)
		return h
	}
	for name, tc := range map[string]struct {
		header    http.Header
		tolerance time.Duration
		want      error
	}{
		"primary secret":                {valid(testSecret, now), 0, nil},
		"previous secret (rotation)":    {valid(previousSecret, now), 0, nil},
		"unknown secret":                {valid(strangerSecret, now), 0, errBadSignature},
		"several signatures, one valid": {with("webhook-signature", "v1a,abc v1,Zm9v "+valid(testSecret, now).Get("webhook-signature")), 0, nil},
		"valid signature under v1a":     {with("webhook-signature", "v1a,"+strings.TrimPrefix(valid(testSecret, now).Get("webhook-signature"), "v1,")), 0, errBadSignature},
		"missing id":                    {without("webhook-id"), 0, errMissingHeaders},
		"missing timestamp":             {without("webhook-timestamp"), 0, errMissingHeaders},
		"missing signature":             {without("webhook-signature"), 0, errMissingHeaders},
		"timestamp not a number":        {with("webhook-timestamp", "yesterday"), 0, errBadTimestamp},
		"at the edge of the tolerance":  {valid(testSecret, now.Add(-DefaultTimestampTolerance)), 0, nil},
		"older than the tolerance":      {valid(testSecret, now.Add(-DefaultTimestampTolerance-time.Second)), 0, errTimestampTooOld},
		"further ahead than tolerance":  {valid(testSecret, now.Add(DefaultTimestampTolerance+time.Second)), 0, errTimestampTooNew},
		"configured tolerance":          {valid(testSecret, now.Add(-2*time.Minute)), time.Minute, errTimestampTooOld},
		"signed for another id":         {with("webhook-id", "msg_2"), 0, errBadSignature},
	} {
		t.Run(name, func(t *testing.T) {
			tolerance := tc.tolerance
			if tolerance == 0 {
				tolerance = DefaultTimestampTolerance
			}
			v, err := newVerifier(Secrets{Primary: dodo.NewSecret(testSecret), Previous: dodo.NewSecret(previousSecret)},
				tolerance, testingclock.NewFakePassiveClock(now))
			if err != nil {
				t.Fatalf("newVerifier: %v", err)
			}
			if err := v.verify(tc.header, body); !errors.Is(err, tc.want) {
				t.Fatalf("verify: got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestVerifierUsesTheRawBytes(t *testing.T) {
	body := []byte(`{"type": "subscription.active",  "x":1}`)
	header := signedHeader(t, testSecret, "msg_1", testStart, body)
	v, err := newVerifier(Secrets{Primary: dodo.NewSecret(testSecret)}, time.Minute, testingclock.NewFakePassiveClock(testStart))
	if err != nil {
		t.Fatalf("newVerifier: %v", err)
	}
	assertEqual(t, "raw body", v.verify(header, body), nil)
	reencoded := []byte(`{"type":"subscription.active","x":1}`)
	assertEqual(t, "re-serialised body", v.verify(header, reencoded), errBadSignature)
}

func TestLoadSecrets(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	env := func(value string) func(string) string {
		return func(key string) string {
			if key == EnvWebhookKey {
				return value
			}
			return ""
		}
	}
	s, err := LoadSecrets(env(testSecret), "", write("previous", previousSecret+"\n"))
	assertEqual(t, "error", err, nil)
	assertEqual(t, "primary from the environment", s.Primary.Reveal(), testSecret)
	assertEqual(t, "previous from the file, newline trimmed", s.Previous.Reveal(), previousSecret)

	s, err = LoadSecrets(env("ignored"), write("primary", " "+testSecret+"\n"), "")
	assertEqual(t, "error", err, nil)
	assertEqual(t, "the file wins over the environment", s.Primary.Reveal(), testSecret)

	badValue := "whsec_not*base64*SECRETVALUE"
	for name, load := range map[string]func() error{
		"nothing configured": func() error { _, err := LoadSecrets(env(""), "", ""); return err },
		"empty file":         func() error { _, err := LoadSecrets(env(""), write("empty", "\n"), ""); return err },
		"missing file":       func() error { _, err := LoadSecrets(env(""), filepath.Join(dir, "nope"), ""); return err },
		"bad primary":        func() error { _, err := LoadSecrets(env(badValue), "", ""); return err },
		"bad previous":       func() error { _, err := LoadSecrets(env(testSecret), "", write("bad", badValue)); return err },
		"prefix only":        func() error { _, err := LoadSecrets(env("whsec_"), "", ""); return err },
	} {
		t.Run(name, func(t *testing.T) {
			err := load()
			if err == nil {
				t.Fatal("loaded a bad configuration")
			}
			if strings.Contains(err.Error(), "SECRETVALUE") || strings.Contains(err.Error(), "MfKQ9r8") {
				t.Fatalf("error leaks the secret: %v", err)
			}
		})
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	s := Secrets{Primary: dodo.NewSecret(testSecret), Previous: dodo.NewSecret(previousSecret)}
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(format, s)
		if strings.Contains(out, "MfKQ9r8") || strings.Contains(out, "cHJldmlvdXM") {
			t.Fatalf("%s prints a secret: %s", format, out)
		}
	}
}
