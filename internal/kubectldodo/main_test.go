package kubectldodo

import (
	"os"
	"sync"
	"testing"

	"github.com/dodo-operator/dodo-operator/test/testenv"
)

// The command tests need a real API server; the table tests do not. The server starts at
// the first command test, so `go test -run Action` stays instant.
var (
	envOnce  sync.Once
	env      *testenv.Env
	errStart error
)

func apiServer(t *testing.T) *testenv.Env {
	t.Helper()
	envOnce.Do(func() { env, errStart = testenv.Start() })
	if errStart != nil {
		t.Fatal(errStart)
	}
	return env
}

func TestMain(m *testing.M) {
	code := m.Run()
	if env != nil {
		if err := env.Stop(); err != nil {
			code = 1
		}
	}
	os.Exit(code)
}
