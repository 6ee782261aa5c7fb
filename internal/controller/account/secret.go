package account

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// Labels and annotations on the webhook Secret the operator writes.
const (
	labelManagedBy   = "app.kubernetes.io/managed-by"
	managedByValue   = "dodo-operator"
	annotationSecret = "billing.dodo-operator.io/webhook-secret-of"
)

var errNoSecretRef = errors.New("not set")

// writeSecret puts the endpoint's signing secret into the Secret key ref names, in the
// account's secret namespace: the Secret is created when missing and updated only when the
// value differs (other keys are kept). Errors and events name the Secret, never the value.
func (r *Reconciler) writeSecret(ctx context.Context, s *scope, ref billingv1alpha1.SecretKeyReference, value dodo.Secret) error {
	key := client.ObjectKey{Namespace: s.acct.SecretNamespace, Name: ref.Name}
	secret := &corev1.Secret{}
	err := r.uncached().Get(ctx, key, secret)
	switch {
	case apierrors.IsNotFound(err):
		secret = &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name,
				Labels:      map[string]string{labelManagedBy: managedByValue},
				Annotations: map[string]string{annotationSecret: s.acct.Key.String()}},
			Type: corev1.SecretTypeOpaque,
			Data: map[string][]byte{ref.Key: []byte(value.Reveal())},
		}
		if err := r.Create(ctx, secret); err != nil {
			return fmt.Errorf("creating Secret %s: %w", key, apiReason(err))
		}
	case err != nil:
		return fmt.Errorf("reading Secret %s: %w", key, apiReason(err))
	case bytes.Equal(secret.Data[ref.Key], []byte(value.Reveal())):
		return nil
	default:
		if secret.Data == nil {
			secret.Data = map[string][]byte{}
		}
		secret.Data[ref.Key] = []byte(value.Reveal())
		if secret.Annotations == nil {
			secret.Annotations = map[string]string{}
		}
		secret.Annotations[annotationSecret] = s.acct.Key.String()
		if err := r.Update(ctx, secret); err != nil {
			return fmt.Errorf("updating Secret %s: %w", key, apiReason(err))
		}
	}
	r.event(s.obj, corev1.EventTypeNormal, "WebhookSecretWritten", "RegisterEndpoint",
		"Wrote the signing secret of endpoint %s into %s", s.endpoint.ID, describeSecret(s.acct, ref))
	return nil
}

// apiReason keeps an API server error's reason and status but not its message: a refused
// Secret write could echo the object, and with it the value.
func apiReason(err error) error {
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		st := status.Status()
		return fmt.Errorf("%s (HTTP %d)", st.Reason, st.Code)
	}
	return err
}
