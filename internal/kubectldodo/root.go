// Package kubectldodo is the kubectl plugin `kubectl dodo`: it explains Subscriptions and
// OnDemandCharges (what Dodo says, conditions, events, the one next action), prints payment
// links, requests reconciles and writes the documented resolutions of unknown outcomes.
// cmd/kubectl-dodo only calls NewCommand, so everything here is testable in process.
package kubectldodo

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

// app is what every subcommand shares: the streams, kubectl's connection flags and the
// clock (tests fix it, so relative times in the output are stable).
type app struct {
	streams genericiooptions.IOStreams
	flags   *genericclioptions.ConfigFlags
	now     func() time.Time
}

// NewCommand is `kubectl dodo` with its subcommands, reading and writing the given streams.
func NewCommand(streams genericiooptions.IOStreams) *cobra.Command {
	return newCommand(streams, time.Now)
}

func newCommand(streams genericiooptions.IOStreams, now func() time.Time) *cobra.Command {
	a := &app{streams: streams, flags: genericclioptions.NewConfigFlags(true), now: now}
	root := &cobra.Command{
		Use:   "kubectl-dodo",
		Short: "Explain and act on Dodo Payments Subscriptions and OnDemandCharges",
		Long: "kubectl dodo shows what Dodo says about a Subscription or OnDemandCharge, its conditions, " +
			"recent events and the one next action a person can take; prints payment links; requests a " +
			"reconcile; and writes the documented way out of an unknown create or payment outcome.",
		Annotations:   map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl dodo"},
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	a.flags.AddFlags(root.PersistentFlags())
	root.AddCommand(a.statusCommand(), a.linkCommand(), a.refreshCommand(), a.resolveCommand(), a.treeCommand())
	return root
}

// Execute runs the command and prints an error the way kubectl does.
func Execute(cmd *cobra.Command) int {
	if err := cmd.Execute(); err != nil {
		_, _ = fmt.Fprintln(cmd.ErrOrStderr(), "error:", err)
		return 1
	}
	return 0
}

// connect returns a client and the namespace chosen by -n or the kubeconfig context.
func (a *app) connect() (client.Client, string, error) {
	cfg, err := a.flags.ToRESTConfig()
	if err != nil {
		return nil, "", err
	}
	ns, _, err := a.flags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return nil, "", err
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, "", err
	}
	if err := billingv1alpha1.AddToScheme(scheme); err != nil {
		return nil, "", err
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	return c, ns, err
}

// getObject reads the named object of the kind given as a word (sub, odc, ...).
func (a *app) getObject(ctx context.Context, kindWord, name string) (client.Client, kind, client.Object, error) {
	k, err := parseKind(kindWord)
	if err != nil {
		return nil, 0, nil, err
	}
	c, ns, err := a.connect()
	if err != nil {
		return nil, 0, nil, err
	}
	obj := k.newObject()
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, obj); err != nil {
		return nil, 0, nil, err
	}
	return c, k, obj, nil
}

// objectRun is what a command does with the object its arguments name.
type objectRun func(ctx context.Context, c client.Client, k kind, obj client.Object) error

// objectCommand makes cmd a command on one object, read before run: its
// arguments are KIND NAME, or NAME alone when fixedKind names the kind.
func (a *app) objectCommand(cmd *cobra.Command, fixedKind string, run objectRun) *cobra.Command {
	cmd.Args = cobra.ExactArgs(2)
	if fixedKind != "" {
		cmd.Args = cobra.ExactArgs(1)
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		kindWord, name := fixedKind, args[len(args)-1]
		if fixedKind == "" {
			kindWord = args[0]
		}
		c, k, obj, err := a.getObject(cmd.Context(), kindWord, name)
		if err != nil {
			return err
		}
		return run(cmd.Context(), c, k, obj)
	}
	return cmd
}
