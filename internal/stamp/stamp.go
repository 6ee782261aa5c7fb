// Package stamp names the metadata keys the operator writes on every object it creates in
// Dodo (docs/dodo-api.md §8.5). They let the operator find a subscription or payment whose
// create response was lost, and let the webhook receiver map an event to its resource
// before the resource's status has recorded the Dodo ID.
package stamp

import (
	"strconv"

	"k8s.io/apimachinery/pkg/types"
)

// Metadata keys. Users cannot set keys starting with "k8s_" (CRD validation), and every key
// stays within Dodo's 40-character limit.
const (
	KeyNamespace = "k8s_namespace"
	KeyName      = "k8s_name"
	KeyUID       = "k8s_uid"
	// KeyChargeKey carries the OnDemandCharge's stable charge key.
	KeyChargeKey = "k8s_charge_key"
	// KeyRetryAttempt is the on-demand guide's retry_attempt tag: 0 for the first attempt.
	KeyRetryAttempt = "retry_attempt"
)

// Identity is the Kubernetes object a Dodo object belongs to.
type Identity struct {
	Namespace string
	Name      string
	UID       types.UID
}

// Subscription returns the metadata for a subscription created for id, merged over the
// user's metadata (the stamp wins; the CRD forbids users the reserved keys anyway).
func Subscription(user map[string]string, id Identity) map[string]string {
	out := make(map[string]string, len(user)+3)
	for k, v := range user {
		out[k] = v
	}
	out[KeyNamespace] = id.Namespace
	out[KeyName] = id.Name
	out[KeyUID] = string(id.UID)
	return out
}

// Charge returns the metadata for one attempt of an on-demand charge. The charge key, not
// the UID, identifies the charge: it survives deletion and re-creation from Git.
func Charge(user map[string]string, id Identity, chargeKey string, attempt int) map[string]string {
	out := Subscription(user, id)
	out[KeyChargeKey] = chargeKey
	out[KeyRetryAttempt] = strconv.Itoa(attempt)
	return out
}

// IdentityOf reads the stamp from Dodo metadata; ok is false when it is not there.
func IdentityOf(metadata map[string]string) (Identity, bool) {
	id := Identity{Namespace: metadata[KeyNamespace], Name: metadata[KeyName], UID: types.UID(metadata[KeyUID])}
	return id, id.Namespace != "" && id.Name != "" && id.UID != ""
}

// SubscriptionIdentityOf reads a Subscription's stamp; a charge's stamp is not one (its
// name is the charge's), so metadata with a charge key gives ok false.
func SubscriptionIdentityOf(metadata map[string]string) (Identity, bool) {
	if metadata[KeyChargeKey] != "" {
		return Identity{}, false
	}
	return IdentityOf(metadata)
}
