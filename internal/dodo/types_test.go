package dodo

import "testing"

func TestSubscriptionStatusIsTerminal(t *testing.T) {
	for status, want := range map[SubscriptionStatus]bool{
		"cancelled": true, "expired": true, "failed": true,
		"active": false, "on_hold": false, "pending": false, "paused": false, "something_new": false,
	} {
		if got := status.IsTerminal(); got != want {
			t.Errorf("SubscriptionStatus(%q).IsTerminal() = %v, want %v", status, got, want)
		}
	}
}

func TestOptionalString(t *testing.T) {
	if got := OptionalString(""); got != nil {
		t.Errorf(`OptionalString("") = %q, want nil (left out of the request)`, *got)
	}
	if got := OptionalString("x"); got == nil || *got != "x" {
		t.Errorf(`OptionalString("x") = %v`, got)
	}
}
