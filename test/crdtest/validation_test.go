package crdtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/dodo-operator/dodo-operator/test/testenv"
)

const (
	subscriptionSample = "billing_v1alpha1_subscription.yaml"
	onDemandSample     = "billing_v1alpha1_subscription_ondemand.yaml"
	chargeSample       = "billing_v1alpha1_ondemandcharge.yaml"
	accountSample      = "billing_v1alpha1_dodoaccount.yaml"
	clusterAccount     = "billing_v1alpha1_clusterdodoaccount.yaml"
)

// loadSample reads a sample from config/samples as an unstructured object, so the API
// server (not the Go types) judges it.
func loadSample(t *testing.T, file string) *unstructured.Unstructured {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "config", "samples", file))
	if err != nil {
		t.Fatal(err)
	}
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(data, &obj.Object); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	obj.SetNamespace("default")
	return obj
}

func set(path string, value any) func(*unstructured.Unstructured) {
	return func(u *unstructured.Unstructured) {
		if err := unstructured.SetNestedField(u.Object, value, strings.Split(path, ".")...); err != nil {
			panic(err)
		}
	}
}

func remove(path string) func(*unstructured.Unstructured) {
	return func(u *unstructured.Unstructured) {
		unstructured.RemoveNestedField(u.Object, strings.Split(path, ".")...)
	}
}

func manyMetadata(n int) map[string]any {
	m := map[string]any{}
	for i := range n {
		m[fmt.Sprintf("key%d", i)] = "v"
	}
	return m
}

func TestSamplesAreAccepted(t *testing.T) {
	ctx := context.Background()
	for _, file := range []string{subscriptionSample, onDemandSample, chargeSample, accountSample, clusterAccount} {
		obj := loadSample(t, file)
		if err := env.Client.Create(ctx, obj); err != nil {
			t.Errorf("%s was refused: %v", file, err)
			continue
		}
		t.Cleanup(func() { _ = env.Client.Delete(ctx, obj) })
	}
}

