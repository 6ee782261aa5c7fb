// Package harness runs the whole system on one machine for the fault-injection suite
// (test/faulttest) and the benchmark (hack/bench): an envtest control plane that can
// be restarted for real, the in-process payments simulator behind a call counter, a
// fault-injecting proxy in front of the API server, and the operator and the webhook
// receiver as real child processes that can be SIGKILLed, restarted and measured.
//
// Nothing here asserts: the suite and the benchmark decide what the numbers mean. The
// pure parts (route classification, metric parsing, /proc parsing, invariant checks)
// are table-tested in this package.
package harness
