package ondemandcharge

import (
	"testing"

	"github.com/dodo-operator/dodo-operator/test/testenv"
)

// env is the control plane (envtest) the package's tests share.
var env *testenv.Env

func TestMain(m *testing.M) { testenv.RunMain(m, &env) }
