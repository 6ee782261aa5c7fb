package account

import (
	"context"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/event"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/accounts"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

type epStatus = billingv1alpha1.WebhookEndpointStatus

func TestPlanEndpoint(t *testing.T) {
	const url = "https://h/a"
	tests := []struct {
		name      string
		want      string
		st        *epStatus
		finalizer bool
		step      endpointStep
	}{
		{"nothing wanted, nothing held", "", nil, false, stepNone},
		{"nothing wanted, endpoint held", "", &epStatus{ID: "e", URL: url}, true, stepRelease},
		{"nothing wanted, create in flight", "", &epStatus{URL: url, IdempotencyKey: "k"}, true, stepRelease},
		{"nothing wanted, only the finalizer", "", nil, true, stepRelease},
		{"wanted, nothing yet", url, nil, false, stepRegister},
		{"wanted, key stored", url, &epStatus{URL: url, IdempotencyKey: "k"}, true, stepRegister},
		{"wanted, registered", url, &epStatus{ID: "e", URL: url, CreatedByOperator: true}, true, stepSecret},
		{"wanted, adopted", url, &epStatus{ID: "e", URL: url}, false, stepSecret},
		{"URL changed", "https://h/b", &epStatus{ID: "e", URL: url, CreatedByOperator: true}, true, stepRelease},
		{"URL changed during a create", "https://h/b", &epStatus{URL: url, IdempotencyKey: "k"}, true, stepRelease},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := planEndpoint(tt.want, tt.st, tt.finalizer); got != tt.step {
				t.Errorf("step = %d, want %d", got, tt.step)
			}
		})
	}
}

func TestNeedsFinalizer(t *testing.T) {
	tests := []struct {
		st   *epStatus
		want bool
	}{
		{nil, false},
		{&epStatus{ID: "e", CreatedByOperator: true}, true},
		{&epStatus{IdempotencyKey: "k"}, true},
		{&epStatus{ID: "e"}, false},
		{&epStatus{ID: "e", IdempotencyKey: "k"}, false},
	}
	for _, tt := range tests {
		if got := needsFinalizer(tt.st); got != tt.want {
			t.Errorf("needsFinalizer(%+v) = %v", tt.st, got)
		}
	}
}

func TestMatchAndOwnedEndpoints(t *testing.T) {
	const uid = "uid-1"
	mine := map[string]string{metaUID: uid}
	listed := []dodo.WebhookEndpoint{
		{ID: "manual", URL: "https://h/a"},
		{ID: "old-mine", URL: "https://h/old", Metadata: mine},
		{ID: "mine", URL: "https://h/a", Metadata: mine},
		{ID: "other-account", URL: "https://h/b", Metadata: map[string]string{metaUID: "uid-2"}},
	}
	tests := []struct {
		name     string
		url      string
		wantID   string
		wantOurs bool
	}{
		{"own endpoint wins over a manual one with the URL", "https://h/a", "mine", true},
		{"another account's endpoint is adopted, not owned", "https://h/b", "other-account", false},
		{"no endpoint for the URL", "https://h/c", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			found, ours := matchEndpoint(listed, tt.url, uid)
			id := ""
			if found != nil {
				id = found.ID
			}
			if id != tt.wantID || ours != tt.wantOurs {
				t.Errorf("match = %q ours=%v, want %q ours=%v", id, ours, tt.wantID, tt.wantOurs)
			}
		})
	}
	owned := []struct {
		name string
		st   *epStatus
		want []string
	}{
		{"created: status ID and every listed own one", &epStatus{ID: "mine", CreatedByOperator: true}, []string{"mine", "old-mine"}},
		{"adopted: never the adopted ID", &epStatus{ID: "manual"}, []string{"old-mine", "mine"}},
		{"no status: the listed own ones", nil, []string{"old-mine", "mine"}},
	}
	for _, tt := range owned {
		t.Run(tt.name, func(t *testing.T) {
			if got := ownedEndpoints(tt.st, listed, uid); !slices.Equal(got, tt.want) {
				t.Errorf("owned = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestIdempotencyKeysDiffer(t *testing.T) {
	a, b := newIdempotencyKey("u"), newIdempotencyKey("u")
	if a == b || !strings.HasPrefix(a, "dodo-operator-u-") {
		t.Errorf("keys %q and %q", a, b)
	}
}

func TestDeletionStarted(t *testing.T) {
	now := metav1.Now()
	live, deleting := &billingv1alpha1.DodoAccount{}, &billingv1alpha1.DodoAccount{}
	deleting.DeletionTimestamp = &now
	if !deletionStarted(event.UpdateEvent{ObjectOld: live, ObjectNew: deleting}) ||
		deletionStarted(event.UpdateEvent{ObjectOld: deleting, ObjectNew: deleting}) ||
		deletionStarted(event.UpdateEvent{ObjectOld: live, ObjectNew: live}) {
		t.Error("only the start of a deletion passes")
	}
}

// TestClusterAccountAdmits: a ClusterDodoAccount admits the namespaces its selector
// matches (absent: none; empty: all); a DodoAccount only its own namespace.
func TestClusterAccountAdmits(t *testing.T) {
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = billingv1alpha1.AddToScheme(scheme)
	ns := func(name string, labels map[string]string) *corev1.Namespace {
		return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	}
	cluster := func(name string, sel *metav1.LabelSelector) *billingv1alpha1.ClusterDodoAccount {
		return &billingv1alpha1.ClusterDodoAccount{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: billingv1alpha1.ClusterDodoAccountSpec{SecretNamespace: "billing", NamespaceSelector: sel}}
	}
	reader := fake.NewClientBuilder().WithScheme(scheme).WithObjects(
		ns("team-a", map[string]string{"billing": "shared"}), ns("team-b", nil),
		cluster("none", nil), cluster("all", &metav1.LabelSelector{}),
		cluster("shared", &metav1.LabelSelector{MatchLabels: map[string]string{"billing": "shared"}}),
		&billingv1alpha1.DodoAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "own"}},
	).Build()
	clusterKey := func(name string) accounts.Key {
		return accounts.Key{Kind: billingv1alpha1.AccountKindCluster, Name: name}
	}
	tests := []struct {
		key       accounts.Key
		namespace string
		admits    bool
	}{
		{clusterKey("none"), "team-a", false},
		{clusterKey("all"), "team-b", true},
		{clusterKey("shared"), "team-a", true},
		{clusterKey("shared"), "team-b", false},
		{accounts.Key{Kind: billingv1alpha1.AccountKindNamespaced, Namespace: "team-a", Name: "own"}, "team-a", true},
		{accounts.Key{Kind: billingv1alpha1.AccountKindNamespaced, Namespace: "team-a", Name: "own"}, "team-b", false},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.key.String()+" in "+tt.namespace, func(t *testing.T) {
			acct, err := accounts.Get(ctx, reader, tt.key)
			if err != nil {
				t.Fatal(err)
			}
			err = acct.Admits(ctx, reader, tt.namespace)
			if (err == nil) != tt.admits {
				t.Errorf("Admits = %v, want admitted=%v", err, tt.admits)
			}
		})
	}
}
