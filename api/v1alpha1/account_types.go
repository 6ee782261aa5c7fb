package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AccountKind names one of the two account kinds in an accountRef.
// +kubebuilder:validation:Enum=DodoAccount;ClusterDodoAccount
type AccountKind string

const (
	// AccountKindNamespaced is a DodoAccount in the referring object's namespace.
	AccountKindNamespaced AccountKind = "DodoAccount"
	// AccountKindCluster is a ClusterDodoAccount whose namespaceSelector admits the
	// referring object's namespace.
	AccountKindCluster AccountKind = "ClusterDodoAccount"
)

// AccountReference names the Dodo account a Subscription uses. Without one, the operator's
// own flags (API key, environment) are the account: installs from before accounts keep
// working unchanged.
type AccountReference struct {
	// kind is DodoAccount (same namespace) or ClusterDodoAccount.
	// +required
	Kind AccountKind `json:"kind"`
	// name of the account.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// AccountEnvironment is Dodo's mode: separate keys, data and webhooks.
// +kubebuilder:validation:Enum=test_mode;live_mode
type AccountEnvironment string

// The two Dodo environments.
const (
	AccountTestMode AccountEnvironment = "test_mode"
	AccountLiveMode AccountEnvironment = "live_mode"
)

// SecretKeyReference names one key of a Secret. The Secret lives in the account's namespace
// (DodoAccount) or in spec.secretNamespace (ClusterDodoAccount): an account never reads a
// Secret from a namespace its author does not control.
type SecretKeyReference struct {
	// name of the Secret.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// key in the Secret's data.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Key string `json:"key"`
}

// AccountRateLimit is the account's client-side share of Dodo's limit (100 requests per
// minute per API key). Each account has its own limiter and priority budget: a busy account
// never slows another.
type AccountRateLimit struct {
	// requestsPerMinute the operator sends with this key at most (default 90, under Dodo's
	// 100 so that people and scripts using the same key keep some room).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=6000
	RequestsPerMinute int32 `json:"requestsPerMinute,omitempty"`
}

// AccountWebhook is how the account's webhooks are verified, and optionally registered.
type AccountWebhook struct {
	// secretRef holds the endpoint's signing secret (whsec_...). With endpoint set and
	// register true, the operator writes the secret it fetched from Dodo into this Secret.
	// +optional
	SecretRef *SecretKeyReference `json:"secretRef,omitempty"`
	// previousSecretRef is also accepted while a secret is being rotated; remove it when
	// Dodo signs with the new one only.
	// +optional
	PreviousSecretRef *SecretKeyReference `json:"previousSecretRef,omitempty"`
	// endpoint registers the receiver's public URL with Dodo, so no dashboard step is needed.
	// +optional
	Endpoint *WebhookEndpointSpec `json:"endpoint,omitempty"`
}

// WebhookEndpointSpec is the webhook endpoint the operator registers with Dodo.
type WebhookEndpointSpec struct {
	// url is the public https URL of this account's webhook path on the receiver
	// (/dodo/webhooks/namespaces/<namespace>/<name> for a DodoAccount,
	// /dodo/webhooks/cluster/<name> for a ClusterDodoAccount).
	// +required
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.matches('^https?://[^ ]+$')",message="webhook.endpoint.url must be an http(s) URL"
	URL string `json:"url"`
}

// DodoAccountSpec says how to reach one Dodo business with one API key.
// +kubebuilder:validation:XValidation:rule="has(self.environment) || has(self.baseURL)",message="set environment (test_mode or live_mode) or baseURL"
// +kubebuilder:validation:XValidation:rule="!has(self.webhook) || !has(self.webhook.endpoint) || has(self.webhook.secretRef)",message="webhook.endpoint needs webhook.secretRef: the Secret the fetched signing secret is written to"
type DodoAccountSpec struct {
	// environment is test_mode or live_mode; baseURL overrides it.
	// +optional
	Environment AccountEnvironment `json:"environment,omitempty"`
	// baseURL of the payments API (for example the local simulator).
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.matches('^https?://[^ ]+$')",message="baseURL must be an http(s) URL"
	BaseURL string `json:"baseURL,omitempty"`
	// apiKeySecretRef holds the API key. The Secret is read again when it changes: a key
	// rotation needs no restart.
	// +required
	APIKeySecretRef SecretKeyReference `json:"apiKeySecretRef"`
	// webhook verifies (and optionally registers) the account's webhooks.
	// +optional
	Webhook *AccountWebhook `json:"webhook,omitempty"`
	// rateLimit is the account's share of Dodo's rate limit.
	// +optional
	RateLimit *AccountRateLimit `json:"rateLimit,omitempty"`
}

// ClusterDodoAccountSpec is a DodoAccountSpec that namespaces chosen by a selector may use.
type ClusterDodoAccountSpec struct {
	DodoAccountSpec `json:",inline"`
	// secretNamespace holds the Secrets the account references.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	SecretNamespace string `json:"secretNamespace"`
	// namespaceSelector says which namespaces' objects may use the account. Empty selects
	// every namespace; absent selects none (an account must be shared on purpose).
	// +optional
	NamespaceSelector *metav1.LabelSelector `json:"namespaceSelector,omitempty"`
}

// WebhookEndpointStatus is the endpoint the operator registered with Dodo.
type WebhookEndpointStatus struct {
	// id of the endpoint in Dodo.
	// +optional
	ID string `json:"id,omitempty"`
	// url registered.
	// +optional
	URL string `json:"url,omitempty"`
	// createdByOperator is true when the operator created the endpoint; only then does
	// deleting the account delete the endpoint.
	// +optional
	CreatedByOperator bool `json:"createdByOperator,omitempty"`
	// idempotencyKey is stored before the create call, so a retry after a lost answer or
	// a crash sends the same key and Dodo makes one endpoint.
	// +optional
	IdempotencyKey string `json:"idempotencyKey,omitempty"`
}

// DodoAccountStatus is what the operator found when it checked the account.
type DodoAccountStatus struct {
	// observedGeneration is the generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// conditions: Ready (the key was checked with one cheap read; reasons
	// CredentialsVerified, CredentialsInvalid, SecretNotFound, Unreachable,
	// NamespaceNotAllowed).
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// baseURL the account reaches.
	// +optional
	BaseURL string `json:"baseURL,omitempty"`
	// businessID the key belongs to.
	// +optional
	BusinessID string `json:"businessID,omitempty"`
	// brands of that business (names, or IDs where a brand has no name).
	// +optional
	// +listType=atomic
	Brands []string `json:"brands,omitempty"`
	// lastCheckedAt is when the key was last checked.
	// +optional
	LastCheckedAt *metav1.Time `json:"lastCheckedAt,omitempty"`
	// lastWebhookAt is when the receiver last accepted a delivery for this account.
	// +optional
	LastWebhookAt *metav1.Time `json:"lastWebhookAt,omitempty"`
	// webhookEndpoint is the endpoint registered for the account, when spec asks for one.
	// +optional
	WebhookEndpoint *WebhookEndpointStatus `json:"webhookEndpoint,omitempty"`
}

// DodoAccount is a Dodo business and API key that Subscriptions in its namespace use.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=dodoacct,categories=dodo;billing
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Business",type=string,JSONPath=`.status.businessID`
// +kubebuilder:printcolumn:name="Endpoint",type=string,JSONPath=`.status.webhookEndpoint.id`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type DodoAccount struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec DodoAccountSpec `json:"spec"`
	// +optional
	Status DodoAccountStatus `json:"status,omitempty"`
}

// DodoAccountList is a list of DodoAccounts.
// +kubebuilder:object:root=true
type DodoAccountList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []DodoAccount `json:"items"`
}

// ClusterDodoAccount is a Dodo business and API key shared with the namespaces its selector
// admits.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=cdodoacct,categories=dodo;billing
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Business",type=string,JSONPath=`.status.businessID`
// +kubebuilder:printcolumn:name="Endpoint",type=string,JSONPath=`.status.webhookEndpoint.id`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ClusterDodoAccount struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec ClusterDodoAccountSpec `json:"spec"`
	// +optional
	Status DodoAccountStatus `json:"status,omitempty"`
}

// ClusterDodoAccountList is a list of ClusterDodoAccounts.
// +kubebuilder:object:root=true
type ClusterDodoAccountList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterDodoAccount `json:"items"`
}
