package packagingtest

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// helmNamespace is where the chart is rendered for the tests.
const helmNamespace = "dodo-helm"

func TestHelmTemplateDefaultsRenderAndApply(t *testing.T) {
	manifests := helmTemplate(t)
	objs := parseDocs(t, manifests)
	deploy := assertInstall(t, manifests, objs)
	assertServiceTargets(t, objs, deploy)
	onlyKind(t, objs, "CustomResourceDefinition", crdCount)
	onlyKind(t, objs, "Ingress", 0)
	onlyKind(t, objs, "ServiceMonitor", 0)
	if got := envValue(deploy.Spec.Template.Spec.Containers[0], "DODO_PAYMENTS_ENVIRONMENT"); got != "test_mode" {
		t.Errorf("default API mode = %q, want test_mode", got)
	}
	createNamespace(t, helmNamespace)
	serverDryRunApply(t, manifests)
}

// TestHelmTemplateEveryOptionRendersAndApplies turns on every optional object and value.
// The ServiceMonitor is checked but not applied: the test API server has no Prometheus
// Operator CRDs.
func TestHelmTemplateEveryOptionRendersAndApplies(t *testing.T) {
	manifests := helmTemplate(t,
		"replicaCount=2",
		"image.repository=registry.example.com/dodo-operator", "image.tag=v9.9.9",
		"dodo.baseURL=http://dodo-simulator.dodo-helm.svc:8090",
		"dodo.apiKeySecret.name=my-api-key", "webhookReceiver.secret.name=my-whsec",
		"webhookReceiver.previousSecret.name=my-old-whsec",
		"webhookReceiver.ingress.enabled=true", "webhookReceiver.ingress.className=nginx",
		"webhookReceiver.ingress.host=hooks.example.com",
		"serviceMonitor.enabled=true",
		"manager.extraArgs={--resync-interval=30m}", "webhookReceiver.extraArgs={--v=1}",
		"manager.resources.limits.memory=512Mi",
	)
	objs := parseDocs(t, manifests)
	deploy := assertInstall(t, manifests, objs)
	assertServiceTargets(t, objs, deploy)
	onlyKind(t, objs, "Ingress", 1)
	onlyKind(t, objs, "ServiceMonitor", 1)
	spec := deploy.Spec.Template.Spec
	manager, receiver := spec.Containers[0], spec.Containers[1]
	hasPrefix := func(args []string, prefix string) bool {
		return slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, prefix) })
	}
	rendered := string(manifests)
	checks := map[string]bool{
		"replicas 2":           *deploy.Spec.Replicas == 2,
		"image":                manager.Image == "registry.example.com/dodo-operator:v9.9.9" && receiver.Image == manager.Image,
		"base URL":             envValue(manager, "DODO_PAYMENTS_BASE_URL") == "http://dodo-simulator.dodo-helm.svc:8090",
		"no mode with baseURL": envValue(manager, "DODO_PAYMENTS_ENVIRONMENT") == "",
		"manager extra args":   slices.Contains(manager.Args, "--resync-interval=30m"),
		"receiver extra args":  slices.Contains(receiver.Args, "--v=1"),
		"previous webhook key": hasPrefix(receiver.Args, "--previous-webhook-key-file="),
		"memory limit":         manager.Resources.Limits.Memory().String() == "512Mi",
		"secret names":         strings.Contains(rendered, "secretName: my-api-key") && strings.Contains(rendered, "secretName: my-whsec"),
	}
	for name, ok := range checks {
		if !ok {
			t.Errorf("value not applied: %s", name)
		}
	}
	createNamespace(t, helmNamespace)
	serverDryRunApply(t, render(t, withoutKinds(objs, "ServiceMonitor")))
}

// TestHelmRefusesBadSettings: settings that would lose money or silently run against live
// mode fail the render. (Empty Secret names are an accounts-only install:
// TestHelmAccountsOnlyInstall.)
func TestHelmRefusesBadSettings(t *testing.T) {
	for name, set := range map[string][]string{
		"unknown mode":                   {"dodo.environment=production"},
		"two replicas without election":  {"replicaCount=2", "manager.leaderElect=false"},
		"existing service account unset": {"serviceAccount.create=false"},
	} {
		args := make([]string, 0, 3+2*len(set))
		args = append(args, "template", "dodo-operator", filepath.Join(root, "charts", "dodo-operator"))
		for _, s := range set {
			args = append(args, "--set", s)
		}
		if _, err := runErr(nil, helmPath(), args...); err == nil {
			t.Errorf("%s: helm template succeeded, want an error", name)
		}
	}
}

func TestHelmLintPasses(t *testing.T) {
	out := run(t, nil, helmPath(), "lint", "--strict", filepath.Join(root, "charts", "dodo-operator"))
	if !strings.Contains(string(out), "0 chart(s) failed") {
		t.Errorf("helm lint output:\n%s", out)
	}
}

// TestChartCarriesGeneratedRBAC: the chart's manager ClusterRole is config/rbac/role.yaml,
// generated from the controllers' RBAC markers. `make manifests` copies it.
func TestChartCarriesGeneratedRBAC(t *testing.T) {
	generated, err := os.ReadFile(filepath.Join(root, "config", "rbac", "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	chart, err := os.ReadFile(filepath.Join(root, "charts", "dodo-operator", "files", "manager-role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(generated, chart) {
		t.Fatal("charts/dodo-operator/files/manager-role.yaml differs from config/rbac/role.yaml: run `make manifests`")
	}
}

// TestChartCRDsAreTheGeneratedOnes: `make manifests` copies the CRDs into the chart's files/,
// which templates/crds.yaml renders.
func TestChartCRDsAreTheGeneratedOnes(t *testing.T) {
	bases, err := filepath.Glob(filepath.Join(root, "config", "crd", "bases", "*.yaml"))
	if err != nil || len(bases) != crdCount {
		t.Fatalf("want the %d generated CRDs, found %v (%v)", crdCount, bases, err)
	}
	for _, base := range bases {
		want, _ := os.ReadFile(base)
		got, err := os.ReadFile(filepath.Join(root, "charts", "dodo-operator", "files", "crds", filepath.Base(base)))
		if err != nil || !bytes.Equal(want, got) {
			t.Errorf("chart CRD %s is missing or stale: run `make manifests`", filepath.Base(base))
		}
	}
}
