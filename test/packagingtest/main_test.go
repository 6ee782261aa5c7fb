package packagingtest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/dodo-operator/dodo-operator/test/testenv"
)

// env is shared by the package's tests: starting an API server takes seconds.
var env *testenv.Env

// root is the repository root; helm and kubectl run from it.
var root string

func TestMain(m *testing.M) {
	var err error
	if root, err = testenv.RepoRoot(); err == nil {
		err = ensureHelm()
	}
	if err == nil {
		env, err = testenv.Start()
	}
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

// ensureHelm installs helm into ./bin through `make helm` when it is not there yet (the
// first run on a machine builds it from the Go module proxy, about two minutes).
func ensureHelm() error {
	if _, err := os.Stat(helmPath()); err == nil {
		return nil
	}
	cmd := exec.Command("make", "helm")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("installing helm with make helm: %w", err)
	}
	return nil
}

func helmPath() string { return filepath.Join(root, "bin", "helm") }

func kubectlPath() string { return filepath.Join(env.AssetsDir, "kubectl") }

// run runs a command from the repository root and returns its standard output.
func run(t *testing.T, stdin []byte, name string, args ...string) []byte {
	t.Helper()
	out, err := runErr(stdin, name, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func runErr(stdin []byte, name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = root
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("%s %s: %w\n%s%s", filepath.Base(name), strings.Join(args, " "), err,
			stdout.String(), stderr.String())
	}
	return stdout.Bytes(), nil
}

// kustomize renders a kustomization directory with kubectl's built-in kustomize.
func kustomize(t *testing.T, dir string) []byte {
	t.Helper()
	return run(t, nil, kubectlPath(), "kustomize", filepath.Join(root, dir))
}

// helmTemplate renders the chart as release "dodo-operator" in helmNamespace, with --set pairs.
func helmTemplate(t *testing.T, set ...string) []byte {
	t.Helper()
	return helmTemplateValues(t, helmNamespace, "", set...)
}

// helmTemplateValues renders the chart with a values file (relative to the chart; none
// when empty) and --set pairs.
func helmTemplateValues(t *testing.T, namespace, valuesFile string, set ...string) []byte {
	t.Helper()
	chart := filepath.Join(root, "charts", "dodo-operator")
	args := make([]string, 0, 7+2*len(set))
	args = append(args, "template", "dodo-operator", chart, "--namespace", namespace)
	if valuesFile != "" {
		args = append(args, "--values", filepath.Join(chart, valuesFile))
	}
	for _, s := range set {
		args = append(args, "--set", s)
	}
	return run(t, nil, helmPath(), args...)
}

// serverDryRunApply applies manifests with a server-side apply dry run: the API server runs
// defaulting, validation and admission but stores nothing.
func serverDryRunApply(t *testing.T, manifests []byte) {
	t.Helper()
	out := run(t, manifests, kubectlPath(), "--kubeconfig", env.Kubeconfig, "apply", "--server-side",
		"--dry-run=server", "--field-manager=packagingtest", "-f", "-")
	t.Logf("server dry run:\n%s", out)
}

// apply applies manifests for real.
func apply(t *testing.T, manifests []byte) {
	t.Helper()
	run(t, manifests, kubectlPath(), "--kubeconfig", env.Kubeconfig, "apply", "--server-side",
		"--field-manager=packagingtest", "-f", "-")
}

// createNamespace creates a namespace for real, so that a dry run of namespaced objects has
// somewhere to go (a dry-run Namespace is not stored).
func createNamespace(t *testing.T, name string) {
	t.Helper()
	ns := []byte("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + name + "\n")
	apply(t, ns)
}

// parseDocs splits a multi-document YAML stream into objects.
func parseDocs(t *testing.T, manifests []byte) []unstructured.Unstructured {
	t.Helper()
	decoder := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(manifests), 4096)
	var objs []unstructured.Unstructured
	for {
		var obj map[string]any
		err := decoder.Decode(&obj)
		if errors.Is(err, io.EOF) {
			return objs
		}
		if err != nil {
			t.Fatalf("parsing manifests: %v", err)
		}
		if len(obj) > 0 {
			objs = append(objs, unstructured.Unstructured{Object: obj})
		}
	}
}

// render turns objects back into a YAML stream.
func render(t *testing.T, objs []unstructured.Unstructured) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, obj := range objs {
		data, err := yaml.Marshal(obj.Object)
		if err != nil {
			t.Fatal(err)
		}
		buf.WriteString("---\n")
		buf.Write(data)
	}
	return buf.Bytes()
}

// withoutKinds drops objects of the given kinds.
func withoutKinds(objs []unstructured.Unstructured, kinds ...string) []unstructured.Unstructured {
	var kept []unstructured.Unstructured
	for _, obj := range objs {
		drop := false
		for _, kind := range kinds {
			drop = drop || obj.GetKind() == kind
		}
		if !drop {
			kept = append(kept, obj)
		}
	}
	return kept
}

// onlyKind returns the objects of kind, failing unless there are want of them.
func onlyKind(t *testing.T, objs []unstructured.Unstructured, kind string, want int) []unstructured.Unstructured {
	t.Helper()
	var found []unstructured.Unstructured
	for _, obj := range objs {
		if obj.GetKind() == kind {
			found = append(found, obj)
		}
	}
	if len(found) != want {
		t.Fatalf("want %d %s, rendered %d", want, kind, len(found))
	}
	return found
}