func TestInvalidObjectsAreRefusedWithAClearMessage(t *testing.T) {
	cases := map[string]struct {
		sample  string
		mutate  []func(*unstructured.Unstructured)
		message string
	}{
		"QuantityZero":             {subscriptionSample, []func(*unstructured.Unstructured){set("spec.quantity", int64(0))}, "spec.quantity in body should be greater than or equal to 1"},
		"ProductMissing":           {subscriptionSample, []func(*unstructured.Unstructured){remove("spec.productID")}, "spec.productID: Required value"},
		"CustomerBothForms":        {subscriptionSample, []func(*unstructured.Unstructured){set("spec.customer.id", "cus_1")}, "set exactly one of customer.id (an existing customer) or customer.email"},
		"CustomerNeitherForm":      {subscriptionSample, []func(*unstructured.Unstructured){remove("spec.customer.email"), remove("spec.customer.name")}, "set exactly one of customer.id"},
		"ExistingCustomerName":     {subscriptionSample, []func(*unstructured.Unstructured){remove("spec.customer.email"), set("spec.customer.id", "cus_1")}, "customer.name and customer.phoneNumber describe a new customer"},
		"CustomerEmailInvalid":     {subscriptionSample, []func(*unstructured.Unstructured){set("spec.customer.email", "not-an-email")}, "customer.email must be an email address"},
		"CountryNotAlpha2":         {subscriptionSample, []func(*unstructured.Unstructured){set("spec.billing.country", "usa")}, "billing.country must be an ISO 3166-1 alpha-2 code"},
		"CountryMissing":           {subscriptionSample, []func(*unstructured.Unstructured){remove("spec.billing.country")}, "spec.billing.country: Required value"},
		"MandateOnlyMissing":       {onDemandSample, []func(*unstructured.Unstructured){remove("spec.onDemand.mandateOnly")}, "spec.onDemand.mandateOnly: Required value"},
		"OnDemandCurrencyInvalid":  {onDemandSample, []func(*unstructured.Unstructured){set("spec.onDemand.productCurrency", "usd")}, "productCurrency must be an ISO 4217 code"},
		"OnDemandWithAddons":       {onDemandSample, []func(*unstructured.Unstructured){set("spec.addons", []any{map[string]any{"addonID": "addon_1", "quantity": int64(1)}})}, "addons are not allowed on an on-demand subscription"},
		"OnDemandWithDiscounts":    {onDemandSample, []func(*unstructured.Unstructured){set("spec.discountCodes", []any{"SAVE10"})}, "discountCodes are not available for an on-demand subscription"},
		"DeletionPolicyUnknown":    {subscriptionSample, []func(*unstructured.Unstructured){set("spec.deletionPolicy", "Delete")}, `Unsupported value: "Delete"`},
		"ProrationModeUnknown":     {subscriptionSample, []func(*unstructured.Unstructured){set("spec.planChange.prorationBillingMode", "prorated")}, `Unsupported value: "prorated"`},
		"MetadataKeyInvalid":       {subscriptionSample, []func(*unstructured.Unstructured){set("spec.metadata", map[string]any{"bad key!": "v"})}, "metadata keys must be 1-40 letters, digits"},
		"MetadataKeyReserved":      {subscriptionSample, []func(*unstructured.Unstructured){set("spec.metadata", map[string]any{"k8s_uid": "v"})}, "metadata keys starting with k8s_ are reserved"},
		"MetadataValueTooLong":     {subscriptionSample, []func(*unstructured.Unstructured){set("spec.metadata", map[string]any{"k": strings.Repeat("x", 501)})}, "metadata values must be at most 500 characters"},
		"MetadataTooManyKeys":      {subscriptionSample, []func(*unstructured.Unstructured){set("spec.metadata", manyMetadata(48))}, "must have at most 47 items"},
		"PaymentMethodBothForms":   {subscriptionSample, []func(*unstructured.Unstructured){set("spec.paymentMethod", map[string]any{"existingID": "pm_1", "new": map[string]any{"token": "t1"}})}, "set exactly one of paymentMethod.existingID or paymentMethod.new"},
		"ReturnURLNotAURL":         {subscriptionSample, []func(*unstructured.Unstructured){set("spec.returnURL", "not a url")}, "returnURL must be an absolute URL"},
		"ObserveOnlyWithoutAdopt":  {subscriptionSample, []func(*unstructured.Unstructured){set("spec.managementPolicy", "ObserveOnly")}, "managementPolicy ObserveOnly needs adopt.subscriptionID"},
		"TrialTooLong":             {subscriptionSample, []func(*unstructured.Unstructured){set("spec.trialPeriodDays", int64(10001))}, "spec.trialPeriodDays in body should be less than or equal to 10000"},
		"ChargeAmountZero":         {chargeSample, []func(*unstructured.Unstructured){set("spec.amount", int64(0))}, "spec.amount in body should be greater than or equal to 1"},
		"ChargeCurrencyInvalid":    {chargeSample, []func(*unstructured.Unstructured){set("spec.currency", "dollars")}, "currency must be an ISO 4217 code"},
		"ChargeTooManyAttempts":    {chargeSample, []func(*unstructured.Unstructured){set("spec.retryPolicy.maxAttempts", int64(5))}, "spec.retryPolicy.maxAttempts in body should be less than or equal to 4"},
		"ChargeIntervalTooShort":   {chargeSample, []func(*unstructured.Unstructured){set("spec.retryPolicy.intervals", []any{"12h", "168h", "168h"})}, "each retry interval must be at least 24h"},
		"ChargeIntervalsMismatch":  {chargeSample, []func(*unstructured.Unstructured){set("spec.retryPolicy.maxAttempts", int64(2))}, "retryPolicy.intervals must list one interval per retry"},
		"ChargeNoSubscription":     {chargeSample, []func(*unstructured.Unstructured){remove("spec.subscriptionRef")}, "spec.subscriptionRef: Required value"},
		"ChargeMetadataReserved":   {chargeSample, []func(*unstructured.Unstructured){set("spec.metadata", map[string]any{"retry_attempt": "1"})}, "retry_attempt, are reserved for the operator"},
		"AccountNoEnvironment":     {accountSample, []func(*unstructured.Unstructured){remove("spec.environment"), remove("spec.baseURL")}, "set environment (test_mode or live_mode) or baseURL"},
		"AccountBaseURLNotAURL":    {accountSample, []func(*unstructured.Unstructured){set("spec.baseURL", "dodo.internal")}, "baseURL must be an http(s) URL"},
		"AccountEndpointNoSecret":  {accountSample, []func(*unstructured.Unstructured){remove("spec.webhook.secretRef")}, "webhook.endpoint needs webhook.secretRef"},
		"AccountRateTooHigh":       {accountSample, []func(*unstructured.Unstructured){set("spec.rateLimit", map[string]any{"requestsPerMinute": int64(100000)})}, "spec.rateLimit.requestsPerMinute in body should be less than or equal to 6000"},
		"ClusterAccountNoSecretNS": {clusterAccount, []func(*unstructured.Unstructured){remove("spec.secretNamespace")}, "spec.secretNamespace: Required value"},
		"AccountKindUnknown":       {subscriptionSample, []func(*unstructured.Unstructured){set("spec.accountRef", map[string]any{"kind": "SecretStore", "name": "a"})}, `Unsupported value: "SecretStore"`},
	}
	ctx := context.Background()
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			obj := loadSample(t, tc.sample)
			obj.SetName(strings.ToLower(name))
			for _, mutate := range tc.mutate {
				mutate(obj)
			}
			err := env.Client.Create(ctx, obj)
			if err == nil {
				_ = env.Client.Delete(ctx, obj)
				t.Fatalf("accepted; want an error containing %q", tc.message)
			}
			if !strings.Contains(err.Error(), tc.message) {
				t.Fatalf("error %q does not contain %q", err, tc.message)
			}
		})
	}
}

