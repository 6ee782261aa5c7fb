//go:build faults

package faulttest

import "testing"

// TestLostResponsesWithoutWebhooks repeats the lost-response scenario with no webhooks
// delivered at all, so the operator alone must find what a lost call did: subscriptions
// by their metadata after --create-settle, payments by their charge stamp after the
// charge controller's settle (a fixed 30 s), outcomes by reading the payment after
// --charge-outcome-timeout. Long form only: the fixed settle makes it slow.
func TestLostResponsesWithoutWebhooks(t *testing.T) {
	if err := sys.Sim.SetWebhookEndpoints(nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := sys.Sim.SendWebhooksTo(sys.Receiver.WebhookURL); err != nil {
			t.Error(err)
		}
	})
	runLostResponses(t, "lost-nowebhooks", lostResponseObjects/2)
}
