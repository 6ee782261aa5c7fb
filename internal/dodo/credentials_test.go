package dodo_test

import (
	"strings"
	"testing"
)

// A refused key shows in CredentialsError (the operator's readiness check) until Dodo
// accepts a call again; the key itself never appears.
func TestCredentialsErrorFollowsDodosLastAnswer(t *testing.T) {
	env := newSimEnv(t, nil, nil)
	ctx := simContext(t)
	if err := env.client.CredentialsError(); err != nil {
		t.Fatalf("before any call: %v", err)
	}
	wrong, _ := newSimClient(t, env.url, "sk_test_wrong_key", nil)
	if _, err := wrong.GetSubscription(ctx, "sub_1"); err == nil {
		t.Fatal("a wrong key was accepted")
	}
	err := wrong.CredentialsError()
	if err == nil || !strings.Contains(err.Error(), "401/403") || strings.Contains(err.Error(), "sk_test_wrong_key") {
		t.Fatalf("after a refused key: %v", err)
	}
	if _, err := env.client.GetSubscription(ctx, "sub_missing"); err == nil {
		t.Fatal("want a 404 for a missing subscription")
	}
	if err := env.client.CredentialsError(); err != nil {
		t.Fatalf("a 404 means the key was accepted: %v", err)
	}
}
