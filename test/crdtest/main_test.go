package crdtest

import (
	"testing"

	"github.com/dodo-operator/dodo-operator/test/testenv"
)

// env is shared by the package's tests: starting an API server takes seconds.
var env *testenv.Env

func TestMain(m *testing.M) { testenv.RunMain(m, &env) }
