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
