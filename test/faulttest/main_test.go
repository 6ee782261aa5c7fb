package faulttest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/dodo-operator/dodo-operator/internal/simulator"
	"github.com/dodo-operator/dodo-operator/test/harness"
)

// sys is the system every test shares: one control plane, one simulator and one webhook
// receiver (talking to the API server through the fault proxy). Tests run one after the
// other, each in its own namespace with its own operator process.
var sys *harness.System

// FAULTTEST_KEEP_LOGS=1 keeps the process logs of a passing run too.

// seed makes kill points and faults reproducible: FAULTTEST_SEED=<n> repeats a run.
var seed uint64 = 20261121

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	if v := os.Getenv("FAULTTEST_SEED"); v != "" {
		parsed, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			fmt.Fprintln(os.Stderr, "FAULTTEST_SEED:", err)
			return 2
		}
		seed = parsed
	}
	dir, err := os.MkdirTemp("", "dodo-faulttest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	bins, err := harness.BuildBinaries(ctx, filepath.Join(dir, "bin"))
	if err == nil {
		sys, err = harness.StartSystem(ctx, dir, bins, harness.SystemOptions{
			Sim: harness.SimOptions{Seed: seed, Pessimism: pessimism()}, Receiver: true, ReceiverViaProxy: true, ProxySeed: seed,
		})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the system:", err)
		return 1
	}
	fmt.Printf("faulttest: seed %d (FAULTTEST_SEED), long form %v, pessimistic simulator (list lag %s), logs in %s\n",
		seed, longForm, listLag, dir)
	code := m.Run()
	if err := sys.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping the system:", err)
	}
	if code == 0 && os.Getenv("FAULTTEST_KEEP_LOGS") == "" {
		_ = os.RemoveAll(dir)
	} else {
		fmt.Fprintln(os.Stderr, "faulttest: logs kept in", dir)
	}
	return code
}

// listLag is how far the simulator's lists lag behind its writes in the fault suite.
const listLag = 2 * time.Second

// pessimism is the simulator the fault suite runs against: every convenience Dodo does not
// document is off (docs/reliability.md, "Pessimistic mode").
func pessimism() simulator.Pessimism {
	p := simulator.FullPessimism()
	p.ListLag = listLag
	return p
}
