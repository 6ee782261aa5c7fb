package webhookreceiver

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/cache"

	"github.com/dodo-operator/dodo-operator/test/testenv"
)

// env is the package's API server; indexCache is a controller-runtime cache on it with the
// receiver's field indexes, shared by the tests (each test works in its own namespace).
var (
	env        *testenv.Env
	indexCache cache.Cache
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	flag.Parse()
	if fuzzing() {
		// FuzzVerifyAndDecode needs no API server, and every fuzz worker process runs
		// TestMain: starting one control plane per worker would only slow fuzzing down.
		return m.Run()
	}
	var err error
	env, err = testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping envtest:", err)
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if indexCache, err = startIndexCache(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

func fuzzing() bool {
	fuzz, worker := flag.Lookup("test.fuzz"), flag.Lookup("test.fuzzworker")
	return (fuzz != nil && fuzz.Value.String() != "") || (worker != nil && worker.Value.String() == "true")
}

func startIndexCache(ctx context.Context) (cache.Cache, error) {
	c, err := cache.New(env.Config, cache.Options{Scheme: env.Scheme, DefaultTransform: cache.TransformStripManagedFields()})
	if err != nil {
		return nil, fmt.Errorf("creating the cache: %w", err)
	}
	if err := SetupIndexes(ctx, c); err != nil {
		return nil, err
	}
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		return nil, fmt.Errorf("the cache did not sync")
	}
	return c, nil
}
