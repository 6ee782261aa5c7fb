package logging

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestJSONKeysAndVerbosity(t *testing.T) {
	var out bytes.Buffer
	log, err := New(&out, Options{Format: "json", Verbosity: 0})
	if err != nil {
		t.Fatal(err)
	}
	log.Info("Created the subscription", "subscriptionID", "sub_1")
	log.V(1).Info("Write conflict; retrying")
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("want only the V(0) line at verbosity 0, got %d lines: %q", len(lines), out.String())
	}
	var entry map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &entry); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"time", "level", "msg", "subscriptionID"} {
		if _, ok := entry[key]; !ok {
			t.Errorf("key %q missing from %v", key, entry)
		}
	}
	if entry["level"] != "INFO" {
		t.Errorf("level = %v, want INFO", entry["level"])
	}
}

func TestVerbosityOneShowsDebug(t *testing.T) {
	var out bytes.Buffer
	log, err := New(&out, Options{Format: "text", Verbosity: 1})
	if err != nil {
		t.Fatal(err)
	}
	log.V(1).Info("Write conflict; retrying")
	if !strings.Contains(out.String(), "msg=\"Write conflict; retrying\"") {
		t.Fatalf("V(1) line missing at verbosity 1: %q", out.String())
	}
}

func TestUnknownFormatRefused(t *testing.T) {
	if _, err := New(&bytes.Buffer{}, Options{Format: "xml"}); err == nil {
		t.Fatal("format xml accepted")
	}
}
