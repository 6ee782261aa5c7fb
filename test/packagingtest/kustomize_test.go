package packagingtest

import (
	"slices"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// kustomizeNamespace is the namespace config/default installs into.
const kustomizeNamespace = "dodo-operator-system"

func TestKustomizeDefaultRendersAndApplies(t *testing.T) {
	manifests := kustomize(t, "config/default")
	objs := parseDocs(t, manifests)
	deploy := assertInstall(t, manifests, objs)
	assertServiceTargets(t, objs, deploy)
	if deploy.Namespace != kustomizeNamespace {
		t.Errorf("Deployment namespace = %q, want %q", deploy.Namespace, kustomizeNamespace)
	}
	onlyKind(t, objs, "CustomResourceDefinition", crdCount)
	onlyKind(t, objs, "Namespace", 1)
	createNamespace(t, kustomizeNamespace)
	serverDryRunApply(t, manifests)
}

// TestKustomizeWebhookIngressOverlay renders the overlay that adds the Ingress component and
// checks that the Ingress reaches the webhook Service's named port.
func TestKustomizeWebhookIngressOverlay(t *testing.T) {
	manifests := kustomize(t, "config/overlays/webhook-ingress")
	objs := parseDocs(t, manifests)
	deploy := assertInstall(t, manifests, objs)
	assertServiceTargets(t, objs, deploy)
	ingress := &networkingv1.Ingress{}
	obj := onlyKind(t, objs, "Ingress", 1)[0]
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, ingress); err != nil {
		t.Fatal(err)
	}
	backend := ingress.Spec.Rules[0].HTTP.Paths[0].Backend.Service
	found := false
	for _, svc := range onlyKind(t, objs, "Service", 2) {
		found = found || (svc.GetName() == backend.Name && svc.GetNamespace() == ingress.Namespace)
	}
	if !found || backend.Port.Name != "webhooks" {
		t.Errorf("Ingress backend %s:%s is not the webhook Service in %s", backend.Name, backend.Port.Name, ingress.Namespace)
	}
	createNamespace(t, kustomizeNamespace)
	serverDryRunApply(t, manifests)
}

// TestSamplesApply: the samples the local run applies are accepted by the API server.
func TestSamplesApply(t *testing.T) {
	manifests := kustomize(t, "config/samples")
	objs := parseDocs(t, manifests)
	if len(objs) < 3 {
		t.Fatalf("want at least the three samples, rendered %d objects", len(objs))
	}
	serverDryRunApply(t, manifests)
}

// TestKustomizeEveryOption renders test/packagingtest/testdata/kustomize-all (the default
// install with every component and optional resource: Ingress, the separate receiver,
// NetworkPolicies, ServiceMonitor, PrometheusRule, dashboard) and applies it with a
// server-side dry run, less the Prometheus Operator's kinds.
func TestKustomizeEveryOption(t *testing.T) {
	manifests := kustomize(t, "test/packagingtest/testdata/kustomize-all")
	objs := parseDocs(t, manifests)
	in := assertSeparateInstall(t, manifests, objs)
	assertIngressTLS(t, objs, "webhooks.example.com", "dodo-operator-webhooks-tls")
	onlyKind(t, objs, "NetworkPolicy", 2)
	onlyKind(t, objs, "PrometheusRule", 1)
	onlyKind(t, objs, "ServiceMonitor", 1)
	dashboard := onlyKind(t, objs, "ConfigMap", 1)[0]
	if dashboard.GetLabels()["grafana_dashboard"] != "1" {
		t.Errorf("dashboard ConfigMap labels %v lack grafana_dashboard", dashboard.GetLabels())
	}
	if !slices.Contains(in.operator.Spec.Template.Spec.Containers[0].Args, "--metrics-secure=true") {
		t.Error("the manager does not serve secure metrics")
	}
	if !hasClusterRoleWith(t, objs, "tokenreviews") || !hasClusterRoleWith(t, objs, "/metrics") {
		t.Error("the metrics-auth and metrics-reader ClusterRoles are missing")
	}
	createNamespace(t, kustomizeNamespace)
	serverDryRunApply(t, render(t, withoutKinds(objs, prometheusKinds...)))
}

// TestKustomizeSeparateReceiverOverlay: config/overlays/separate-webhook-receiver applies.
func TestKustomizeSeparateReceiverOverlay(t *testing.T) {
	manifests := kustomize(t, "config/overlays/separate-webhook-receiver")
	objs := parseDocs(t, manifests)
	assertSeparateInstall(t, manifests, objs)
	createNamespace(t, kustomizeNamespace)
	serverDryRunApply(t, manifests)
}
