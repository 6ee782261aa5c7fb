package packagingtest

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// clusterScoped are the base resources of the generated role that are not namespaced.
var clusterScoped = map[string]bool{"namespaces": true, "clusterdodoaccounts": true}

// unwatched is a namespace no scoped install watches.
const unwatched = "tenant-z"

// helmTemplateRelease renders the chart as another release than the other tests', so that
// its cluster-scoped RBAC (applied for real) does not mix with theirs.
func helmTemplateRelease(t *testing.T, release, namespace string, set ...string) []byte {
	t.Helper()
	args := make([]string, 0, 5+2*len(set))
	args = append(args, "template", release, filepath.Join(root, "charts", "dodo-operator"), "--namespace", namespace)
	for _, s := range set {
		args = append(args, "--set", s)
	}
	return run(t, nil, helmPath(), args...)
}

// generatedRules are the manager's rules as `make manifests` generates them.
func generatedRules(t *testing.T) []rbacv1.PolicyRule {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "config", "rbac", "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	role := &rbacv1.ClusterRole{}
	if err := yaml.Unmarshal(data, role); err != nil {
		t.Fatal(err)
	}
	if len(role.Rules) == 0 {
		t.Fatal("config/rbac/role.yaml has no rules")
	}
	return role.Rules
}

// scopedManagerAccess is what a manager watching namespaces must be able to do: every
// generated rule, cluster-wide for cluster-scoped resources and in each watched namespace
// for the others; and what it must not: its namespaced rights in an unwatched namespace
// (only those the receiver's cluster-wide role does not also give a sidecar), and listing
// or watching Secrets anywhere.
func scopedManagerAccess(t *testing.T, watched []string) (may, mayNot []access) {
	t.Helper()
	for _, rule := range generatedRules(t) {
		for _, group := range rule.APIGroups {
			for _, res := range rule.Resources {
				base, sub, _ := strings.Cut(res, "/")
				for _, verb := range rule.Verbs {
					if clusterScoped[base] {
						may = append(may, access{"", group, base, sub, verb})
						continue
					}
					for _, ns := range watched {
						may = append(may, access{ns, group, base, sub, verb})
					}
				}
			}
		}
	}
	mayNot = make([]access, 0, 11+2*(2+len(watched)))
	mayNot = append(mayNot,
		access{unwatched, "", "secrets", "", "get"}, access{unwatched, "", "secrets", "", "create"},
		access{unwatched, "", "secrets", "", "update"},
		access{unwatched, billingGroup, "subscriptions", "", "patch"}, access{unwatched, billingGroup, "subscriptions", "", "update"},
		access{unwatched, billingGroup, "subscriptions", "finalizers", "update"},
		access{unwatched, billingGroup, "ondemandcharges", "", "update"},
		access{unwatched, billingGroup, "ondemandcharges", "finalizers", "update"},
		access{unwatched, billingGroup, "dodoaccounts", "", "update"},
		access{unwatched, billingGroup, "dodoaccounts", "finalizers", "update"},
		access{"", "", "secrets", "", "get"},
	)
	for _, ns := range append([]string{unwatched, ""}, watched...) {
		mayNot = append(mayNot, access{ns, "", "secrets", "", "list"}, access{ns, "", "secrets", "", "watch"})
	}
	return may, mayNot
}

