package account

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/controller/statuspatch"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// ConditionWebhookEndpoint says whether the endpoint spec.webhook.endpoint asks for is
// registered and its signing secret stored. Absent when no endpoint is asked for.
const ConditionWebhookEndpoint = "WebhookEndpoint"

// Reasons of the WebhookEndpoint condition.
const (
	ReasonRegistered            = "Registered"
	ReasonAdopted               = "Adopted"
	ReasonRegistrationFailed    = "RegistrationFailed"
	ReasonEndpointGone          = "EndpointGone"
	ReasonSecretNotWritten      = "SecretNotWritten"
	ReasonWaitingForCredentials = "WaitingForCredentials"
	ReasonDeleteFailed          = "DeleteFailed"
)

// wantedURL is the endpoint URL spec asks for, "" for none.
func wantedURL(spec billingv1alpha1.DodoAccountSpec) string {
	if spec.Webhook == nil || spec.Webhook.Endpoint == nil {
		return ""
	}
	return spec.Webhook.Endpoint.URL
}

// reconcileEndpoint brings the account's webhook endpoint to what spec asks for: released
// when spec no longer wants it, otherwise found, adopted or created, and its signing
// secret written into the Secret.
func (r *Reconciler) reconcileEndpoint(ctx context.Context, s *scope, api *dodo.Client) error {
	want := wantedURL(s.acct.Spec)
	step := planEndpoint(want, s.endpoint, controllerutil.ContainsFinalizer(s.obj, Finalizer))
	if step == stepRelease {
		if err := r.release(ctx, s, api); err != nil {
			return s.endpointFailed(ReasonRegistrationFailed, "Releasing the previous endpoint failed", err)
		}
		step = planEndpoint(want, s.endpoint, false)
	}
	switch step {
	case stepNone:
		s.dropEndpointCond = true
		return nil
	case stepRegister:
		if err := r.register(ctx, s, api, want); err != nil {
			return s.endpointFailed(ReasonRegistrationFailed, "Registering "+want+" with Dodo failed", err)
		}
	}
	if err := r.syncSecret(ctx, s, api); err != nil {
		return err
	}
	if !needsFinalizer(s.endpoint) {
		// An adopted endpoint is never deleted, so nothing needs to hold the account.
		return r.patchFinalizer(ctx, s, false)
	}
	return nil
}

// register finds the endpoint for url or creates it. The create's intent (the finalizer
// and the idempotency key) is stored first, so a retry after a lost answer or a crash
// sends the same key and Dodo makes one endpoint.
func (r *Reconciler) register(ctx context.Context, s *scope, api *dodo.Client, url string) error {
	listed, err := api.ListWebhookEndpoints(ctx)
	if err != nil {
		return err
	}
	uid := s.obj.GetUID()
	if found, ours := matchEndpoint(listed, url, uid); found != nil {
		key := ""
		if ours && s.endpoint != nil {
			key = s.endpoint.IdempotencyKey
		}
		s.endpoint = &billingv1alpha1.WebhookEndpointStatus{ID: found.ID, URL: url, CreatedByOperator: ours, IdempotencyKey: key}
		if !ours {
			r.event(s.obj, corev1.EventTypeNormal, "WebhookEndpointAdopted", "RegisterEndpoint",
				"Dodo already has endpoint %s for %s; it is used as is and never deleted by the operator", found.ID, url)
			return nil
		}
		return r.patchFinalizer(ctx, s, true)
	}
	key, err := r.storeIntent(ctx, s, url)
	if err != nil {
		return err
	}
	created, err := api.CreateWebhookEndpoint(ctx, dodo.CreateWebhookEndpointRequest{
		URL: url, Description: "dodo-operator: " + s.acct.Key.String(), FilterTypes: dodo.ReceiverEventTypes(),
		IdempotencyKey: key, Metadata: map[string]string{metaUID: string(uid), metaAccount: s.acct.Key.String()},
	})
	if err != nil {
		return err // the key stays stored: the retry sends it again
	}
	s.endpoint = &billingv1alpha1.WebhookEndpointStatus{ID: created.ID, URL: url, CreatedByOperator: true, IdempotencyKey: key}
	r.event(s.obj, corev1.EventTypeNormal, "WebhookEndpointRegistered", "RegisterEndpoint",
		"Registered endpoint %s for %s with Dodo", created.ID, url)
	return nil
}

// storeIntent stores the finalizer and then the create's idempotency key (its own status
// write, before the call) and returns the key. A key stored earlier for url is reused.
func (r *Reconciler) storeIntent(ctx context.Context, s *scope, url string) (string, error) {
	if err := r.patchFinalizer(ctx, s, true); err != nil {
		return "", err
	}
	if s.endpoint != nil && s.endpoint.IdempotencyKey != "" && s.endpoint.URL == url {
		return s.endpoint.IdempotencyKey, nil
	}
	intent := &billingv1alpha1.WebhookEndpointStatus{URL: url, IdempotencyKey: newIdempotencyKey(s.obj.GetUID())}
	stored, err := statuspatch.StoreNow(ctx, r.Client, r.uncached(), s.obj, func(obj client.Object) (bool, error) {
		statusOf(obj).WebhookEndpoint = intent.DeepCopy()
		return true, nil
	})
	if err != nil {
		return "", fmt.Errorf("storing the endpoint's idempotency key: %w", err)
	}
	s.stored(stored)
	s.endpoint = intent
	return intent.IdempotencyKey, nil
}

