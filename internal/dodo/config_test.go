package dodo

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// assertNoSecretInFormats prints every value with every common verb and
// fails if the secret (or its hex form) shows up.
func assertNoSecretInFormats(t *testing.T, secret string, values ...any) {
	t.Helper()
	for _, value := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
			out := fmt.Sprintf(verb, value)
			if strings.Contains(out, secret) || strings.Contains(strings.ToLower(out), hex.EncodeToString([]byte(secret))) {
				t.Errorf("%s of %T leaks the secret: %s", verb, value, out)
			}
		}
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	const key = "sk_test_SUPERSECRET"
	cfg := Config{Environment: TestMode, APIKey: NewSecret(key), Timeout: time.Second}
	type holder struct{ cfg Config } // unexported field: printed by reflection
	client, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	assertNoSecretInFormats(t, key, cfg, &cfg, cfg.APIKey, holder{cfg}, client, []Config{cfg})
	if got := mustMarshal(t, cfg); strings.Contains(got, key) || !strings.Contains(got, "[redacted]") {
		t.Errorf("JSON of config = %s", got)
	}
	if cfg.APIKey.String() != "[redacted]" || cfg.APIKey.GoString() != "[redacted]" {
		t.Errorf("String/GoString = %s/%s", cfg.APIKey.String(), cfg.APIKey.GoString())
	}
	if client.BaseURL() != TestModeBaseURL {
		t.Errorf("BaseURL = %s", client.BaseURL())
	}
	if cfg.APIKey.Reveal() != key || cfg.APIKey.IsZero() || !(Secret{}).IsZero() {
		t.Errorf("Reveal/IsZero wrong")
	}
}

func TestResolveBaseURLPrecedence(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		want    string
		wantErr error
	}{
		{"explicit base URL wins over environment", Config{BaseURL: "http://127.0.0.1:8080/", Environment: LiveMode}, "http://127.0.0.1:8080", nil},
		{"test mode", Config{Environment: TestMode}, TestModeBaseURL, nil},
		{"live mode", Config{Environment: LiveMode}, LiveModeBaseURL, nil},
		{"base URL with path prefix", Config{BaseURL: "https://proxy.example/dodo"}, "https://proxy.example/dodo", nil},
		{"nothing set never defaults to live", Config{}, "", ErrNoEnvironment},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.cfg.ResolveBaseURL()
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if err == nil && got.String() != tt.want {
				t.Errorf("base URL = %s, want %s", got, tt.want)
			}
		})
	}
	for _, bad := range []Config{{Environment: "staging"}, {BaseURL: "ftp://x"}, {BaseURL: "/relative"}} {
		if _, err := bad.ResolveBaseURL(); err == nil {
			t.Errorf("ResolveBaseURL(%+v) accepted", bad)
		}
	}
}

func TestNewRequiresKeyAndEnvironment(t *testing.T) {
	if _, err := New(Config{Environment: TestMode}); !errors.Is(err, ErrNoAPIKey) {
		t.Errorf("no key: %v", err)
	}
	if _, err := New(Config{APIKey: NewSecret("k")}); !errors.Is(err, ErrNoEnvironment) {
		t.Errorf("no environment: %v", err)
	}
}

func TestConfigDefaults(t *testing.T) {
	got := Config{}.withDefaults()
	if got.Timeout != 30*time.Second || got.RateLimit != 1.5 || got.Burst != 10 || got.MaxGetRetries != 3 || got.UserAgent == "" {
		t.Errorf("defaults = %+v", got)
	}
	if float64(DefaultRateLimit)*60 >= 100 {
		t.Errorf("default rate %v/s is not under Dodo's 100/min", DefaultRateLimit)
	}
	custom := Config{Timeout: time.Second, RateLimit: rate.Inf, Burst: 1, MaxGetRetries: -1}.withDefaults()
	if custom.Timeout != time.Second || custom.RateLimit != rate.Inf || custom.Burst != 1 || custom.MaxGetRetries != 0 {
		t.Errorf("custom = %+v", custom)
	}
}

func TestConfigFromEnv(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     map[string]string
		wantKey string
		wantErr error
		check   func(Config) bool
	}{
		{"key from variable", map[string]string{EnvAPIKey: "from-env", EnvEnvironment: "test_mode"}, "from-env", nil,
			func(c Config) bool { return c.Environment == TestMode }},
		{"file wins over variable", map[string]string{EnvAPIKey: "from-env", EnvAPIKeyFile: keyFile}, "from-file", nil, nil},
		{"base URL read", map[string]string{EnvAPIKey: "k", EnvBaseURL: "http://sim:8080"}, "k", nil,
			func(c Config) bool { return c.BaseURL == "http://sim:8080" }},
		{"no key, the rest kept", map[string]string{EnvEnvironment: "live_mode"}, "", ErrNoAPIKey,
			func(c Config) bool { return c.Environment == LiveMode }},
		{"missing file", map[string]string{EnvAPIKeyFile: keyFile + ".missing"}, "", os.ErrNotExist, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, name := range []string{EnvAPIKey, EnvAPIKeyFile, EnvBaseURL, EnvEnvironment} {
				t.Setenv(name, tt.env[name])
			}
			cfg, err := ConfigFromEnv()
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if cfg.APIKey.Reveal() != tt.wantKey {
				t.Errorf("key = %q, want %q", cfg.APIKey.Reveal(), tt.wantKey)
			}
			if tt.check != nil && !tt.check(cfg) {
				t.Errorf("config = %+v", cfg)
			}
		})
	}
	t.Setenv(EnvAPIKey, "k")
	t.Setenv(EnvEnvironment, "staging")
	if _, err := ConfigFromEnv(); err == nil {
		t.Errorf("unknown environment accepted")
	}
}
