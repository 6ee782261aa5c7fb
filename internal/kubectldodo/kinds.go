package kubectldodo

import (
	"fmt"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

// kind is one of the two resources the plugin works on.
type kind int

const (
	kindSubscription kind = iota + 1
	kindCharge
)

// kindNames are the words accepted for each kind: the CRDs' names and short names, and
// the plain words people say ("charge"), so `status sub x` and `status dsub x` both work.
var kindNames = map[string]kind{
	"subscription": kindSubscription, "subscriptions": kindSubscription, "sub": kindSubscription,
	"dsub": kindSubscription, "dodosub": kindSubscription,
	"charge": kindCharge, "charges": kindCharge, "odc": kindCharge, "ondemandcharge": kindCharge,
	"ondemandcharges": kindCharge, "dodocharge": kindCharge,
}

func parseKind(word string) (kind, error) {
	word = strings.ToLower(word)
	word = strings.TrimSuffix(word, "."+billingv1alpha1.GroupVersion.Group)
	if k, ok := kindNames[word]; ok {
		return k, nil
	}
	return 0, fmt.Errorf("unknown kind %q: use subscription (sub, dsub) or charge (odc, ondemandcharge)", word)
}

// String is the kind as kubectl names it, for messages and suggested commands.
func (k kind) String() string {
	if k == kindCharge {
		return "ondemandcharge"
	}
	return "subscription"
}

// short is the kubectl short name, used in the commands the plugin suggests.
func (k kind) short() string {
	if k == kindCharge {
		return "odc"
	}
	return "dsub"
}

func (k kind) newObject() client.Object {
	if k == kindCharge {
		return &billingv1alpha1.OnDemandCharge{}
	}
	return &billingv1alpha1.Subscription{}
}
