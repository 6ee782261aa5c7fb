package cachetrim

import (
	"testing"

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