// assertNoClusterWideSecrets: no ClusterRoleBinding of the ServiceAccount binds a role that
// grants anything on Secrets.
func assertNoClusterWideSecrets(t *testing.T, objs []unstructured.Unstructured, namespace, sa string) {
	t.Helper()
	roles := map[string]*rbacv1.ClusterRole{}
	for _, obj := range onlyKindAtLeast(objs, "ClusterRole") {
		roles[obj.GetName()] = convert[rbacv1.ClusterRole](t, obj)
	}
	for _, obj := range onlyKindAtLeast(objs, "ClusterRoleBinding") {
		b := convert[rbacv1.ClusterRoleBinding](t, obj)
		if !slices.ContainsFunc(b.Subjects, func(s rbacv1.Subject) bool {
			return s.Kind == "ServiceAccount" && s.Name == sa && s.Namespace == namespace
		}) {
			continue
		}
		role, ok := roles[b.RoleRef.Name]
		if !ok {
			t.Errorf("ClusterRoleBinding %s binds ClusterRole %s, which the install does not render", b.Name, b.RoleRef.Name)
			continue
		}
		for _, rule := range role.Rules {
			if slices.Contains(rule.Resources, "secrets") || slices.Contains(rule.Resources, "*") {
				t.Errorf("ClusterRoleBinding %s grants %s/%s %v cluster-wide to %s", b.Name, b.RoleRef.Name,
					strings.Join(rule.Resources, ","), rule.Verbs, sa)
			}
		}
	}
}

func assertWatchFlag(t *testing.T, manager []string, want string) {
	t.Helper()
	if !slices.Contains(manager, "--watch-namespaces="+want) {
		t.Errorf("manager args %v lack --watch-namespaces=%s", manager, want)
	}
}

// TestHelmWatchNamespaces: with watchNamespaces the manager and the receiver get --watch-namespaces, a Role
// in each watched namespace for everything namespaced (Secrets with get, create and update,
// never list or watch), a ClusterRole for ClusterDodoAccounts and Namespaces only, and a
// Role for Events in default (where Kubernetes puts a cluster-scoped object's Events). The
// API server's authorizer is asked, after the RBAC is applied for real.
func TestHelmWatchNamespaces(t *testing.T) {
	const ns = "dodo-helm-scoped"
	watched := []string{"shop-test", "shop-live"}
	manifests := helmTemplateRelease(t, "scoped", ns, "watchNamespaces={"+strings.Join(watched, ",")+"}")
	objs := parseDocs(t, manifests)
	deploy := assertInstall(t, manifests, objs)
	// Both processes watch only these namespaces: the receiver then never changes an
	// object outside them, whatever a delivery names.
	for _, c := range deploy.Spec.Template.Spec.Containers {
		assertWatchFlag(t, c.Args, strings.Join(watched, ","))
	}
	roles := map[string]bool{}
	for _, obj := range onlyKindAtLeast(objs, "Role") {
		roles[obj.GetNamespace()+"/"+obj.GetName()] = true
	}
	for _, want := range []string{"shop-test/scoped-dodo-operator-manager", "shop-live/scoped-dodo-operator-manager",
		"default/scoped-dodo-operator-manager-cluster-events", ns + "/scoped-dodo-operator-leader-election"} {
		if !roles[want] {
			t.Errorf("no Role %s; rendered %v", want, roles)
		}
	}
	sa := deploy.Spec.Template.Spec.ServiceAccountName
	assertNoClusterWideSecrets(t, objs, ns, sa)
	for _, n := range append([]string{ns}, watched...) {
		createNamespace(t, n)
	}
	serverDryRunApply(t, manifests)
	applyRBACOnly(t, objs)
	may, mayNot := scopedManagerAccess(t, watched)
	may = append(may, access{"default", "events.k8s.io", "events", "", "create"})
	assertAccess(t, "the scoped operator", serviceAccountUser(ns, sa), may, mayNot)

	// watchNamespaces containing default: no extra Role for the cluster-scoped Events.
	for _, obj := range onlyKindAtLeast(parseDocs(t, helmTemplateRelease(t, "scoped", ns, "watchNamespaces={default}")), "Role") {
		if strings.HasSuffix(obj.GetName(), "-cluster-events") {
			t.Errorf("watchNamespaces={default} still renders Role %s", obj.GetName())
		}
	}
}

