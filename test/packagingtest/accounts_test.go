package packagingtest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// crdCount is the number of CRDs: Subscription, OnDemandCharge, DodoAccount and
// ClusterDodoAccount.
const crdCount = 4

const billingGroup = "billing.dodo-operator.io"

// access is one request a subject may or may not make; namespace "" is cluster scope.
type access struct {
	namespace, group, resource, subresource, verb string
}

func (a access) attrs() authorizationv1.ResourceAttributes {
	return authorizationv1.ResourceAttributes{Namespace: a.namespace, Group: a.group, Resource: a.resource,
		Subresource: a.subresource, Verb: a.verb}
}

func (a access) String() string {
	res := a.resource
	if a.subresource != "" {
		res += "/" + a.subresource
	}
	where := "cluster-wide"
	if a.namespace != "" {
		where = "in " + a.namespace
	}
	return a.verb + " " + res + " " + where
}

// assertAccess asks the API server's authorizer about each access of u.
func assertAccess(t *testing.T, who string, u saUser, may, mayNot []access) {
	t.Helper()
	for _, a := range may {
		if !allowed(t, u, a.attrs()) {
			t.Errorf("%s cannot %s; it needs to", who, a)
		}
	}
	for _, a := range mayNot {
		if allowed(t, u, a.attrs()) {
			t.Errorf("%s can %s; it must not", who, a)
		}
	}
}

// userAccount is a person (not a ServiceAccount) for SubjectAccessReviews.
func userAccount(name string) saUser {
	return saUser{name: name, groups: []string{"system:authenticated"}}
}

// applyRBACOnly applies the install's RBAC objects for real (the namespaces of namespaced
// ones must exist).
func applyRBACOnly(t *testing.T, objs []unstructured.Unstructured) {
	t.Helper()
	var rbac []unstructured.Unstructured
	for _, obj := range objs {
		if rbacKinds[obj.GetKind()] {
			rbac = append(rbac, obj)
		}
	}
	apply(t, render(t, rbac))
}

// bindUser binds a person to a ClusterRole cluster-wide (as a platform team grants the
// billing roles to a GitOps tool).
func bindUser(t *testing.T, user, clusterRole string) {
	t.Helper()
	b := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "packagingtest-" + user},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: clusterRole},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: "User", Name: user}},
	}
	ctx := context.Background()
	if err := env.Client.Delete(ctx, b); err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	if err := env.Client.Create(ctx, b); err != nil {
		t.Fatal(err)
	}
}

// assertUserRoles: the editor manages Subscriptions, OnDemandCharges and DodoAccounts and
// only reads ClusterDodoAccounts (one names Secrets in any namespace: cluster admins only);
// the viewer reads all four kinds; neither writes status or reads Secrets.
func assertUserRoles(t *testing.T, objs []unstructured.Unstructured, editorRole, viewerRole string) {
	t.Helper()
	var roles []unstructured.Unstructured
	for _, obj := range objs {
		if obj.GetKind() == "ClusterRole" && (obj.GetName() == editorRole || obj.GetName() == viewerRole) {
			roles = append(roles, obj)
		}
	}
	if len(roles) != 2 {
		t.Fatalf("want the ClusterRoles %s and %s, rendered %d of them", editorRole, viewerRole, len(roles))
	}
	apply(t, render(t, roles))
	editor, viewer := "billing-editor-"+editorRole, "billing-viewer-"+viewerRole
	bindUser(t, editor, editorRole)
	bindUser(t, viewer, viewerRole)
	const ns = "tenant-a"
	assertAccess(t, "the billing editor", userAccount(editor),
		[]access{
			{ns, billingGroup, "dodoaccounts", "", "create"}, {ns, billingGroup, "dodoaccounts", "", "update"},
			{ns, billingGroup, "dodoaccounts", "", "delete"}, {ns, billingGroup, "subscriptions", "", "create"},
			{ns, billingGroup, "ondemandcharges", "", "create"}, {ns, billingGroup, "dodoaccounts", "status", "get"},
			{"", billingGroup, "clusterdodoaccounts", "", "list"}, {"", billingGroup, "clusterdodoaccounts", "", "watch"},
			{"", billingGroup, "clusterdodoaccounts", "status", "get"},
		},
		[]access{
			{"", billingGroup, "clusterdodoaccounts", "", "create"}, {"", billingGroup, "clusterdodoaccounts", "", "update"},
			{"", billingGroup, "clusterdodoaccounts", "", "patch"}, {"", billingGroup, "clusterdodoaccounts", "", "delete"},
			{ns, billingGroup, "dodoaccounts", "status", "update"}, {ns, billingGroup, "subscriptions", "status", "patch"},
			{ns, "", "secrets", "", "get"},
		})
	assertAccess(t, "the billing viewer", userAccount(viewer),
		[]access{
			{ns, billingGroup, "dodoaccounts", "", "get"}, {ns, billingGroup, "dodoaccounts", "", "list"},
			{"", billingGroup, "clusterdodoaccounts", "", "get"}, {"", billingGroup, "clusterdodoaccounts", "", "watch"},
			{ns, billingGroup, "subscriptions", "", "list"}, {ns, billingGroup, "ondemandcharges", "", "watch"},
		},
		[]access{
			{ns, billingGroup, "dodoaccounts", "", "create"}, {ns, billingGroup, "dodoaccounts", "", "patch"},
			{"", billingGroup, "clusterdodoaccounts", "", "create"}, {ns, billingGroup, "subscriptions", "", "update"},
			{ns, "", "secrets", "", "get"},
		})
}

