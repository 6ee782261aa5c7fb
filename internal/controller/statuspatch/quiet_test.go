package statuspatch

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
)

func TestQuietConflict(t *testing.T) {
	conflict := apierrors.NewConflict(schema.GroupResource{Group: "billing.dodo-operator.io", Resource: "subscriptions"},
		"acme", errors.New("the object has been modified"))
	other := errors.New("dodo: 500")
	tests := []struct {
		name       string
		err        error
		wantErr    error
		wantResult ctrl.Result
	}{
		{"conflict becomes a short requeue", conflict, nil, ctrl.Result{RequeueAfter: conflictRequeue}},
		{"wrapped conflict too", fmt.Errorf("patching finalizers: %w", conflict), nil, ctrl.Result{RequeueAfter: conflictRequeue}},
		{"other errors pass through", other, other, ctrl.Result{RequeueAfter: time.Minute}},
		{"no error keeps the result", nil, nil, ctrl.Result{RequeueAfter: time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := QuietConflict(context.Background(), ctrl.Result{RequeueAfter: time.Minute}, tt.err)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Errorf("error = %v, want %v", err, tt.wantErr)
			}
			if got != tt.wantResult {
				t.Errorf("result = %+v, want %+v", got, tt.wantResult)
			}
		})
	}
}