// TestHelmWatchNamespacesSeparateReceiver: the receiver's own ServiceAccount reads the
// accounts' webhook Secrets only in the watched namespaces, with get only, and still cannot
// write a spec.
func TestHelmWatchNamespacesSeparateReceiver(t *testing.T) {
	const ns = "dodo-helm-scoped-separate"
	manifests := helmTemplateRelease(t, "scopedsep", ns, "watchNamespaces={shop-test}",
		"webhookReceiver.separateDeployment.enabled=true", "networkPolicy.enabled=true")
	objs := parseDocs(t, manifests)
	in := assertSeparateInstall(t, manifests, objs)
	assertWatchFlag(t, in.operator.Spec.Template.Spec.Containers[0].Args, "shop-test")
	receiverSA := in.receiver.Spec.Template.Spec.ServiceAccountName
	assertNoClusterWideSecrets(t, objs, ns, receiverSA)
	assertNoClusterWideSecrets(t, objs, ns, in.operator.Spec.Template.Spec.ServiceAccountName)
	createNamespace(t, ns)
	createNamespace(t, "shop-test")
	applyRBACOnly(t, objs)
	assertAccess(t, "the separate receiver", serviceAccountUser(ns, receiverSA),
		[]access{
			{"shop-test", "", "secrets", "", "get"},
			{unwatched, billingGroup, "dodoaccounts", "", "watch"}, {"", billingGroup, "clusterdodoaccounts", "", "watch"},
			{"shop-test", billingGroup, "dodoaccounts", "status", "patch"},
			{"", billingGroup, "clusterdodoaccounts", "status", "patch"},
		},
		[]access{
			{unwatched, "", "secrets", "", "get"}, {"shop-test", "", "secrets", "", "list"},
			{"shop-test", "", "secrets", "", "watch"}, {"shop-test", "", "secrets", "", "create"},
			{"shop-test", billingGroup, "dodoaccounts", "", "patch"},
			{"", billingGroup, "clusterdodoaccounts", "", "update"},
		})
}

// TestKustomizeWatchNamespacesOverlay: config/overlays/watch-namespaces (the component
// config/components/watch-namespaces) gives the same scope as the chart: the generated
// manager-role through a RoleBinding in each watched namespace, its cluster-scoped part
// (hand-copied into the component; this test fails when role.yaml grows a cluster-scoped
// rule the copy lacks) cluster-wide, the receiver's Secrets per namespace.
func TestKustomizeWatchNamespacesOverlay(t *testing.T) {
	manifests := kustomize(t, "config/overlays/watch-namespaces")
	objs := parseDocs(t, manifests)
	deploy := assertInstall(t, manifests, objs)
	watched := []string{"tenant-a", "tenant-b"}
	assertWatchFlag(t, deploy.Spec.Template.Spec.Containers[0].Args, strings.Join(watched, ","))
	sa := deploy.Spec.Template.Spec.ServiceAccountName
	assertNoClusterWideSecrets(t, objs, deploy.Namespace, sa)
	bindings := map[string]bool{}
	for _, obj := range onlyKindAtLeast(objs, "RoleBinding") {
		bindings[obj.GetNamespace()+"/"+obj.GetName()] = true
	}
	for _, ns := range watched {
		for _, name := range []string{"dodo-operator-manager-rolebinding", "dodo-operator-webhook-receiver-secrets-rolebinding"} {
			if !bindings[ns+"/"+name] {
				t.Errorf("no RoleBinding %s/%s (has the overlay's namespace transformer moved it?); rendered %v", ns, name, bindings)
			}
		}
	}
	for _, n := range append([]string{kustomizeNamespace}, watched...) {
		createNamespace(t, n)
	}
	serverDryRunApply(t, manifests)
	// The default install's cluster-wide binding (applied by other tests, or by an install
	// being switched to watched namespaces: kubectl apply without --prune leaves it).
	stale := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "dodo-operator-manager-rolebinding"}}
	if err := env.Client.Delete(context.Background(), stale); err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	applyRBACOnly(t, objs)
	may, mayNot := scopedManagerAccess(t, watched)
	may = append(may, access{"default", "events.k8s.io", "events", "", "create"})
	assertAccess(t, "the scoped operator", serviceAccountUser(deploy.Namespace, sa), may, mayNot)
}
