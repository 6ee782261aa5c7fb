package packagingtest

import (
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// prometheusKinds are the Prometheus Operator's kinds, checked but not applied: the test API
// server has no Prometheus Operator CRDs.
var prometheusKinds = []string{"ServiceMonitor", "PrometheusRule"}

// TestHelmAllOptionsValuesSidecar renders charts/dodo-operator/ci/all-options-values.yaml
// (every option on, the receiver as a sidecar), checks each option took effect, and applies
// the output with a server-side dry run.
func TestHelmAllOptionsValuesSidecar(t *testing.T) {
	manifests := helmTemplateValues(t, helmNamespace, "ci/all-options-values.yaml")
	objs := parseDocs(t, manifests)
	deploy := assertInstall(t, manifests, objs)
	assertServiceTargets(t, objs, deploy)
	assertEveryOption(t, objs, deploy)
	spec := deploy.Spec.Template.Spec
	for _, c := range spec.Containers {
		if !slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.Name == "tmp" }) {
			t.Errorf("%s: extraVolumeMounts not applied", c.Name)
		}
	}
	if envValue(spec.Containers[0], "GOMEMLIMIT") != "200MiB" || envValue(spec.Containers[1], "GOMAXPROCS") != "1" {
		t.Error("extraEnv not applied to both containers")
	}
	onlyKind(t, objs, "PodDisruptionBudget", 1)
	onlyKind(t, objs, "NetworkPolicy", 1)
	createNamespace(t, helmNamespace)
	serverDryRunApply(t, render(t, withoutKinds(objs, prometheusKinds...)))
}

// TestHelmAllOptionsValuesSeparateReceiver: every option on, the receiver as its own
// Deployment and ServiceAccount with its own PodDisruptionBudget and NetworkPolicy.
func TestHelmAllOptionsValuesSeparateReceiver(t *testing.T) {
	manifests := helmTemplateValues(t, helmNamespace, "ci/separate-receiver-values.yaml")
	objs := parseDocs(t, manifests)
	in := assertSeparateInstall(t, manifests, objs)
	assertEveryOption(t, objs, in.operator)
	if *in.receiver.Spec.Replicas != 3 || len(in.receiver.Spec.Template.Spec.TopologySpreadConstraints) == 0 {
		t.Error("the receiver's replicas or spread constraints were not applied")
	}
	onlyKind(t, objs, "PodDisruptionBudget", 2)
	onlyKind(t, objs, "NetworkPolicy", 2)
	onlyKind(t, objs, "ServiceAccount", 2)
	createNamespace(t, helmNamespace)
	serverDryRunApply(t, render(t, withoutKinds(objs, prometheusKinds...)))
}

// assertEveryOption checks the options both all-options values files turn on.
func assertEveryOption(t *testing.T, objs []unstructured.Unstructured, operator *appsv1.Deployment) {
	t.Helper()
	spec := operator.Spec.Template.Spec
	manager := spec.Containers[0]
	checks := map[string]bool{
		"pod securityContext merged over the restricted default": spec.SecurityContext.RunAsUser != nil &&
			*spec.SecurityContext.RunAsUser == 65532 && *spec.SecurityContext.RunAsNonRoot,
		"container securityContext merged": manager.SecurityContext.RunAsGroup != nil &&
			*manager.SecurityContext.ReadOnlyRootFilesystem,
		"extra volume":         slices.ContainsFunc(spec.Volumes, func(v corev1.Volume) bool { return v.Name == "tmp" && v.EmptyDir != nil }),
		"metrics secure":       slices.Contains(manager.Args, "--metrics-secure=true"),
		"spread over zones":    len(spec.TopologySpreadConstraints) == 1 && spec.TopologySpreadConstraints[0].LabelSelector != nil,
		"image pull secret":    len(spec.ImagePullSecrets) == 1,
		"priority class":       spec.PriorityClassName == "system-cluster-critical",
		"node selector":        spec.NodeSelector["kubernetes.io/os"] == "linux",
		"tolerations":          len(spec.Tolerations) == 1,
		"pod labels":           operator.Spec.Template.Labels["team"] == "billing",
		"one PrometheusRule":   len(onlyKindAtLeast(objs, "PrometheusRule")) == 1,
		"one ServiceMonitor":   len(onlyKindAtLeast(objs, "ServiceMonitor")) == 1,
		"dashboard ConfigMap":  len(onlyKindAtLeast(objs, "ConfigMap")) == 1,
		"metrics auth roles":   hasClusterRoleWith(t, objs, "tokenreviews") && hasClusterRoleWith(t, objs, "/metrics"),
		"edit/view aggregated": aggregated(objs, "aggregate-to-edit") && aggregated(objs, "aggregate-to-view"),
	}
	for name, ok := range checks {
		if !ok {
			t.Errorf("option not applied: %s", name)
		}
	}
	assertIngressTLS(t, objs, "hooks.example.com", "hooks-tls")
	for _, crd := range onlyKind(t, objs, "CustomResourceDefinition", crdCount) {
		a := crd.GetAnnotations()
		if a["helm.sh/resource-policy"] != "keep" || !strings.Contains(a["argocd.argoproj.io/sync-options"], "Prune=false") {
			t.Errorf("CRD %s annotations %v lack keep and the extra annotations", crd.GetName(), a)
		}
	}
}

