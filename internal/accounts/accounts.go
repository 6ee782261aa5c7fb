// Package accounts resolves the Dodo account an object uses: a DodoAccount in its
// namespace, a ClusterDodoAccount that admits its namespace, or (no accountRef) the
// operator's own flags. Both processes use it: the operator for API clients, the webhook
// receiver for each account's signing secrets. See docs/accounts.md.
package accounts

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

// Key names an account. The zero Key is the default account: the operator's flags.
type Key struct {
	Kind billingv1alpha1.AccountKind
	// Namespace of a DodoAccount; empty for a ClusterDodoAccount.
	Namespace string
	Name      string
}

// KeyOf is the key of the account that ref, written on an object in namespace, names.
func KeyOf(namespace string, ref *billingv1alpha1.AccountReference) Key {
	switch {
	case ref == nil:
		return Key{}
	case ref.Kind == billingv1alpha1.AccountKindCluster:
		return Key{Kind: ref.Kind, Name: ref.Name}
	}
	return Key{Kind: billingv1alpha1.AccountKindNamespaced, Namespace: namespace, Name: ref.Name}
}

// IsDefault is true for the operator's own account.
func (k Key) IsDefault() bool { return k == Key{} }

// String names the account in messages and metric labels.
func (k Key) String() string {
	switch {
	case k.IsDefault():
		return "default"
	case k.Kind == billingv1alpha1.AccountKindCluster:
		return "ClusterDodoAccount/" + k.Name
	}
	return "DodoAccount/" + k.Namespace + "/" + k.Name
}

// WebhookPathPrefix is where the receiver serves the accounts' webhook paths.
const WebhookPathPrefix = "/dodo/webhooks/"

// WebhookPath is the receiver path whose deliveries are verified with this account's
// secret and applied only to this account's objects. The default account keeps the
// receiver's original path (its --path flag).
func (k Key) WebhookPath() string {
	if k.Kind == billingv1alpha1.AccountKindCluster {
		return WebhookPathPrefix + "cluster/" + k.Name
	}
	return WebhookPathPrefix + "namespaces/" + k.Namespace + "/" + k.Name
}

// ParseWebhookPath is the account a path made by WebhookPath names.
func ParseWebhookPath(path string) (Key, bool) {
	rest, ok := strings.CutPrefix(path, WebhookPathPrefix)
	if !ok {
		return Key{}, false
	}
	parts := strings.Split(rest, "/")
	switch {
	case len(parts) == 2 && parts[0] == "cluster" && parts[1] != "":
		return Key{Kind: billingv1alpha1.AccountKindCluster, Name: parts[1]}, true
	case len(parts) == 3 && parts[0] == "namespaces" && parts[1] != "" && parts[2] != "":
		return Key{Kind: billingv1alpha1.AccountKindNamespaced, Namespace: parts[1], Name: parts[2]}, true
	}
	return Key{}, false
}

// Reasons an account cannot be used; they are condition reasons on the objects using it.
const (
	ReasonAccountNotFound   = "AccountNotFound"
	ReasonAccountNotAllowed = "AccountNotAllowed"
	ReasonSecretNotFound    = "AccountSecretNotFound"
)

// NotUsableError says why an object cannot use its account now. It names Secrets and
// keys, never their values.
type NotUsableError struct {
	Reason  string
	Message string
}

func (e *NotUsableError) Error() string { return e.Message }

// Account is a resolved DodoAccount or ClusterDodoAccount.
type Account struct {
	Key Key
	// Object is the DodoAccount or ClusterDodoAccount itself (for its UID, generation and
	// status writes).
	Object client.Object
	Spec   billingv1alpha1.DodoAccountSpec
	// SecretNamespace holds the Secrets the spec references.
	SecretNamespace string
	// selector admits namespaces (ClusterDodoAccount only; nil admits none).
	selector *metav1.LabelSelector
}

// Get reads the account key names.
func Get(ctx context.Context, reader client.Reader, key Key) (*Account, error) {
	if key.Kind == billingv1alpha1.AccountKindCluster {
		obj := &billingv1alpha1.ClusterDodoAccount{}
		if err := reader.Get(ctx, client.ObjectKey{Name: key.Name}, obj); err != nil {
			return nil, notFound(key, err)
		}
		return &Account{Key: key, Object: obj, Spec: obj.Spec.DodoAccountSpec,
			SecretNamespace: obj.Spec.SecretNamespace, selector: obj.Spec.NamespaceSelector}, nil
	}
	obj := &billingv1alpha1.DodoAccount{}
	if err := reader.Get(ctx, client.ObjectKey{Namespace: key.Namespace, Name: key.Name}, obj); err != nil {
		return nil, notFound(key, err)
	}
	return &Account{Key: key, Object: obj, Spec: obj.Spec, SecretNamespace: key.Namespace}, nil
}

func notFound(key Key, err error) error {
	if apierrors.IsNotFound(err) {
		return &NotUsableError{Reason: ReasonAccountNotFound, Message: key.String() + " does not exist"}
	}
	return err
}

// Admits says whether objects in namespace may use the account: a DodoAccount only its
// own namespace, a ClusterDodoAccount the namespaces its selector matches.
func (a *Account) Admits(ctx context.Context, reader client.Reader, namespace string) error {
	refused := &NotUsableError{Reason: ReasonAccountNotAllowed,
		Message: fmt.Sprintf("%s does not admit namespace %s", a.Key, namespace)}
	if a.Key.Kind != billingv1alpha1.AccountKindCluster {
		if a.Key.Namespace != namespace {
			return refused
		}
		return nil
	}
	if a.selector == nil {
		refused.Message += " (its namespaceSelector is not set, which admits no namespace)"
		return refused
	}
	sel, err := metav1.LabelSelectorAsSelector(a.selector)
	if err != nil {
		return &NotUsableError{Reason: ReasonAccountNotAllowed, Message: fmt.Sprintf("%s has an invalid namespaceSelector: %v", a.Key, err)}
	}
	ns := &corev1.Namespace{}
	if err := reader.Get(ctx, client.ObjectKey{Name: namespace}, ns); err != nil {
		return err
	}
	if !sel.Matches(labels.Set(ns.Labels)) {
		refused.Message += " (its namespaceSelector does not match the namespace's labels)"
		return refused
	}
	return nil
}

// ReadSecretKey reads one key of a Secret in the account's secret namespace. Errors name
// the Secret and key, never the value.
func (a *Account) ReadSecretKey(ctx context.Context, reader client.Reader, ref billingv1alpha1.SecretKeyReference) (string, error) {
	secret := &corev1.Secret{}
	where := fmt.Sprintf("Secret %s/%s", a.SecretNamespace, ref.Name)
	if err := reader.Get(ctx, client.ObjectKey{Namespace: a.SecretNamespace, Name: ref.Name}, secret); err != nil {
		if apierrors.IsNotFound(err) {
			return "", &NotUsableError{Reason: ReasonSecretNotFound, Message: fmt.Sprintf("%s (named by %s) does not exist", where, a.Key)}
		}
		return "", fmt.Errorf("reading %s: %w", where, err)
	}
	value := strings.TrimSpace(string(secret.Data[ref.Key]))
	if value == "" {
		return "", &NotUsableError{Reason: ReasonSecretNotFound,
			Message: fmt.Sprintf("%s has no key %q (named by %s), or it is empty", where, ref.Key, a.Key)}
	}
	return value, nil
}
