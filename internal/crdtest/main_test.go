package crdtest

import (
	"fmt"
	"os"
	"testing"

	"github.com/dodo-operator/dodo-operator/internal/testenv"
)

// env is shared by the package's tests: starting an API server takes seconds.
var env *testenv.Env

func TestMain(m *testing.M) {
	var err error
	env, err = testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if err := env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping envtest:", err)
	}
	os.Exit(code)
}
