package cachetrim

import (
	"encoding/json"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
)

func TestTransformKeepsOnlyWhatTheProcessesRead(t *testing.T) {
	in := &billingv1alpha1.Subscription{ObjectMeta: metav1.ObjectMeta{Name: "s",
		ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "argocd-controller"}},
		Annotations: map[string]string{LastAppliedAnnotation: `{"spec":{}}`,
			billingv1alpha1.AnnotationPaused: "true"}}}
	out, err := Transform()(in)
	if err != nil {
		t.Fatal(err)
	}
	got := out.(*billingv1alpha1.Subscription)
	if len(got.ManagedFields) != 0 {
		t.Errorf("managedFields kept: %v", got.ManagedFields)
	}
	if diff := cmp.Diff(map[string]string{billingv1alpha1.AnnotationPaused: "true"}, got.Annotations); diff != "" {
		t.Errorf("annotations (-want +got):\n%s", diff)
	}
}

func TestTransformPassesNonObjectsThrough(t *testing.T) {
	out, err := Transform()("not an object")
	if err != nil || out != "not an object" {
		t.Fatalf("got %v, %v", out, err)
	}
}

func TestNamespaces(t *testing.T) {
	if got := Namespaces(" "); got != nil {
		t.Errorf("empty list: %v, want nil (every namespace)", got)
	}
	got := Namespaces("shop, billing ,")
	_, shop := got["shop"]
	_, billing := got["billing"]
	if len(got) != 2 || !shop || !billing {
		t.Errorf("got %v, want shop and billing", got)
	}
}

// TestTransformSharesTheStringsEveryObjectRepeats: two objects decoded apart carry the
// same condition sentences in separate memory; after the transform they share one copy,
// and every value is unchanged.
func TestTransformSharesTheStringsEveryObjectRepeats(t *testing.T) {
	decode := func(name string) *billingv1alpha1.Subscription {
		raw := `{"metadata":{"name":"` + name + `","namespace":"shop"},"status":{"providerStatus":"active",` +
			`"conditions":[{"type":"Ready","status":"True","reason":"Available","message":"The subscription is active in Dodo.",` +
			`"lastTransitionTime":"2026-11-30T00:00:00Z"}]}}`
		sub := &billingv1alpha1.Subscription{}
		if err := json.Unmarshal([]byte(raw), sub); err != nil {
			t.Fatal(err)
		}
		return sub
	}
	a, b := decode("a"), decode("b")
	want := b.DeepCopy()
	transform := Transform()
	for _, obj := range []*billingv1alpha1.Subscription{a, b} {
		if _, err := transform(obj); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(want, b); diff != "" {
		t.Fatalf("values changed (-want +got):\n%s", diff)
	}
	same := func(x, y string) bool { return unsafe.StringData(x) == unsafe.StringData(y) }
	ca, cb := a.Status.Conditions[0], b.Status.Conditions[0]
	if !same(ca.Message, cb.Message) || !same(ca.Reason, cb.Reason) || !same(a.Namespace, b.Namespace) ||
		!same(a.Status.ProviderStatus, b.Status.ProviderStatus) {
		t.Fatal("the repeated strings are still separate copies")
	}
}
