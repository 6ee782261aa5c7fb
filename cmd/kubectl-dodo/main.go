// Command kubectl-dodo is the kubectl plugin `kubectl dodo` (internal/kubectldodo):
//
//	go install github.com/dodo-operator/dodo-operator/cmd/kubectl-dodo@latest
//	kubectl dodo status subscription acme-pro
package main

import (
	"os"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/dodo-operator/dodo-operator/internal/kubectldodo"
)

func main() {
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	os.Exit(kubectldodo.Execute(kubectldodo.NewCommand(streams)))
}