func TestUpdateRulesAreEnforced(t *testing.T) {
	cases := map[string]struct {
		sample  string
		mutate  func(*unstructured.Unstructured)
		message string
	}{
		"ChargeSpecImmutable":      {chargeSample, set("spec.amount", int64(9999)), "spec is immutable: create a new OnDemandCharge"},
		"CustomerImmutable":        {subscriptionSample, set("spec.customer.email", "other@acme.example"), "customer is immutable"},
		"OnDemandCannotBeAdded":    {subscriptionSample, set("spec.onDemand", map[string]any{"mandateOnly": true}), "onDemand cannot be added or removed after creation"},
		"OnDemandCannotBeRemoved":  {onDemandSample, remove("spec.onDemand"), "onDemand cannot be added or removed after creation"},
		"TrialIsCreationOnly":      {subscriptionSample, set("spec.trialPeriodDays", int64(3)), "trialPeriodDays is used only when the subscription is created"},
		"ReturnURLIsCreationOnly":  {subscriptionSample, set("spec.returnURL", "https://other.example/back"), "returnURL is used only when the subscription is created"},
		"PaymentLinkCreationOnly":  {subscriptionSample, set("spec.paymentLink", false), "paymentLink is used only when the subscription is created"},
		"DiscountsAreCreationOnly": {subscriptionSample, set("spec.discountCodes", []any{"LATE10"}), "discountCodes is used only when the subscription is created"},
		"AdoptCannotChange":        {subscriptionSample, nil, "adopt cannot be changed or removed once set"},
		"AdoptCannotBeRemovedLate": {subscriptionSample, nil, "adopt cannot be changed or removed once set"},
		"AccountCannotBeAdded":     {subscriptionSample, set("spec.accountRef", map[string]any{"kind": "DodoAccount", "name": "b"}), "accountRef cannot change"},
		"AccountCannotChange":      {subscriptionSample, nil, "accountRef cannot change"},
	}
	ctx := context.Background()
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			obj := loadSample(t, tc.sample)
			obj.SetName(strings.ToLower(name))
			mutate := tc.mutate
			if strings.HasPrefix(name, "Adopt") {
				set("spec.adopt", map[string]any{"subscriptionID": "sub_1"})(obj)
				mutate = set("spec.adopt.subscriptionID", "sub_2")
				if name == "AdoptCannotBeRemovedLate" {
					mutate = remove("spec.adopt")
				}
			}
			if name == "AccountCannotChange" {
				set("spec.accountRef", map[string]any{"kind": "DodoAccount", "name": "a"})(obj)
				mutate = set("spec.accountRef", map[string]any{"kind": "ClusterDodoAccount", "name": "a"})
			}
			if err := env.Client.Create(ctx, obj); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = env.Client.Delete(ctx, obj) })
			mutate(obj)
			err := env.Client.Update(ctx, obj)
			if err == nil || !strings.Contains(err.Error(), tc.message) {
				t.Fatalf("update error %v; want one containing %q", err, tc.message)
			}
		})
	}
}

func TestAllowedUpdatesPass(t *testing.T) {
	ctx := context.Background()
	obj := loadSample(t, subscriptionSample)
	obj.SetName("allowed-updates")
	if err := env.Client.Create(ctx, obj); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(ctx, obj) })
	// A plan change, and adopting after creation (the way out of a stalled create).
	set("spec.quantity", int64(5))(obj)
	set("spec.productID", "pdt_enterprise")(obj)
	set("spec.adopt", map[string]any{"subscriptionID": "sub_found"})(obj)
	if err := env.Client.Update(ctx, obj); err != nil {
		t.Fatalf("plan change and late adoption refused: %v", err)
	}
}

func TestCRDsDeclareNoDefaults(t *testing.T) {
	// A schema default makes Argo CD show the object OutOfSync: defaults are applied in code.
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(root, "config", "crd", "bases", "*.yaml"))
	if err != nil || len(files) != 4 {
		t.Fatalf("want 4 CRD files, got %v (%v)", files, err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			if strings.TrimSpace(line) == "default:" || strings.HasPrefix(strings.TrimSpace(line), "default: ") {
				t.Errorf("%s:%d declares a schema default: %s", filepath.Base(f), i+1, line)
			}
		}
	}
}
