package argocdhealth

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	appv1 "github.com/argoproj/argo-cd/v3/pkg/apis/application/v1alpha1"
	"github.com/argoproj/argo-cd/v3/util/lua"
	"github.com/argoproj/gitops-engine/pkg/health"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// customizationsDir holds the checks in Argo CD's layout: <group>/<Kind>/health.lua,
// health_test.yaml and testdata/.
const customizationsDir = "../../config/argocd/resource_customizations"

// argocdCM is the argocd-cm snippet users apply.
const argocdCM = "../../config/argocd/argocd-cm.yaml"

// healthTestFile is Argo CD's health_test.yaml format.
type healthTestFile struct {
	Tests []struct {
		HealthStatus health.HealthStatus `json:"healthStatus"`
		InputPath    string              `json:"inputPath"`
	} `json:"tests"`
}

// wantStatuses are the health statuses each kind's check promises (accounts have no pause).
var wantStatuses = map[string][]health.HealthStatusCode{
	"billing.dodo-operator.io/Subscription": {health.HealthStatusHealthy, health.HealthStatusProgressing,
		health.HealthStatusDegraded, health.HealthStatusSuspended},
	"billing.dodo-operator.io/OnDemandCharge": {health.HealthStatusHealthy, health.HealthStatusProgressing,
		health.HealthStatusDegraded, health.HealthStatusSuspended},
	"billing.dodo-operator.io/DodoAccount": {health.HealthStatusHealthy, health.HealthStatusProgressing,
		health.HealthStatusDegraded},
	"billing.dodo-operator.io/ClusterDodoAccount": {health.HealthStatusHealthy, health.HealthStatusProgressing,
		health.HealthStatusDegraded},
}

// check is one health.lua with its directory and argocd-cm key.
type check struct {
	dir, key, script string
}

func findChecks(t *testing.T) []check {
	t.Helper()
	var checks []check
	err := filepath.WalkDir(customizationsDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "health.lua" {
			return err
		}
		script, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		dir := filepath.Dir(path)
		rel, err := filepath.Rel(customizationsDir, dir)
		if err != nil {
			return err
		}
		checks = append(checks, check{dir: dir, key: filepath.ToSlash(rel), script: string(script)})
		return nil
	})
	if err != nil {
		t.Fatalf("walking %s: %v", customizationsDir, err)
	}
	if len(checks) != len(wantStatuses) {
		t.Fatalf("want the checks of %d kinds (Subscription, OnDemandCharge, DodoAccount, ClusterDodoAccount), found %d",
			len(wantStatuses), len(checks))
	}
	return checks
}

func loadObject(t *testing.T, path string) *unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(data, &obj.Object); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return obj
}

