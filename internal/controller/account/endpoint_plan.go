package account

import (
	"crypto/rand"
	"encoding/hex"
	"slices"

	"k8s.io/apimachinery/pkg/types"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// Metadata the operator puts on the endpoints it creates: the UID finds an endpoint whose
// create answer was lost, the account name tells a person in Dodo's dashboard who made it.
const (
	metaUID     = "dodo_operator_uid"
	metaAccount = "dodo_operator_account"
)

// endpointStep is what the webhook endpoint needs next.
type endpointStep int

const (
	// stepNone: no endpoint is wanted and none is held.
	stepNone endpointStep = iota
	// stepRelease: status holds an endpoint (or a create in flight) that spec no longer
	// wants: delete it if the operator made it, then forget it.
	stepRelease
	// stepRegister: find the endpoint for spec's URL (the operator's own or one to adopt),
	// or create it.
	stepRegister
	// stepSecret: registered; fetch its signing secret into the Secret.
	stepSecret
)

// planEndpoint decides the next step from spec's URL ("" for none) and the status.
func planEndpoint(wantURL string, st *billingv1alpha1.WebhookEndpointStatus, hasFinalizer bool) endpointStep {
	switch {
	case wantURL == "" && (st != nil || hasFinalizer):
		return stepRelease
	case wantURL == "":
		return stepNone
	case st != nil && st.URL != "" && st.URL != wantURL:
		return stepRelease
	case st == nil || st.ID == "":
		return stepRegister
	}
	return stepSecret
}

// needsFinalizer: deleting the account must first delete an endpoint the operator created,
// or one a create in flight may have created.
func needsFinalizer(st *billingv1alpha1.WebhookEndpointStatus) bool {
	return st != nil && (st.CreatedByOperator || (st.ID == "" && st.IdempotencyKey != ""))
}

// matchEndpoint finds the endpoint for url among the listed ones: the account's own (its
// UID in the metadata: a create whose answer was lost), else any with that URL, which is
// adopted (ours=false: made by a person, never deleted by the operator).
func matchEndpoint(listed []dodo.WebhookEndpoint, url string, uid types.UID) (found *dodo.WebhookEndpoint, ours bool) {
	for i := range listed {
		if listed[i].URL == url && listed[i].Metadata[metaUID] == string(uid) {
			return &listed[i], true
		}
	}
	for i := range listed {
		if listed[i].URL == url {
			return &listed[i], false
		}
	}
	return nil, false
}

// ownedEndpoints are the endpoints to delete when the account lets its endpoint go: the
// one status records as created by the operator, and every listed one carrying the
// account's UID. An adopted endpoint is never among them.
func ownedEndpoints(st *billingv1alpha1.WebhookEndpointStatus, listed []dodo.WebhookEndpoint, uid types.UID) []string {
	var ids []string
	if st != nil && st.CreatedByOperator && st.ID != "" {
		ids = append(ids, st.ID)
	}
	for _, ep := range listed {
		if ep.Metadata[metaUID] == string(uid) && ep.ID != "" && !slices.Contains(ids, ep.ID) {
			ids = append(ids, ep.ID)
		}
	}
	return ids
}

// newIdempotencyKey names one create: the account's UID (readable in Dodo) and a random
// part, so a create after a release never replays an earlier, deleted endpoint.
func newIdempotencyKey(uid types.UID) string {
	random := make([]byte, 6)
	_, _ = rand.Read(random) // crypto/rand.Read never fails (Go 1.24+)
	return "dodo-operator-" + string(uid) + "-" + hex.EncodeToString(random)
}
