package stamp

import (
	"maps"
	"testing"
)

func TestSubscriptionStampWinsOverUserKeysAndRoundTrips(t *testing.T) {
	id := Identity{Namespace: "team", Name: "acme", UID: "uid-1"}
	got := Subscription(map[string]string{"team": "x", KeyName: "forged"}, id)
	want := map[string]string{"team": "x", KeyNamespace: "team", KeyName: "acme", KeyUID: "uid-1"}
	if !maps.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	back, ok := IdentityOf(got)
	if !ok || back != id {
		t.Fatalf("IdentityOf = %v, %v", back, ok)
	}
	for k := range got {
		if len(k) > 40 {
			t.Errorf("key %q is over Dodo's 40 characters", k)
		}
	}
}

func TestChargeStampNamesKeyAndAttempt(t *testing.T) {
	got := Charge(nil, Identity{Namespace: "n", Name: "c", UID: "u"}, "acme/2026-11", 2)
	if got[KeyChargeKey] != "acme/2026-11" || got[KeyRetryAttempt] != "2" || got[KeyUID] != "u" {
		t.Fatalf("charge stamp %v", got)
	}
}

func TestIdentityOfNeedsEveryKey(t *testing.T) {
	for _, md := range []map[string]string{nil, {KeyNamespace: "n", KeyName: "c"}, {KeyNamespace: "n", KeyUID: "u"}} {
		if _, ok := IdentityOf(md); ok {
			t.Errorf("IdentityOf(%v) reported a stamp", md)
		}
	}
}

func TestSubscriptionIdentityOfRefusesChargeStamps(t *testing.T) {
	id := Identity{Namespace: "ns", Name: "charge", UID: "uid-1"}
	if _, ok := SubscriptionIdentityOf(Charge(nil, id, "key-1", 0)); ok {
		t.Error("a charge stamp was read as a subscription's")
	}
	if got, ok := SubscriptionIdentityOf(Subscription(nil, id)); !ok || got != id {
		t.Errorf("subscription stamp read as %+v, %v; want %+v", got, ok, id)
	}
}
