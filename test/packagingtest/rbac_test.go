package packagingtest

import (
	"context"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
)

// TestServiceAccountHasLeastPrivilege installs the kustomize RBAC for real and asks the API
// server's authorizer what the operator's ServiceAccount may do.
func TestServiceAccountHasLeastPrivilege(t *testing.T) {
	objs := parseDocs(t, kustomize(t, "config/default"))
	var rbac = withoutKinds(objs, "CustomResourceDefinition", "Namespace", "Deployment", "Service")
	createNamespace(t, kustomizeNamespace)
	apply(t, render(t, rbac))
	sa := onlyKind(t, objs, "ServiceAccount", 1)[0]
	user := "system:serviceaccount:" + sa.GetNamespace() + ":" + sa.GetName()

	type access struct {
		namespace, group, resource, subresource, verb string
	}
	const billing = "billing.dodo-operator.io"
	allowed := []access{
		{"tenant-a", billing, "subscriptions", "", "watch"},
		{"tenant-a", billing, "subscriptions", "", "patch"},
		{"tenant-a", billing, "subscriptions", "status", "update"},
		{"tenant-a", billing, "subscriptions", "finalizers", "update"},
		{"tenant-a", billing, "ondemandcharges", "", "list"},
		{"tenant-a", billing, "ondemandcharges", "status", "update"},
		{kustomizeNamespace, "coordination.k8s.io", "leases", "", "update"},
		{"tenant-a", "events.k8s.io", "events", "", "create"},
		// Accounts: the Secrets they name are read one by one with GET.
		{"tenant-a", "", "secrets", "", "get"},
		{"tenant-a", billing, "dodoaccounts", "", "watch"},
		{"tenant-a", billing, "dodoaccounts", "status", "patch"},
		{"", billing, "clusterdodoaccounts", "", "list"},
		{"", "", "namespaces", "", "watch"},
	}
	denied := []access{
		{"tenant-a", "", "secrets", "", "list"},
		{"tenant-a", "", "secrets", "", "watch"},
		{kustomizeNamespace, "", "secrets", "", "list"},
		{"tenant-a", "", "secrets", "", "delete"},
		{"tenant-a", billing, "dodoaccounts", "", "create"},
		{"", billing, "clusterdodoaccounts", "", "create"},
		{"tenant-a", billing, "subscriptions", "", "delete"},
		{"tenant-a", billing, "ondemandcharges", "", "create"},
		{"tenant-a", "", "pods", "", "create"},
		{"tenant-a", "coordination.k8s.io", "leases", "", "update"},
		{"", "rbac.authorization.k8s.io", "clusterroles", "", "escalate"},
	}
	can := func(a access) bool {
		review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User:   user,
			Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + sa.GetNamespace(), "system:authenticated"},
			ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: a.namespace, Group: a.group,
				Resource: a.resource, Subresource: a.subresource, Verb: a.verb},
		}}
		if err := env.Client.Create(context.Background(), review); err != nil {
			t.Fatal(err)
		}
		return review.Status.Allowed
	}
	for _, a := range allowed {
		if !can(a) {
			t.Errorf("the operator's ServiceAccount cannot %s %s/%s in %q; it needs to", a.verb, a.resource, a.subresource, a.namespace)
		}
	}
	for _, a := range denied {
		if can(a) {
			t.Errorf("the operator's ServiceAccount can %s %s/%s in %q; it must not", a.verb, a.resource, a.subresource, a.namespace)
		}
	}
}
