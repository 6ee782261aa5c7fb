package harness

import (
	"fmt"
	"net/url"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/accounts"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
	"github.com/dodo-operator/dodo-operator/internal/stamp"
)

// Keys of the Secret AccountSecret makes.
const (
	AccountAPIKeyKey        = "api-key"
	AccountWebhookSecretKey = "webhook-secret"
)

// AccountSecret is a Secret holding sim's API key and webhook signing secret, for a
// DodoAccount (AccountFor) that reaches sim.
func AccountSecret(namespace, name string, sim *SimServer) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		StringData: map[string]string{AccountAPIKeyKey: sim.APIKey, AccountWebhookSecretKey: sim.WebhookSecret}}
}

// AccountFor is a DodoAccount reaching sim with the key and webhook secret held in the
// Secret secretName (AccountSecret). It registers no webhook endpoint: point sim's
// webhooks at the receiver's account path with Receiver.AccountWebhookURL.
func AccountFor(namespace, name, secretName string, sim *SimServer) *billingv1alpha1.DodoAccount {
	return &billingv1alpha1.DodoAccount{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: billingv1alpha1.DodoAccountSpec{
			BaseURL:         sim.URL,
			APIKeySecretRef: billingv1alpha1.SecretKeyReference{Name: secretName, Key: AccountAPIKeyKey},
			Webhook: &billingv1alpha1.AccountWebhook{
				SecretRef: &billingv1alpha1.SecretKeyReference{Name: secretName, Key: AccountWebhookSecretKey},
			},
		},
	}
}

// AccountWebhookURL is where the receiver takes the webhooks of the account key names
// (accounts.Key.WebhookPath on the receiver's address).
func (r *Receiver) AccountWebhookURL(key accounts.Key) (string, error) {
	u, err := url.Parse(r.WebhookURL)
	if err != nil {
		return "", fmt.Errorf("parsing the receiver's URL: %w", err)
	}
	u.Path = key.WebhookPath()
	return u.String(), nil
}

// Stamped is one object in the simulator that carries the operator's stamp
// (internal/stamp): a subscription, or a payment of an OnDemandCharge.
type Stamped struct {
	// Kind is "subscription" or "payment"; ID is its Dodo ID.
	Kind, ID string
	// Identity is the Kubernetes object stamped on it (the Subscription, or the
	// OnDemandCharge for a payment).
	Identity stamp.Identity
	// ChargeKey is the charge's key (payments only).
	ChargeKey string
}

func (s Stamped) String() string {
	if s.Kind == "payment" {
		return fmt.Sprintf("payment %s of %s (uid %s, charge key %s)", s.ID, s.Identity.Name, s.Identity.UID, s.ChargeKey)
	}
	return fmt.Sprintf("subscription %s of %s (uid %s)", s.ID, s.Identity.Name, s.Identity.UID)
}

// StampedObjects lists the subscriptions and charge payments in st stamped with an object
// of namespace.
func StampedObjects(st simulator.State, namespace string) []Stamped {
	var out []Stamped
	for _, sub := range st.Subscriptions {
		if id, ok := stamp.IdentityOf(sub.Metadata); ok && id.Namespace == namespace {
			out = append(out, Stamped{Kind: "subscription", ID: sub.SubscriptionID, Identity: id})
		}
	}
	for _, p := range st.Payments {
		key, charged := p.Metadata[stamp.KeyChargeKey]
		if id, ok := stamp.IdentityOf(p.Metadata); ok && charged && id.Namespace == namespace {
			out = append(out, Stamped{Kind: "payment", ID: p.PaymentID, Identity: id, ChargeKey: key})
		}
	}
	return out
}

// KeepStamped is st without the stamped subscriptions and charge payments of namespace
// that keep refuses (unstamped objects and other namespaces' stay): CheckState on it
// checks only the objects keep takes, for example one account's.
func KeepStamped(st simulator.State, namespace string, keep func(stamp.Identity) bool) simulator.State {
	out := st
	out.Subscriptions = nil
	for _, sub := range st.Subscriptions {
		if id, ok := stamp.IdentityOf(sub.Metadata); !ok || id.Namespace != namespace || keep(id) {
			out.Subscriptions = append(out.Subscriptions, sub)
		}
	}
	out.Payments = nil
	for _, p := range st.Payments {
		_, charged := p.Metadata[stamp.KeyChargeKey]
		if id, ok := stamp.IdentityOf(p.Metadata); !ok || !charged || id.Namespace != namespace || keep(id) {
			out.Payments = append(out.Payments, p)
		}
	}
	return out
}
