package sequencetest

import (
	"flag"
	"os"
	"strconv"
	"testing"

	"github.com/dodo-operator/dodo-operator/test/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { testenv.RunMain(m, &env) }

// Flags. -seed runs the one sequence with that seed (a reproduction); otherwise
// -sequences (or the SEQUENCES environment variable) sequences run with the seeds
// -first-seed, -first-seed+1, ...
var (
	seedFlag      = flag.Uint64("seed", 0, "run only the sequence with this seed")
	sequencesFlag = flag.Int("sequences", 0, "number of sequences (default: $SEQUENCES, else 20)")
	firstSeedFlag = flag.Uint64("first-seed", 1, "seed of the first sequence")
	verboseFlag   = flag.Bool("steps", false, "log every step of every sequence")
)

const defaultSequences = 20

// seeds lists the sequences to run.
func seeds() []uint64 {
	if *seedFlag != 0 {
		return []uint64{*seedFlag}
	}
	n := *sequencesFlag
	if n <= 0 {
		if v, err := strconv.Atoi(os.Getenv("SEQUENCES")); err == nil && v > 0 {
			n = v
		} else {
			n = defaultSequences
		}
	}
	out := make([]uint64, n)
	for i := range out {
		out[i] = *firstSeedFlag + uint64(i)
	}
	return out
}
