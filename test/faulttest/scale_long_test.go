//go:build faults

package faulttest

// The long form, run by make fault-test.
const (
	longForm              = true
	crashKills            = 200
	lostResponseObjects   = 120
	chaosSubscriptions    = 60
	chaosReceiverRestarts = 3
	apiServerRestarts     = 5
	leaderHandovers       = 5
)
