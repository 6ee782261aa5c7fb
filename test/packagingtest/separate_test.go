package packagingtest

import (
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// separateInstall is an install whose webhook receiver runs as its own Deployment.
type separateInstall struct {
	operator, receiver *appsv1.Deployment
}

// assertSeparateInstall checks the promises of the separate-receiver option: the operator
// Pod runs only the manager with the API key; the receiver Pod runs only the receiver, under
// another ServiceAccount, without the API key; the webhook Service reaches the receiver; the
// receiver's ServiceAccount is bound to the status-only role and nothing else; and the
// receiver has its own PodDisruptionBudget and NetworkPolicy.
func assertSeparateInstall(t *testing.T, manifests []byte, objs []unstructured.Unstructured) separateInstall {
	t.Helper()
	assertNoInlinedSecrets(t, manifests, objs)
	var in separateInstall
	for _, obj := range onlyKind(t, objs, "Deployment", 2) {
		d := convert[appsv1.Deployment](t, obj)
		assertPodSecurity(t, d.Spec.Template.Spec)
		for _, c := range d.Spec.Template.Spec.Containers {
			assertContainerBasics(t, c)
			assertSecretsByReference(t, c)
		}
		switch names := containerNames(d); {
		case slices.Equal(names, []string{managerContainer}):
			in.operator = d
		case slices.Equal(names, []string{receiverContainer}):
			in.receiver = d
		default:
			t.Fatalf("Deployment %s runs %v; want one with [manager] and one with [webhook-receiver]", d.Name, names)
		}
	}
	if in.operator == nil || in.receiver == nil {
		t.Fatal("want an operator Deployment and a receiver Deployment")
	}
	opSpec, rcvSpec := in.operator.Spec.Template.Spec, in.receiver.Spec.Template.Spec
	if opSpec.Containers[0].Image != rcvSpec.Containers[0].Image {
		t.Errorf("operator image %s and receiver image %s differ: one image setting must set both",
			opSpec.Containers[0].Image, rcvSpec.Containers[0].Image)
	}
	if opSpec.ServiceAccountName == rcvSpec.ServiceAccountName {
		t.Errorf("the receiver runs under the operator's ServiceAccount %s", opSpec.ServiceAccountName)
	}
	if !slices.Equal(secretVolumes(opSpec), []string{"api-key"}) {
		t.Errorf("operator Pod Secret volumes = %v, want [api-key]", secretVolumes(opSpec))
	}
	if v := secretVolumes(rcvSpec); slices.Contains(v, "api-key") || !slices.Contains(v, "webhook-key") {
		t.Errorf("receiver Pod Secret volumes = %v, want webhook-key and never api-key", v)
	}
	if selects(in.operator, in.receiver.Spec.Template.Labels) || selects(in.receiver, in.operator.Spec.Template.Labels) {
		t.Error("one Deployment's selector matches the other's Pods")
	}
	owners := assertServicesReachPods(t, objs, in.operator, in.receiver)
	if owners["webhooks"] != in.receiver.Name {
		t.Errorf("the webhooks port is served by %q, want the receiver Deployment %s", owners["webhooks"], in.receiver.Name)
	}
	assertReceiverBindings(t, objs, in.receiver)
	assertSelectedOnce[policyv1.PodDisruptionBudget](t, objs, "PodDisruptionBudget", in.receiver,
		func(p *policyv1.PodDisruptionBudget) map[string]string { return p.Spec.Selector.MatchLabels })
	assertSelectedOnce[networkingv1.NetworkPolicy](t, objs, "NetworkPolicy", in.receiver,
		func(p *networkingv1.NetworkPolicy) map[string]string { return p.Spec.PodSelector.MatchLabels })
	return in
}

// assertReceiverBindings: the receiver's ServiceAccount is bound only to the webhook
// receiver's roles: one ClusterRoleBinding to its ClusterRole and, with watched
// namespaces, RoleBindings to the roles reading the accounts' webhook Secrets there. Those
// roles grant nothing but reads, the status of the billing objects and accounts, and Events.
func assertReceiverBindings(t *testing.T, objs []unstructured.Unstructured, receiver *appsv1.Deployment) {
	t.Helper()
	sa := receiver.Spec.Template.Spec.ServiceAccountName
	type ref struct{ kind, namespace, name string }
	var refs []ref
	clusterBindings := 0
	for _, kind := range []string{"ClusterRoleBinding", "RoleBinding"} {
		for _, obj := range objs {
			if obj.GetKind() != kind {
				continue
			}
			b := convert[rbacv1.ClusterRoleBinding](t, obj)
			for _, s := range b.Subjects {
				if s.Kind == "ServiceAccount" && s.Name == sa && s.Namespace == receiver.Namespace {
					ns := obj.GetNamespace()
					if b.RoleRef.Kind == "ClusterRole" {
						ns = ""
					}
					refs = append(refs, ref{b.RoleRef.Kind, ns, b.RoleRef.Name})
					if kind == "ClusterRoleBinding" {
						clusterBindings++
					}
				}
			}
		}
	}
	if clusterBindings != 1 {
		t.Fatalf("the receiver's ServiceAccount %s has %d ClusterRoleBindings (%v), want one, to the webhook receiver's role", sa, clusterBindings, refs)
	}
	statusWrites := []string{"subscriptions/status", "ondemandcharges/status", "dodoaccounts/status", "clusterdodoaccounts/status", "events"}
	for _, r := range refs {
		if !strings.Contains(r.name, "webhook-receiver") {
			t.Errorf("the receiver's ServiceAccount %s is bound to %s %s, not a webhook receiver role", sa, r.kind, r.name)
			continue
		}
		found := false
		for _, obj := range onlyKindAtLeast(objs, r.kind) {
			if obj.GetName() != r.name || obj.GetNamespace() != r.namespace {
				continue
			}
			found = true
			for _, rule := range convert[rbacv1.ClusterRole](t, obj).Rules {
				for _, res := range rule.Resources {
					writes := slices.ContainsFunc(rule.Verbs, func(v string) bool { return v != "get" && v != "list" && v != "watch" })
					if writes && !slices.Contains(statusWrites, res) {
						t.Errorf("the receiver's role %s may %v %s", r.name, rule.Verbs, res)
					}
					if res == "secrets" && !slices.Equal(rule.Verbs, []string{"get"}) {
						t.Errorf("the receiver's role %s may %v secrets, want get only", r.name, rule.Verbs)
					}
				}
			}
		}
		if !found {
			t.Errorf("the receiver's ServiceAccount is bound to %s %s, which the install does not render", r.kind, r.name)
		}
	}
}

// assertServicesReachPods: each Service selects the Pods of exactly one Deployment, which has
// every named target port. It returns which Deployment serves each port name.
func assertServicesReachPods(t *testing.T, objs []unstructured.Unstructured, deploys ...*appsv1.Deployment) map[string]string {
	t.Helper()
	owners := map[string]string{}
	for _, obj := range onlyKindAtLeast(objs, "Service") {
		svc := convert[corev1.Service](t, obj)
		var matched []*appsv1.Deployment
		for _, d := range deploys {
			if labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(d.Spec.Template.Labels)) {
				matched = append(matched, d)
			}
		}
		if len(matched) != 1 {
			t.Errorf("Service %s selects the Pods of %d Deployments, want 1", svc.Name, len(matched))
			continue
		}
		for _, p := range svc.Spec.Ports {
			if !hasPort(matched[0], p.TargetPort.String()) {
				t.Errorf("Service %s targets port %q, which Deployment %s lacks", svc.Name, p.TargetPort.String(), matched[0].Name)
			}
			owners[p.TargetPort.String()] = matched[0].Name
		}
	}
	return owners
}

