package kubectldodo

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

func (a *app) refreshCommand() *cobra.Command {
	return a.objectCommand(&cobra.Command{
		Use:   "refresh (subscription|charge) NAME",
		Short: "Request a reconcile now (sets the reconcile-requested-at annotation)",
		Long: "refresh sets " + billingv1alpha1.AnnotationReconcileRequestedAt + " to the current time. A " +
			"Subscription then reads Dodo at once, even when it is stalled or its subscription has ended, and " +
			"echoes the value in status.lastHandledReconcileAt. An OnDemandCharge is reconciled because the object " +
			"changed; nothing is ever charged earlier than its schedule.",
	}, "", func(ctx context.Context, c client.Client, k kind, obj client.Object) error {
		value := a.now().UTC().Format(time.RFC3339Nano)
		if err := setAnnotations(ctx, c, obj, map[string]string{
			billingv1alpha1.AnnotationReconcileRequestedAt: value}); err != nil {
			return err
		}
		echo := "status.lastHandledReconcileAt shows it once the operator has handled it."
		if k == kindCharge {
			echo = "The charge controller reconciles it because the object changed."
		}
		_, err := fmt.Fprintf(a.streams.Out, "Requested a reconcile of %s %s/%s (%s=%s). %s\n", k, obj.GetNamespace(),
			obj.GetName(), billingv1alpha1.AnnotationReconcileRequestedAt, value, echo)
		return err
	})
}

// setAnnotations writes annotations with a merge patch that carries the object's
// resourceVersion: a write based on what the person was shown must fail if the object
// changed since (optimistic concurrency), rather than land on a state nobody checked.
func setAnnotations(ctx context.Context, c client.Client, obj client.Object, annotations map[string]string) error {
	return mergePatch(ctx, c, obj, map[string]any{"annotations": annotations}, nil)
}

func mergePatch(ctx context.Context, c client.Client, obj client.Object, metadata map[string]any, spec map[string]any) error {
	metadata["resourceVersion"] = obj.GetResourceVersion()
	body := map[string]any{"metadata": metadata}
	if spec != nil {
		body["spec"] = spec
	}
	data, err := json.Marshal(body)
	if err != nil {
		return err
	}
	if err := c.Patch(ctx, obj, client.RawPatch(types.MergePatchType, data)); err != nil {
		return fmt.Errorf("writing %s/%s: %w", obj.GetNamespace(), obj.GetName(), err)
	}
	return nil
}
