// Command localcp runs a local Kubernetes control plane for `make run-local`: the etcd and
// kube-apiserver built into ./bin/k8s, started by controller-runtime's envtest, with the
// project's CRDs installed. It writes an administrator kubeconfig, prints "ready", and
// stops the control plane (removing its data) on SIGINT or SIGTERM.
//
// It is not a cluster: there are no nodes, controllers or scheduler, so Deployments never
// run. The operator, the webhook receiver and the simulator run as local processes.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

type options struct {
	assets, crdDir, kubeconfig string
}

func main() {
	var o options
	flag.StringVar(&o.assets, "assets", "bin/k8s", "directory holding etcd, kube-apiserver and kubectl")
	flag.StringVar(&o.crdDir, "crd-dir", "config/crd/bases", "directory of the CRDs to install")
	flag.StringVar(&o.kubeconfig, "write-kubeconfig", ".run/kubeconfig", "where to write the administrator kubeconfig")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "localcp:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{o.crdDir},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: o.assets,
	}
	if _, err := env.Start(); err != nil {
		return fmt.Errorf("starting etcd and kube-apiserver from %s: %w", o.assets, err)
	}
	err := writeKubeconfig(env, o.kubeconfig)
	if err == nil {
		fmt.Println("ready: kubeconfig written to", o.kubeconfig)
		<-stop
	}
	return errors.Join(err, env.Stop())
}

// writeKubeconfig adds a system:masters user and writes its kubeconfig (mode 0600: it holds
// the user's client key).
func writeKubeconfig(env *envtest.Environment, path string) error {
	user, err := env.AddUser(envtest.User{Name: "local-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return fmt.Errorf("adding the local admin user: %w", err)
	}
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		return fmt.Errorf("rendering the kubeconfig: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(path, kubeconfig, 0o600); err != nil {
		return fmt.Errorf("writing the kubeconfig: %w", err)
	}
	return nil
}
