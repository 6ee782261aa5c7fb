package harness

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/dodo-operator/dodo-operator/test/testenv"
)

// EnvBinDir names a directory holding prebuilt dodo-operator and webhook-receiver
// programs; when unset, BuildBinaries builds them.
const EnvBinDir = "DODO_FAULTTEST_BIN_DIR"

// Binaries are the programs the suite and the benchmark run as child processes.
type Binaries struct {
	// Operator is cmd/dodo-operator, Receiver cmd/webhook-receiver.
	Operator, Receiver string
}

// BuildBinaries builds the programs into outDir with `go build` (fast when the build
// cache is warm), or uses those in $DODO_FAULTTEST_BIN_DIR.
func BuildBinaries(ctx context.Context, outDir string) (Binaries, error) {
	dir := os.Getenv(EnvBinDir)
	if dir == "" {
		if err := build(ctx, outDir); err != nil {
			return Binaries{}, err
		}
		dir = outDir
	}
	b := Binaries{
		Operator: filepath.Join(dir, "dodo-operator"),
		Receiver: filepath.Join(dir, "webhook-receiver"),
	}
	for _, path := range []string{b.Operator, b.Receiver} {
		if _, err := os.Stat(path); err != nil {
			return Binaries{}, fmt.Errorf("program missing: %w", err)
		}
	}
	return b, nil
}

func build(ctx context.Context, outDir string) error {
	root, err := testenv.RepoRoot()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", outDir+string(filepath.Separator),
		"./cmd/dodo-operator", "./cmd/webhook-receiver")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %w\n%s", err, out)
	}
	return nil
}
