// Package v1alpha1 holds the billing.dodo-operator.io/v1alpha1 API: Subscription and
// OnDemandCharge, and the accounts they use (DodoAccount, ClusterDodoAccount). It contains types only, so that clients can import it without pulling in
// controller code.
//
// +kubebuilder:object:generate=true
// +groupName=billing.dodo-operator.io
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the group and version of every kind in this package.
	GroupVersion = schema.GroupVersion{Group: "billing.dodo-operator.io", Version: "v1alpha1"}

	// SchemeBuilder registers this package's kinds with a runtime.Scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds this package's kinds to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func addKnownTypes(scheme *runtime.Scheme) error {
	scheme.AddKnownTypes(GroupVersion,
		&Subscription{}, &SubscriptionList{},
		&OnDemandCharge{}, &OnDemandChargeList{},
		&DodoAccount{}, &DodoAccountList{},
		&ClusterDodoAccount{}, &ClusterDodoAccountList{},
	)
	metav1.AddToGroupVersion(scheme, GroupVersion)
	return nil
}
