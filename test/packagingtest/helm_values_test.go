package packagingtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// TestHelmSchemaRefusesUnknownAndMistypedValues: values.schema.json refuses misspelt keys,
// the README's old value path and a string where a number belongs, each of which used to
// render silently.
func TestHelmSchemaRefusesUnknownAndMistypedValues(t *testing.T) {
	chart := filepath.Join(root, "charts", "dodo-operator")
	for name, args := range map[string][]string{
		"misspelt key":          {"--set", "replicaCont=3"},
		"old ingress path":      {"--set", "webhook.ingress.enabled=true"},
		"string replicas":       {"--set-string", "replicaCount=two"},
		"nested unknown key":    {"--set", "webhookReceiver.ingress.tls.secret=x"},
		"unknown pull policy":   {"--set", "image.pullPolicy=Sometimes"},
		"port out of range":     {"--set", "webhookReceiver.port=0"},
		"receiver replicas str": {"--set-string", "webhookReceiver.separateDeployment.replicaCount=two"},
		"watch namespaces text": {"--set", "watchNamespaces=shop-test"},
		"watch namespace name":  {"--set", "watchNamespaces={Shop_Test}"},
		"watch namespace twice": {"--set", "watchNamespaces={shop-test,shop-test}"},
	} {
		out, err := runErr(nil, helmPath(), append([]string{"template", "dodo-operator", chart}, args...)...)
		if err == nil {
			t.Errorf("%s: helm template %v succeeded, want the schema to refuse it:\n%.300s", name, args, out)
		} else if !strings.Contains(err.Error(), "schema") {
			t.Errorf("%s: refused, but not by the schema: %v", name, err)
		}
	}
}

// TestHelmRenderedCRDsAreTheGeneratedOnes: the CRDs rendered from templates carry the
// generated schema unchanged (the YAML round trip through fromYaml/toYaml loses nothing),
// plus the chart's labels and, by default, helm.sh/resource-policy: keep.
func TestHelmRenderedCRDsAreTheGeneratedOnes(t *testing.T) {
	rendered := map[string]unstructured.Unstructured{}
	for _, crd := range onlyKind(t, parseDocs(t, helmTemplate(t)), "CustomResourceDefinition", crdCount) {
		rendered[crd.GetName()] = crd
	}
	bases, err := filepath.Glob(filepath.Join(root, "charts", "dodo-operator", "files", "crds", "*.yaml"))
	if err != nil || len(bases) != crdCount {
		t.Fatalf("want %d CRDs in the chart's files/crds, found %v (%v)", crdCount, bases, err)
	}
	for _, base := range bases {
		data, err := os.ReadFile(base)
		if err != nil {
			t.Fatal(err)
		}
		var want map[string]any
		if err := yaml.Unmarshal(data, &want); err != nil {
			t.Fatal(err)
		}
		name, _, _ := unstructured.NestedString(want, "metadata", "name")
		got, ok := rendered[name]
		if !ok {
			t.Errorf("CRD %s is not rendered", name)
			continue
		}
		if diff := cmp.Diff(want["spec"], got.Object["spec"]); diff != "" {
			t.Errorf("rendered CRD %s differs from %s (-want +got):\n%s", name, filepath.Base(base), diff)
		}
		if got.GetAnnotations()["helm.sh/resource-policy"] != "keep" {
			t.Errorf("CRD %s lacks helm.sh/resource-policy: keep by default", name)
		}
		if got.GetLabels()["app.kubernetes.io/managed-by"] != "Helm" {
			t.Errorf("CRD %s lacks the chart's labels: %v", name, got.GetLabels())
		}
	}
}

// TestHelmCRDOptions: crds.enabled=false leaves the CRDs to someone else; crds.keep=false lets
// an uninstall delete them.
func TestHelmCRDOptions(t *testing.T) {
	onlyKind(t, parseDocs(t, helmTemplate(t, "crds.enabled=false")), "CustomResourceDefinition", 0)
	for _, crd := range onlyKind(t, parseDocs(t, helmTemplate(t, "crds.keep=false")), "CustomResourceDefinition", crdCount) {
		if _, ok := crd.GetAnnotations()["helm.sh/resource-policy"]; ok {
			t.Errorf("crds.keep=false still annotates %s with a resource policy", crd.GetName())
		}
	}
}

// TestChartCarriesMonitoringFiles: the chart's alert rules and dashboard are the ones in
// config/ (the rules are the ones promtool tests); `make manifests` copies them.
func TestChartCarriesMonitoringFiles(t *testing.T) {
	for source, chartCopy := range map[string]string{
		"config/prometheus-rules/rules.yaml":          "charts/dodo-operator/files/prometheus-rules.yaml",
		"config/grafana/dodo-operator-dashboard.json": "charts/dodo-operator/files/grafana-dashboard.json",
	} {
		want, err := os.ReadFile(filepath.Join(root, source))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(root, chartCopy))
		if err != nil || string(got) != string(want) {
			t.Errorf("%s is missing or differs from %s: run `make manifests`", chartCopy, source)
		}
	}
}
