package account

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/accounts"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

func TestReadyCondition(t *testing.T) {
	const base = "https://test.dodopayments.com"
	brands := []dodo.Brand{{BrandID: "bnd_1", BusinessID: "bus_1", Name: ptr.To("Acme")}, {BrandID: "bnd_2", BusinessID: "bus_1"}}
	missing := &accounts.NotUsableError{Reason: accounts.ReasonSecretNotFound, Message: "Secret ns/k does not exist"}
	invalid := &accounts.NotUsableError{Reason: accounts.ReasonAccountInvalid, Message: "invalid base URL"}
	tests := []struct {
		name       string
		check      check
		wantStatus metav1.ConditionStatus
		wantReason string
		wantInMsg  []string
	}{
		{"brands answered", check{baseURL: base, brands: brands}, metav1.ConditionTrue, ReasonCredentialsVerified,
			[]string{base, "bus_1", "Acme, bnd_2"}},
		{"no brands", check{baseURL: base}, metav1.ConditionTrue, ReasonCredentialsVerified, []string{"unknown", "none"}},
		{"Secret missing", check{resolveErr: missing}, metav1.ConditionFalse, accounts.ReasonSecretNotFound, []string{"ns/k"}},
		{"wrapped unusable spec", check{resolveErr: fmt.Errorf("x: %w", invalid)}, metav1.ConditionFalse,
			accounts.ReasonAccountInvalid, []string{"invalid base URL"}},
		{"Secret unreadable", check{resolveErr: errors.New("forbidden")}, metav1.ConditionFalse, ReasonSecretUnreadable,
			[]string{"forbidden"}},
		{"401", check{baseURL: base, secret: `Secret ns/k key "apiKey"`, apiErr: &dodo.APIError{StatusCode: 401}},
			metav1.ConditionFalse, billingv1alpha1.ReasonCredentialsInvalid, []string{base, "ns/k", "401"}},
		{"403", check{baseURL: base, apiErr: &dodo.APIError{StatusCode: 403}}, metav1.ConditionFalse,
			billingv1alpha1.ReasonCredentialsInvalid, []string{"403"}},
		{"5xx", check{baseURL: base, apiErr: &dodo.APIError{StatusCode: 503, Method: "GET", Path: "/brands"}},
			metav1.ConditionFalse, ReasonUnreachable, []string{base, "503"}},
		{"network", check{baseURL: base, apiErr: &dodo.TransportError{Method: "GET", Path: "/brands", Err: errors.New("dial")}},
			metav1.ConditionFalse, ReasonUnreachable, []string{"dial"}},
		{"429", check{baseURL: base, apiErr: &dodo.APIError{StatusCode: 429}}, metav1.ConditionFalse, ReasonUnreachable, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readyCondition(tt.check)
			if got.Type != billingv1alpha1.ConditionReady || got.Status != tt.wantStatus || got.Reason != tt.wantReason {
				t.Fatalf("got %s/%s/%s (%s), want %s/%s", got.Type, got.Status, got.Reason, got.Message, tt.wantStatus, tt.wantReason)
			}
			for _, want := range tt.wantInMsg {
				if !strings.Contains(got.Message, want) {
					t.Errorf("message %q lacks %q", got.Message, want)
				}
			}
		})
	}
}

func TestCheckCalled(t *testing.T) {
	if (check{resolveErr: errors.New("x")}).called() || !(check{apiErr: errors.New("x")}).called() {
		t.Error("lastCheckedAt moves exactly when Dodo was asked")
	}
}
