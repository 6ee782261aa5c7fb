package packagingtest

import (
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
	onlyKind(t, objs, "CustomResourceDefinition", 2)
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
