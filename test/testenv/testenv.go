// Package testenv starts a real kube-apiserver and etcd (envtest) with the project's CRDs
// installed, for tests where API-server behaviour matters: validation, the status
// subresource, conflicts, server-side apply and printer columns.
package testenv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"k8s.io/apimachinery/pkg/runtime/schema"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	apiruntime "k8s.io/apimachinery/pkg/runtime"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

// Env is a running control plane with the CRDs installed.
type Env struct {
	// Config reaches the API server as an administrator.
	Config *rest.Config
	// Client is a typed client (no cache) using Scheme.
	Client client.Client
	// Scheme knows the core kinds and billing.dodo-operator.io/v1alpha1.
	Scheme *apiruntime.Scheme
	// Kubeconfig is the path of a kubeconfig file for the administrator, for kubectl.
	Kubeconfig string
	// AssetsDir holds kube-apiserver, etcd and kubectl.
	AssetsDir string

	environment *envtest.Environment
	tempDir     string
}

// Start starts the control plane. Stop it with Stop.
func Start() (*Env, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	assets, err := AssetsDir(root)
	if err != nil {
		return nil, err
	}
	scheme := apiruntime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	if err := billingv1alpha1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	environment := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(root, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
		Scheme:                scheme,
	}
	cfg, err := environment.Start()
	if err != nil {
		return nil, fmt.Errorf("starting envtest with binaries from %s: %w", assets, err)
	}
	env := &Env{Config: cfg, Scheme: scheme, AssetsDir: assets, environment: environment}
	if err := env.finishSetup(); err != nil {
		_ = env.Stop()
		return nil, err
	}
	return env, nil
}

func (e *Env) finishSetup() error {
	c, err := client.New(e.Config, client.Options{Scheme: e.Scheme})
	if err != nil {
		return err
	}
	e.Client = c
	user, err := e.environment.AddUser(envtest.User{Name: "envtest-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return fmt.Errorf("adding the envtest admin user: %w", err)
	}
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		return err
	}
	e.tempDir, err = os.MkdirTemp("", "dodo-envtest-")
	if err != nil {
		return err
	}
	e.Kubeconfig = filepath.Join(e.tempDir, "kubeconfig")
	return os.WriteFile(e.Kubeconfig, kubeconfig, 0o600)
}

// Stop stops the control plane and removes its files.
func (e *Env) Stop() error {
	err := e.environment.Stop()
	if e.tempDir != "" {
		err = errors.Join(err, os.RemoveAll(e.tempDir))
	}
	return err
}

// GVR is the resource of a billing.dodo-operator.io/v1alpha1 kind, by plural name.
func GVR(plural string) schema.GroupVersionResource {
	return billingv1alpha1.GroupVersion.WithResource(plural)
}

// AssetsDir finds the control-plane binaries: KUBEBUILDER_ASSETS when set, otherwise
// <repo>/bin/k8s, where `make envtest` builds them.
func AssetsDir(root string) (string, error) {
	dir := os.Getenv("KUBEBUILDER_ASSETS")
	if dir == "" {
		dir = filepath.Join(root, "bin", "k8s")
	}
	for _, name := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return "", fmt.Errorf("envtest binary %s not found in %s: run `make envtest` (make test does it) "+
				"or set KUBEBUILDER_ASSETS: %w", name, dir, err)
		}
	}
	return dir, nil
}

// RepoRoot is the directory holding the module's go.mod.
func RepoRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("cannot locate the testenv source file")
	}
	dir := filepath.Dir(file)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above " + filepath.Dir(file))
		}
		dir = parent
	}
}

// RunMain is a package's TestMain body: it starts the control plane into *env, runs the
// tests, stops the control plane and exits with the tests' code.
func RunMain(m interface{ Run() int }, env **Env) {
	started, err := Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	*env = started
	code := m.Run()
	if err := started.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping envtest:", err)
	}
	os.Exit(code)
}
