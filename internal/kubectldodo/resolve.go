package kubectldodo

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

type resolveOptions struct {
	adopt       string
	retryLookup bool
	payment     string
	noPayment   bool
	yes         bool
}

func (a *app) resolveCommand() *cobra.Command {
	o := &resolveOptions{}
	cmd := &cobra.Command{
		Use:   "resolve (subscription|charge) NAME",
		Short: "Write the documented way out of CreateOutcomeUnknown or PaymentOutcomeUnknown, after checks",
		Long: "resolve records what a person found in Dodo's dashboard after the operator stalled on an unknown " +
			"outcome. It never decides what Dodo did: you say it with a flag.\n\n" +
			"  Subscription stalled with CreateOutcomeUnknown:\n" +
			"    --adopt sub_...    the subscription to keep (sets spec.adopt.subscriptionID)\n" +
			"    --retry-lookup     you found none: the operator looks again (sets reconcile-requested-at)\n" +
			"  OnDemandCharge stalled with PaymentOutcomeUnknown:\n" +
			"    --payment pay_...  the attempt's payment (annotation resolve-attempt <n>:<id>)\n" +
			"    --no-payment       the attempt made none; it is made again (resolve-attempt <n>:none)\n\n" +
			"The checks are printed first; resolve writes only when all pass, after --yes or a typed \"yes\", " +
			"and fails if the object changed since it was read.",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runResolve(cmd.Context(), o, args[0], args[1])
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.adopt, "adopt", "", "Dodo subscription ID to adopt (subscription)")
	f.BoolVar(&o.retryLookup, "retry-lookup", false, "no subscription found in Dodo: let the operator look again (subscription)")
	f.StringVar(&o.payment, "payment", "", "Dodo payment ID made by the unknown attempt (charge)")
	f.BoolVar(&o.noPayment, "no-payment", false, "the unknown attempt made no payment; it will be made again (charge)")
	f.BoolVarP(&o.yes, "yes", "y", false, "write without asking for confirmation")
	return cmd
}

func (a *app) runResolve(ctx context.Context, o *resolveOptions, kindWord, name string) error {
	c, k, obj, err := a.getObject(ctx, kindWord, name)
	if err != nil {
		return err
	}
	var plan Plan
	switch sub, isSub := obj.(*billingv1alpha1.Subscription); {
	case k == kindCharge && o.payment != "" == o.noPayment:
		return errors.New("a charge needs exactly one of --payment pay_... or --no-payment")
	case k == kindCharge:
		plan = PlanResolveAttempt(obj.(*billingv1alpha1.OnDemandCharge), o.payment)
	case isSub && o.adopt != "" == o.retryLookup:
		return errors.New("a subscription needs exactly one of --adopt sub_... or --retry-lookup")
	case o.adopt != "":
		held, err := heldElsewhere(ctx, c, sub, o.adopt)
		if err != nil {
			return err
		}
		plan = PlanAdopt(sub, o.adopt, held)
	default:
		plan = PlanRetryLookup(sub, a.now().UTC().Format(time.RFC3339Nano))
	}
	if err := a.showPlan(&plan); err != nil {
		return err
	}
	if !plan.OK() {
		return fmt.Errorf("refusing to write: a check failed (see kubectl dodo status %s %s)", k, name)
	}
	if !o.yes {
		if err := a.confirm(plan.Describe); err != nil {
			return err
		}
	}
	// Only the keys the plan sets: a null "annotations" in a merge patch would remove them all.
	metadata := map[string]any{}
	if len(plan.annotations) > 0 {
		metadata["annotations"] = plan.annotations
	}
	if err := mergePatch(ctx, c, obj, metadata, plan.spec); err != nil {
		return err
	}
	_, err = fmt.Fprintf(a.streams.Out, "Done: %s.\nFollow it with: kubectl dodo status %s %s\n", plan.Describe, k, name)
	return err
}

func (a *app) showPlan(p *Plan) error {
	r := &report{w: a.streams.Out}
	r.section("Checks")
	for _, c := range p.Checks {
		mark := "ok    "
		if !c.OK {
			mark = "FAILED"
		}
		r.printf("  [%s] %s\n", mark, c.What)
	}
	r.section("Write")
	r.printf("  %s\n", p.Describe)
	r.section("Effect")
	r.printf("  %s\n", p.Effect)
	return r.err
}

// confirm asks on standard input; anything but "yes" (including no input, as in a script
// without --yes) refuses, so a money decision is never taken by default.
func (a *app) confirm(what string) error {
	if _, err := fmt.Fprintf(a.streams.Out, "Type yes to %s: ", what); err != nil {
		return err
	}
	line, err := bufio.NewReader(a.streams.In).ReadString('\n')
	if err != nil { // no newline was typed: end the prompt's line
		_, _ = fmt.Fprintln(a.streams.Out)
	}
	if strings.TrimSpace(line) != "yes" {
		if err != nil && line == "" {
			return fmt.Errorf("not confirmed (no answer on standard input; use --yes in scripts); nothing was written")
		}
		return errors.New("not confirmed; nothing was written")
	}
	return nil
}

// heldElsewhere lists the other Subscriptions that record or adopt id, across namespaces
// when the person may list them there, else in the object's namespace: the operator
// refuses such an adoption too, but saying so before the write is kinder than a stall.
func heldElsewhere(ctx context.Context, c client.Client, sub *billingv1alpha1.Subscription, id string) ([]string, error) {
	list := &billingv1alpha1.SubscriptionList{}
	if err := c.List(ctx, list); err != nil {
		if err := c.List(ctx, list, client.InNamespace(sub.Namespace)); err != nil {
			return nil, fmt.Errorf("listing Subscriptions to check that %s is not managed elsewhere: %w", id, err)
		}
	}
	var held []string
	for _, other := range list.Items {
		if other.UID == sub.UID {
			continue
		}
		if other.Status.SubscriptionID == id || (other.Spec.Adopt != nil && other.Spec.Adopt.SubscriptionID == id) {
			held = append(held, other.Namespace+"/"+other.Name)
		}
	}
	return held, nil
}
