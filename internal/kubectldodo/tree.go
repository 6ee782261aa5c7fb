package kubectldodo

import (
	"context"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

func (a *app) treeCommand() *cobra.Command {
	return a.objectCommand(&cobra.Command{
		Use:   "tree SUBSCRIPTION",
		Short: "The subscription with its OnDemandCharges (by spec.subscriptionRef)",
	}, "subscription", func(ctx context.Context, c client.Client, _ kind, obj client.Object) error {
		sub := obj.(*billingv1alpha1.Subscription)
		list := &billingv1alpha1.OnDemandChargeList{}
		if err := c.List(ctx, list, client.InNamespace(sub.Namespace)); err != nil {
			return fmt.Errorf("listing OnDemandCharges: %w", err)
		}
		var charges []billingv1alpha1.OnDemandCharge
		for _, ch := range list.Items {
			if ch.Spec.SubscriptionRef.Name == sub.Name {
				charges = append(charges, ch)
			}
		}
		return RenderTree(a.streams.Out, sub, charges, a.now())
	})
}

// RenderTree writes the subscription and its charges (oldest first) as a table with tree
// branches, in the manner of `crank beta trace`: one line per object, what Dodo says, Ready
// and its reason, and what is due next.
func RenderTree(w io.Writer, sub *billingv1alpha1.Subscription, charges []billingv1alpha1.OnDemandCharge, now time.Time) error {
	sort.SliceStable(charges, func(i, j int) bool {
		return charges[i].CreationTimestamp.Before(&charges[j].CreationTimestamp)
	})
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	_, _ = fmt.Fprintln(tw, "NAME\tDODO\tSTATUS\tREADY\tREASON\tNEXT")
	st := &sub.Status
	ready, reason := readyOf(st.Conditions)
	next := ""
	if billing := nextBilling(st, now); billing != "" {
		next = "billing " + billing
	}
	_, _ = fmt.Fprintf(tw, "Subscription/%s\t%s\t%s\t%s\t%s\t%s\n", sub.Name, dash(st.SubscriptionID), dash(st.ProviderStatus),
		ready, reason, dash(next))
	for i := range charges {
		ch := &charges[i]
		branch := "├─ "
		if i == len(charges)-1 {
			branch = "└─ "
		}
		ready, reason := readyOf(ch.Status.Conditions)
		amount := formatAmount(ch.Spec.Amount, ch.Spec.Currency)
		status := fmt.Sprintf("%s (%d attempt(s))", dash(string(ch.Status.Phase)), ch.Status.AttemptCount)
		next := ""
		if ch.Status.NextAttemptAt != nil {
			next = "attempt " + formatTime(ch.Status.NextAttemptAt.Time, now)
		}
		_, _ = fmt.Fprintf(tw, "%sOnDemandCharge/%s\t%s\t%s\t%s\t%s\t%s\n", branch, ch.Name, amount, status, ready, reason, dash(next))
	}
	return tw.Flush()
}

func readyOf(conds []metav1.Condition) (string, string) {
	c := condition(conds, billingv1alpha1.ConditionReady)
	if c == nil {
		return "-", "-"
	}
	return string(c.Status), c.Reason
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