func TestHelmUserRolesCoverAccounts(t *testing.T) {
	assertUserRoles(t, parseDocs(t, helmTemplate(t)), "dodo-operator-billing-editor", "dodo-operator-billing-viewer")
}

func TestKustomizeUserRolesCoverAccounts(t *testing.T) {
	assertUserRoles(t, parseDocs(t, kustomize(t, "config/default")), "dodo-operator-billing-editor-role",
		"dodo-operator-billing-viewer-role")
}

// TestIngressRoutesAccountPaths: the accounts' webhook paths (/dodo/webhooks/namespaces/
// <ns>/<name>, /dodo/webhooks/cluster/<name>) are below /dodo/webhooks, so the Ingress
// matches it as a prefix, in the chart and in the kustomize component.
func TestIngressRoutesAccountPaths(t *testing.T) {
	for name, objs := range map[string][]unstructured.Unstructured{
		"helm":      parseDocs(t, helmTemplate(t, "webhookReceiver.ingress.enabled=true")),
		"kustomize": parseDocs(t, kustomize(t, "config/overlays/webhook-ingress")),
	} {
		ing := convert[networkingv1.Ingress](t, onlyKind(t, objs, "Ingress", 1)[0])
		p := ing.Spec.Rules[0].HTTP.Paths[0]
		if p.Path != "/dodo/webhooks" || p.PathType == nil || *p.PathType != networkingv1.PathTypePrefix {
			t.Errorf("%s: Ingress path %s (%v), want /dodo/webhooks as a Prefix", name, p.Path, p.PathType)
		}
	}
}

// TestLocalRunSecondAccountApplies: the local run's second account and its Subscription
// (hack/run-local-second-account.yaml, with the second simulator's URL filled in) are
// accepted by the API server, like the samples.
func TestLocalRunSecondAccountApplies(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, "hack", "run-local-second-account.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	manifests := []byte(strings.ReplaceAll(string(data), "$SIM2", "http://127.0.0.1:8091"))
	objs := parseDocs(t, manifests)
	onlyKind(t, objs, "DodoAccount", 1)
	sub := onlyKind(t, objs, "Subscription", 1)[0]
	if kind, _, _ := unstructured.NestedString(sub.Object, "spec", "accountRef", "kind"); kind != "DodoAccount" {
		t.Errorf("the second account's Subscription has accountRef kind %q, want DodoAccount", kind)
	}
	serverDryRunApply(t, manifests)
}

// TestHelmAccountsOnlyInstall: with no Secret of the operator's own (dodo.apiKeySecret.name
// and webhookReceiver.secret.name empty) nothing mounts or names one: the operator serves
// only objects with accountRef and the receiver only the accounts' paths.
func TestHelmAccountsOnlyInstall(t *testing.T) {
	objs := parseDocs(t, helmTemplate(t, "dodo.apiKeySecret.name=", "webhookReceiver.secret.name="))
	spec := deployment(t, objs).Spec.Template.Spec
	for _, v := range spec.Volumes {
		if v.Secret != nil {
			t.Errorf("Secret volume %s (%s) rendered without a Secret of the operator's own", v.Name, v.Secret.SecretName)
		}
	}
	for _, c := range spec.Containers {
		if file := envValue(c, "DODO_PAYMENTS_API_KEY_FILE"); file != "" {
			t.Errorf("%s: DODO_PAYMENTS_API_KEY_FILE=%s without an API key Secret", c.Name, file)
		}
		for _, a := range c.Args {
			if strings.HasPrefix(a, "--webhook-key-file") {
				t.Errorf("%s: %s without a webhook Secret", c.Name, a)
			}
		}
		if len(c.VolumeMounts) != 0 {
			t.Errorf("%s mounts %v", c.Name, c.VolumeMounts)
		}
	}
}