// assertIngressTLS: one Ingress, whose TLS covers host with secret.
func assertIngressTLS(t *testing.T, objs []unstructured.Unstructured, host, secret string) {
	t.Helper()
	ing := convert[networkingv1.Ingress](t, onlyKind(t, objs, "Ingress", 1)[0])
	if len(ing.Spec.TLS) != 1 || !slices.Equal(ing.Spec.TLS[0].Hosts, []string{host}) || ing.Spec.TLS[0].SecretName != secret {
		t.Errorf("Ingress TLS = %+v, want host %s with Secret %s", ing.Spec.TLS, host, secret)
	}
	if ing.Spec.Rules[0].Host != host {
		t.Errorf("Ingress host = %s, want %s", ing.Spec.Rules[0].Host, host)
	}
}

func hasClusterRoleWith(t *testing.T, objs []unstructured.Unstructured, resourceOrURL string) bool {
	t.Helper()
	for _, obj := range onlyKindAtLeast(objs, "ClusterRole") {
		for _, r := range convert[rbacv1.ClusterRole](t, obj).Rules {
			if slices.Contains(r.Resources, resourceOrURL) || slices.Contains(r.NonResourceURLs, resourceOrURL) {
				return true
			}
		}
	}
	return false
}

func aggregated(objs []unstructured.Unstructured, label string) bool {
	for _, obj := range onlyKindAtLeast(objs, "ClusterRole") {
		if obj.GetLabels()["rbac.authorization.k8s.io/"+label] == "true" {
			return true
		}
	}
	return false
}

// TestHelmIngressHasTLSByDefault: Dodo calls HTTPS URLs only, so enabling the Ingress gives
// it TLS for its host unless turned off.
func TestHelmIngressHasTLSByDefault(t *testing.T) {
	objs := parseDocs(t, helmTemplate(t, "webhookReceiver.ingress.enabled=true"))
	assertIngressTLS(t, objs, "webhooks.example.com", "dodo-operator-webhooks-tls")
	objs = parseDocs(t, helmTemplate(t, "webhookReceiver.ingress.enabled=true",
		"webhookReceiver.ingress.tls.enabled=false"))
	if ing := convert[networkingv1.Ingress](t, onlyKind(t, objs, "Ingress", 1)[0]); len(ing.Spec.TLS) != 0 {
		t.Errorf("tls.enabled=false still renders TLS %+v", ing.Spec.TLS)
	}
}

// TestHelmReplicasAddPDBAndSpread: a PodDisruptionBudget and a spread over nodes appear with
// more than one replica only (with one, minAvailable 1 would block every drain).
func TestHelmReplicasAddPDBAndSpread(t *testing.T) {
	one := parseDocs(t, helmTemplate(t))
	onlyKind(t, one, "PodDisruptionBudget", 0)
	if n := len(deployment(t, one).Spec.Template.Spec.TopologySpreadConstraints); n != 0 {
		t.Errorf("one replica has %d spread constraints", n)
	}
	two := parseDocs(t, helmTemplate(t, "replicaCount=2"))
	onlyKind(t, two, "PodDisruptionBudget", 1)
	tsc := deployment(t, two).Spec.Template.Spec.TopologySpreadConstraints
	if len(tsc) != 1 || tsc[0].TopologyKey != "kubernetes.io/hostname" || tsc[0].WhenUnsatisfiable != corev1.ScheduleAnyway {
		t.Errorf("two replicas: spread constraints %+v, want one over hostnames, ScheduleAnyway", tsc)
	}
}

// TestHelmPlainMetricsOnlyWhenAsked: metrics.secure=false serves plain HTTP, drops the
// metrics-auth RBAC and scrapes over HTTP.
func TestHelmPlainMetricsOnlyWhenAsked(t *testing.T) {
	objs := parseDocs(t, helmTemplate(t, "metrics.secure=false", "serviceMonitor.enabled=true"))
	if !slices.Contains(deployment(t, objs).Spec.Template.Spec.Containers[0].Args, "--metrics-secure=false") {
		t.Error("metrics.secure=false does not reach the manager's flags")
	}
	if hasClusterRoleWith(t, objs, "tokenreviews") {
		t.Error("plain metrics still render the metrics-auth ClusterRole")
	}
	monitor := onlyKind(t, objs, "ServiceMonitor", 1)[0]
	endpoints, _, _ := unstructured.NestedSlice(monitor.Object, "spec", "endpoints")
	for _, e := range endpoints {
		if scheme, _ := e.(map[string]any)["scheme"].(string); scheme == "https" {
			t.Errorf("plain metrics scraped over https: %v", e)
		}
	}
}