// release deletes the endpoints the operator made for the account (never an adopted one;
// 404 is gone already) and forgets the registration.
func (r *Reconciler) release(ctx context.Context, s *scope, api *dodo.Client) error {
	if err := r.deleteOwned(ctx, s, api); err != nil {
		return err
	}
	s.endpoint = nil
	return r.patchFinalizer(ctx, s, false)
}

func (r *Reconciler) deleteOwned(ctx context.Context, s *scope, api *dodo.Client) error {
	listed, err := api.ListWebhookEndpoints(ctx)
	if err != nil {
		return err
	}
	for _, id := range ownedEndpoints(s.endpoint, listed, s.obj.GetUID()) {
		if err := api.DeleteWebhookEndpoint(ctx, id); err != nil && !dodo.IsNotFound(err) {
			return err
		}
		r.event(s.obj, corev1.EventTypeNormal, "WebhookEndpointDeleted", "ReleaseEndpoint",
			"Deleted endpoint %s, which the operator had registered", id)
	}
	return nil
}

// syncSecret fetches the endpoint's signing secret and writes it into the Secret when it
// differs. An endpoint deleted in Dodo (404) is forgotten: the next check registers again.
func (r *Reconciler) syncSecret(ctx context.Context, s *scope, api *dodo.Client) error {
	ep := s.endpoint
	secret, err := api.GetWebhookEndpointSecret(ctx, ep.ID)
	if dodo.IsNotFound(err) {
		s.endpoint, s.soon = nil, true
		s.setEndpointCond(metav1.ConditionFalse, ReasonEndpointGone,
			"Endpoint %s is gone from Dodo (deleted outside the operator); it is registered again", ep.ID)
		r.event(s.obj, corev1.EventTypeWarning, ReasonEndpointGone, "RegisterEndpoint", "Endpoint %s is gone from Dodo", ep.ID)
		return nil
	}
	if err != nil {
		return s.endpointFailed(ReasonRegistrationFailed, "Fetching the signing secret of endpoint "+ep.ID+" failed", err)
	}
	ref := s.acct.Spec.Webhook.SecretRef
	if ref == nil { // the CRD refuses an endpoint without secretRef; this only guards
		return s.endpointFailed(ReasonSecretNotWritten, "spec.webhook.secretRef", errNoSecretRef)
	}
	if err := r.writeSecret(ctx, s, *ref, secret); err != nil {
		return s.endpointFailed(ReasonSecretNotWritten, "Writing the signing secret into "+describeSecret(s.acct, *ref)+" failed", err)
	}
	reason, made := ReasonRegistered, "created by the operator, deleted with the account"
	if !ep.CreatedByOperator {
		reason, made = ReasonAdopted, "created outside the operator, kept when the account is deleted"
	}
	s.setEndpointCond(metav1.ConditionTrue, reason, "Dodo sends the account's events to %s (endpoint %s, %s); its signing secret is in %s.",
		ep.URL, ep.ID, made, describeSecret(s.acct, *ref))
	return nil
}

func (s *scope) setEndpointCond(status metav1.ConditionStatus, reason, format string, args ...any) {
	s.endpointCond = &metav1.Condition{Type: ConditionWebhookEndpoint, Status: status, Reason: reason,
		Message: fmt.Sprintf(format, args...)}
}

// endpointFailed records a failure on the WebhookEndpoint condition and returns it, so the
// reconcile backs off. Dodo's and the API server's errors never carry a secret.
func (s *scope) endpointFailed(reason, what string, err error) error {
	s.setEndpointCond(metav1.ConditionFalse, reason, "%s: %v", what, err)
	return fmt.Errorf("%s: %w", what, err)
}

// patchFinalizer adds or removes the endpoint finalizer (only the finalizer is written).
func (r *Reconciler) patchFinalizer(ctx context.Context, s *scope, add bool) error {
	return r.patchNamedFinalizer(ctx, s, Finalizer, add)
}

// patchNamedFinalizer adds or removes one finalizer (only the finalizers are written).
func (r *Reconciler) patchNamedFinalizer(ctx context.Context, s *scope, finalizer string, add bool) error {
	base := s.obj.DeepCopyObject().(client.Object)
	var changed bool
	if add {
		changed = controllerutil.AddFinalizer(s.obj, finalizer)
	} else {
		changed = controllerutil.RemoveFinalizer(s.obj, finalizer)
	}
	if !changed {
		return nil
	}
	if err := r.Patch(ctx, s.obj, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("writing the finalizer: %w", err)
	}
	s.stored(s.obj)
	return nil
}
