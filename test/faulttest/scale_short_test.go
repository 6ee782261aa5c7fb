//go:build !faults

package faulttest

// The short form, run by make test: every scenario, small counts.
const (
	longForm = false
	// crashKills is how many times the operator is SIGKILLed across the crash rounds.
	crashKills = 6
	// lostResponseObjects is the number of Subscriptions of the lost-response test.
	lostResponseObjects = 12
	// chaosSubscriptions is the number of Subscriptions of the webhook chaos test.
	chaosSubscriptions = 8
	// chaosReceiverRestarts is how often the receiver is killed per clock step of the chaos test.
	chaosReceiverRestarts = 1
	// apiServerRestarts is how often the API server restarts while reconciling.
	apiServerRestarts = 1
	// leaderHandovers is how often the leader replica is killed.
	leaderHandovers = 1
)
