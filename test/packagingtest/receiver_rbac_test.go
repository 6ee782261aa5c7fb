package packagingtest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// rbacKinds are the objects that decide what a ServiceAccount may do.
var rbacKinds = map[string]bool{"ServiceAccount": true, "ClusterRole": true, "ClusterRoleBinding": true,
	"Role": true, "RoleBinding": true}

// TestSeparateReceiverCannotWriteSpecHelm installs the chart's RBAC with the receiver as its
// own Deployment and asks the real API server what the receiver's identity may do.
func TestSeparateReceiverCannotWriteSpecHelm(t *testing.T) {
	const ns = "dodo-helm-separate"
	objs := parseDocs(t, helmTemplateValues(t, ns, "ci/separate-receiver-values.yaml"))
	in := assertSeparateInstall(t, render(t, objs), objs)
	assertReceiverIdentityIsStatusOnly(t, objs, in)
}

// TestSeparateReceiverCannotWriteSpecKustomize does the same for the kustomize overlay.
func TestSeparateReceiverCannotWriteSpecKustomize(t *testing.T) {
	manifests := kustomize(t, "config/overlays/separate-webhook-receiver")
	objs := parseDocs(t, manifests)
	in := assertSeparateInstall(t, manifests, objs)
	assertReceiverIdentityIsStatusOnly(t, objs, in)
}

// assertReceiverIdentityIsStatusOnly applies the install's RBAC for real, then checks with
// SubjectAccessReviews that the receiver's ServiceAccount may write status but never spec,
// finalizers or deletion, while the operator's may (so the difference is the separation),
// and with an impersonated request that a spec patch is forbidden in practice.
func assertReceiverIdentityIsStatusOnly(t *testing.T, objs []unstructured.Unstructured, in separateInstall) {
	t.Helper()
	createNamespace(t, in.operator.Namespace)
	var rbac []unstructured.Unstructured
	for _, obj := range objs {
		if rbacKinds[obj.GetKind()] {
			rbac = append(rbac, obj)
		}
	}
	apply(t, render(t, rbac))
	receiver := serviceAccountUser(in.receiver.Namespace, in.receiver.Spec.Template.Spec.ServiceAccountName)
	operator := serviceAccountUser(in.operator.Namespace, in.operator.Spec.Template.Spec.ServiceAccountName)
	const billing = "billing.dodo-operator.io"
	type access struct{ group, resource, subresource, verb string }
	receiverMay := []access{
		{billing, "subscriptions", "", "watch"}, {billing, "ondemandcharges", "", "list"},
		{billing, "subscriptions", "status", "patch"}, {billing, "ondemandcharges", "status", "update"},
		{"events.k8s.io", "events", "", "create"},
		// The accounts' webhook paths: the accounts (a cache), their lastWebhookAt, and the
		// webhook Secrets they name, read one by one with GET.
		{billing, "dodoaccounts", "", "watch"}, {billing, "clusterdodoaccounts", "", "list"},
		{billing, "dodoaccounts", "status", "patch"}, {"", "secrets", "", "get"},
	}
	receiverMayNot := []access{
		{billing, "subscriptions", "", "patch"}, {billing, "subscriptions", "", "update"},
		{billing, "ondemandcharges", "", "patch"}, {billing, "subscriptions", "finalizers", "update"},
		{billing, "ondemandcharges", "finalizers", "update"}, {billing, "subscriptions", "", "delete"},
		{billing, "ondemandcharges", "", "create"}, {"", "secrets", "", "list"}, {"", "secrets", "", "watch"},
		{"", "secrets", "", "create"}, {billing, "dodoaccounts", "", "patch"}, {billing, "dodoaccounts", "", "create"},
		{billing, "clusterdodoaccounts", "", "update"}, {billing, "dodoaccounts", "finalizers", "update"},
		{"coordination.k8s.io", "leases", "", "update"},
	}
	can := func(u saUser, a access) bool {
		return allowed(t, u, authorizationv1.ResourceAttributes{Namespace: "tenant-a", Group: a.group,
			Resource: a.resource, Subresource: a.subresource, Verb: a.verb})
	}
	for _, a := range receiverMay {
		if !can(receiver, a) {
			t.Errorf("the receiver cannot %s %s/%s; it needs to", a.verb, a.resource, a.subresource)
		}
	}
	for _, a := range receiverMayNot {
		if can(receiver, a) {
			t.Errorf("the receiver's identity can %s %s/%s; only the operator may", a.verb, a.resource, a.subresource)
		}
	}
	if !can(operator, access{billing, "subscriptions", "", "patch"}) {
		t.Error("the operator's identity cannot patch subscriptions: the comparison above proves nothing")
	}
	assertImpersonatedSpecPatchForbidden(t, receiver)
}

type saUser struct {
	name   string
	groups []string
}

func serviceAccountUser(namespace, name string) saUser {
	return saUser{name: "system:serviceaccount:" + namespace + ":" + name,
		groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated"}}
}

func allowed(t *testing.T, u saUser, attrs authorizationv1.ResourceAttributes) bool {
	t.Helper()
	review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User: u.name, Groups: u.groups, ResourceAttributes: &attrs}}
	if err := env.Client.Create(context.Background(), review); err != nil {
		t.Fatal(err)
	}
	return review.Status.Allowed
}

// assertImpersonatedSpecPatchForbidden creates a Subscription as the administrator, then acts
// as the receiver: its spec patch must be forbidden, its status patch allowed.
func assertImpersonatedSpecPatchForbidden(t *testing.T, u saUser) {
	t.Helper()
	ctx := context.Background()
	const ns = "tenant-receiver-rbac"
	createNamespace(t, ns)
	data, err := os.ReadFile(filepath.Join(root, "config", "samples", "billing_v1alpha1_subscription.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sub := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(data, &sub.Object); err != nil {
		t.Fatal(err)
	}
	sub.SetNamespace(ns)
	sub.SetName("receiver-rbac")
	if err := env.Client.Create(ctx, sub); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	cfg := rest.CopyConfig(env.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: u.name, Groups: u.groups}
	as, err := client.New(cfg, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	target := &unstructured.Unstructured{}
	target.SetGroupVersionKind(sub.GroupVersionKind())
	target.SetNamespace(ns)
	target.SetName(sub.GetName())
	err = as.Patch(ctx, target, client.RawPatch(types.MergePatchType, []byte(`{"spec":{"quantity":99}}`)))
	if !apierrors.IsForbidden(err) {
		t.Errorf("the receiver's spec patch: err = %v, want Forbidden", err)
	}
	err = as.Patch(ctx, target, client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`)))
	if !apierrors.IsForbidden(err) {
		t.Errorf("the receiver's finalizer patch: err = %v, want Forbidden", err)
	}
	if err := as.Status().Patch(ctx, target, client.RawPatch(types.MergePatchType, []byte(`{"status":{}}`))); err != nil {
		t.Errorf("the receiver's status patch: %v, want it allowed", err)
	}
}