// TestLuaHealthScript mirrors Argo CD's util/lua TestLuaHealthScript: for every check, every
// case of health_test.yaml must give exactly the expected status and message. The script is
// registered as an argocd-cm override (as users install it), so GetHealthScript resolves it
// and the VM runs it without Lua's standard libraries, as Argo CD does for argocd-cm scripts.
func TestLuaHealthScript(t *testing.T) {
	for _, c := range findChecks(t) {
		var tests healthTestFile
		data, err := os.ReadFile(filepath.Join(c.dir, "health_test.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(data, &tests); err != nil {
			t.Fatalf("%s/health_test.yaml: %v", c.key, err)
		}
		vm := lua.VM{ResourceOverrides: map[string]appv1.ResourceOverride{c.key: {HealthLua: c.script}}}
		for _, tc := range tests.Tests {
			t.Run(c.key+"/"+tc.InputPath, func(t *testing.T) {
				obj := loadObject(t, filepath.Join(c.dir, tc.InputPath))
				if got := lua.GetConfigMapKey(obj.GroupVersionKind()); got != c.key {
					t.Fatalf("testdata object is a %s, the check is for %s", got, c.key)
				}
				script, useOpenLibs, err := vm.GetHealthScript(obj)
				if err != nil || script != c.script || useOpenLibs {
					t.Fatalf("GetHealthScript did not resolve the argocd-cm script without open libs (err %v)", err)
				}
				got, err := vm.ExecuteHealthLua(obj, script)
				if err != nil {
					t.Fatalf("ExecuteHealthLua: %v", err)
				}
				if *got != tc.HealthStatus {
					t.Errorf("health = %+v\n want %+v", *got, tc.HealthStatus)
				}
			})
		}
		assertEveryInputTested(t, c, tests)
	}
}

// assertEveryInputTested fails on testdata files no test case uses.
func assertEveryInputTested(t *testing.T, c check, tests healthTestFile) {
	t.Helper()
	used := map[string]bool{}
	for _, tc := range tests.Tests {
		used[tc.InputPath] = true
	}
	files, err := filepath.Glob(filepath.Join(c.dir, "testdata", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !used["testdata/"+filepath.Base(f)] {
			t.Errorf("%s: testdata/%s is not used by health_test.yaml", c.key, filepath.Base(f))
		}
	}
}

// TestHealthCoversEveryStatus makes sure each check's tests exercise every health status the
// mapping promises, so a case cannot silently disappear.
func TestHealthCoversEveryStatus(t *testing.T) {
	want := wantStatuses
	for _, c := range findChecks(t) {
		var tests healthTestFile
		data, err := os.ReadFile(filepath.Join(c.dir, "health_test.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(data, &tests); err != nil {
			t.Fatal(err)
		}
		seen := map[health.HealthStatusCode]bool{}
		for _, tc := range tests.Tests {
			seen[tc.HealthStatus.Status] = true
		}
		for _, code := range want[c.key] {
			if !seen[code] {
				t.Errorf("%s: no test expects %s", c.key, code)
			}
		}
	}
}

// TestAccountKindsShareOneScript: DodoAccount and ClusterDodoAccount have the same status,
// so their checks are one script in two places; a change to one must reach the other.
func TestAccountKindsShareOneScript(t *testing.T) {
	scripts := map[string]string{}
	for _, c := range findChecks(t) {
		scripts[c.key] = c.script
	}
	if scripts["billing.dodo-operator.io/DodoAccount"] != scripts["billing.dodo-operator.io/ClusterDodoAccount"] {
		t.Error("DodoAccount/health.lua and ClusterDodoAccount/health.lua differ; copy one over the other")
	}
}

// TestArgoCDConfigMapMatchesScripts checks that argocd-cm.yaml holds each health.lua verbatim
// under resource.customizations.health.<group>_<Kind>, and nothing else under that prefix.
func TestArgoCDConfigMapMatchesScripts(t *testing.T) {
	cm := loadObject(t, argocdCM)
	if cm.GetKind() != "ConfigMap" || cm.GetName() != "argocd-cm" {
		t.Fatalf("%s is a %s named %q, want the ConfigMap argocd-cm", argocdCM, cm.GetKind(), cm.GetName())
	}
	data, _, err := unstructured.NestedStringMap(cm.Object, "data")
	if err != nil {
		t.Fatal(err)
	}
	checks := findChecks(t)
	wantKeys := make([]string, 0, len(checks))
	var gotKeys []string
	for _, c := range checks {
		key := "resource.customizations.health." + strings.Replace(c.key, "/", "_", 1)
		wantKeys = append(wantKeys, key)
		if data[key] != c.script {
			t.Errorf("%s: %s differs from %s/health.lua; copy the script into the snippet", argocdCM, key, c.key)
		}
	}
	for key := range data {
		if strings.HasPrefix(key, "resource.customizations.health.") {
			gotKeys = append(gotKeys, key)
		}
	}
	sort.Strings(wantKeys)
	sort.Strings(gotKeys)
	if strings.Join(gotKeys, ",") != strings.Join(wantKeys, ",") {
		t.Errorf("health keys in %s = %v, want %v", argocdCM, gotKeys, wantKeys)
	}
}