// assertSelectedOnce: exactly one object of kind selects the Deployment's Pods.
func assertSelectedOnce[T any](t *testing.T, objs []unstructured.Unstructured, kind string, d *appsv1.Deployment,
	selector func(*T) map[string]string) {
	t.Helper()
	n := 0
	for _, obj := range onlyKindAtLeast(objs, kind) {
		set := selector(convert[T](t, obj))
		if len(set) > 0 && labels.SelectorFromSet(set).Matches(labels.Set(d.Spec.Template.Labels)) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d %s objects select the Pods of %s, want 1", n, kind, d.Name)
	}
}

func convert[T any](t *testing.T, obj unstructured.Unstructured) *T {
	t.Helper()
	out := new(T)
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, out); err != nil {
		t.Fatalf("%s %s: %v", obj.GetKind(), obj.GetName(), err)
	}
	return out
}

func onlyKindAtLeast(objs []unstructured.Unstructured, kind string) []unstructured.Unstructured {
	var found []unstructured.Unstructured
	for _, obj := range objs {
		if obj.GetKind() == kind {
			found = append(found, obj)
		}
	}
	return found
}

func containerNames(d *appsv1.Deployment) []string {
	names := make([]string, 0, len(d.Spec.Template.Spec.Containers))
	for _, c := range d.Spec.Template.Spec.Containers {
		names = append(names, c.Name)
	}
	return names
}

func secretVolumes(spec corev1.PodSpec) []string {
	var names []string
	for _, v := range spec.Volumes {
		if v.Secret != nil {
			names = append(names, v.Name)
		}
	}
	return names
}

func selects(d *appsv1.Deployment, podLabels map[string]string) bool {
	return labels.SelectorFromSet(d.Spec.Selector.MatchLabels).Matches(labels.Set(podLabels))
}

func hasPort(d *appsv1.Deployment, name string) bool {
	for _, c := range d.Spec.Template.Spec.Containers {
		for _, p := range c.Ports {
			if p.Name == name {
				return true
			}
		}
	}
	return false
}
