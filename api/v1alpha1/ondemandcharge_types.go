package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// OnDemandChargeSpec asks for one amount to be charged to an on-demand Subscription. Like a
// cert-manager CertificateRequest it is a one-shot request: immutable once created.
// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="spec is immutable: create a new OnDemandCharge (with a new name or chargeKey) to charge again"
type OnDemandChargeSpec struct {
	// subscriptionRef names an on-demand Subscription in the same namespace.
	// +required
	SubscriptionRef LocalSubscriptionReference `json:"subscriptionRef"`

	// amount to charge, in the currency's minor units (2500 = 25.00 USD).
	// +required
	// +kubebuilder:validation:Minimum=1
	Amount int64 `json:"amount"`

	// currency is the ISO 4217 code of amount; defaults to the subscription's product currency.
	// +optional
	// +kubebuilder:validation:XValidation:rule="self.matches('^[A-Z]{3}$')",message="currency must be an ISO 4217 code in upper case, for example USD"
	Currency string `json:"currency,omitempty"`

	// description overrides the product description on the payment.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Description string `json:"description,omitempty"`

	// adaptiveCurrencyFeesInclusive says whether adaptive-currency fees are included in
	// amount (true) or added on top (false).
	// +optional
	AdaptiveCurrencyFeesInclusive *bool `json:"adaptiveCurrencyFeesInclusive,omitempty"`

	// metadata is copied to the payment. Same rules as Subscription metadata; at most 45
	// pairs (the operator stamps five keys: the k8s_ ones and retry_attempt).
	// +optional
	// +kubebuilder:validation:MaxProperties=45
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^[A-Za-z0-9_-]{1,40}$'))",message="metadata keys must be 1-40 letters, digits, '-' or '_'"
	// +kubebuilder:validation:XValidation:rule="self.all(k, !k.startsWith('k8s_') && k != 'retry_attempt')",message="metadata keys starting with k8s_, and retry_attempt, are reserved for the operator"
	// +kubebuilder:validation:XValidation:rule="self.all(k, size(self[k]) <= 500)",message="metadata values must be at most 500 characters"
	Metadata map[string]string `json:"metadata,omitempty"`

	// chargeKey identifies this charge across deletion and re-creation: a charge whose key
	// already has a payment on the subscription is never charged again, so re-applying the
	// same object from Git (for example Argo CD Replace) is safe. Defaults to the object's
	// name. Use a new key (or name) to charge the same subscription again.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:XValidation:rule="self.matches('^[A-Za-z0-9._:/-]+$')",message="chargeKey must use letters, digits and . _ : / - only"
	ChargeKey string `json:"chargeKey,omitempty"`

	// retryPolicy bounds retries of a declined charge (docs/retry-policy.md). Whatever it
	// says, only declines known to be retryable are retried: INSUFFICIENT_FUNDS,
	// LIMIT_EXCEEDED, CARD_VELOCITY_EXCEEDED, PROCESSING_ERROR, NETWORK_ERROR,
	// NETWORK_TIMEOUT and TRY_AGAIN_LATER. Hard declines and the on-demand guide's skip list
	// (STOLEN_CARD, DO_NOT_HONOR, FRAUDULENT, PICKUP_CARD, AUTHENTICATION_FAILURE,
	// LOST_CARD) end the charge Failed, also when the subscription's payment method received
	// them outside this charge; the same decline twice in a row ends it too. Any other
	// decline (unknown, empty, or one the customer must fix) stops retries and waits for a
	// person (Stalled): the annotation billing.dodo-operator.io/allow-retry set to the
	// declined attempt's number allows one more attempt.
	// +optional
	RetryPolicy *ChargeRetryPolicy `json:"retryPolicy,omitempty"`
}

// LocalSubscriptionReference names a Subscription in the same namespace.
type LocalSubscriptionReference struct {
	// name of the Subscription.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// ChargeRetryPolicy is the schedule of attempts for one charge.
// +kubebuilder:validation:XValidation:rule="!has(self.intervals) || size(self.intervals) == (has(self.maxAttempts) ? self.maxAttempts : 4) - 1",message="retryPolicy.intervals must list one interval per retry: maxAttempts - 1 entries"
type ChargeRetryPolicy struct {
	// maxAttempts is the total number of attempts, 1 to 4 (card networks penalise more).
	// Defaults to 4.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=4
	MaxAttempts *int32 `json:"maxAttempts,omitempty"`

	// intervals between attempts, each at least 24h, for example ["72h", "168h", "168h"]
	// (the default: day 0, day 3, day 10, day 17 when no attempt runs late). Attempt n+1
	// is due at the first instant at the charge's time of day that is at least
	// intervals[n-1] after attempt n started. The charge's time of day is
	// status.anchorTime's (UTC) plus its spread: a stable offset under 15 minutes, derived
	// from the charge key, so that charges anchored to the same minute do not reach the
	// card networks together. No attempt is ever closer than its interval to the previous
	// one, however late that one ran.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=3
	// +kubebuilder:validation:items:XValidation:rule="duration(self) >= duration('24h')",message="each retry interval must be at least 24h"
	Intervals []metav1.Duration `json:"intervals,omitempty"`
}

// ChargePhase is where a charge is in its life.
type ChargePhase string

const (
	// ChargePhaseWaiting means a precondition is not met yet (see the Ready condition).
	ChargePhaseWaiting ChargePhase = "Waiting"
	// ChargePhaseCharging means an attempt is in flight and its outcome is not known yet.
	ChargePhaseCharging ChargePhase = "Charging"
	// ChargePhaseRetryScheduled means an attempt was declined and another is scheduled.
	ChargePhaseRetryScheduled ChargePhase = "RetryScheduled"
	// ChargePhaseSucceeded means the amount was charged. Terminal.
	ChargePhaseSucceeded ChargePhase = "Succeeded"
	// ChargePhaseFailed means no further attempt will be made. Terminal.
	ChargePhaseFailed ChargePhase = "Failed"
)

// AttemptOutcome is the result of one charge attempt.
type AttemptOutcome string

const (
	// AttemptPending means the attempt is recorded and its outcome is not known yet.
	AttemptPending AttemptOutcome = "Pending"
	// AttemptSucceeded means the payment succeeded.
	AttemptSucceeded AttemptOutcome = "Succeeded"
	// AttemptFailed means the payment was declined or failed.
	AttemptFailed AttemptOutcome = "Failed"
	// AttemptUnknown means the operator cannot tell whether a payment was made; it needs a
	// person (see the Stalled condition).
	AttemptUnknown AttemptOutcome = "Unknown"
)

// AttemptVia is how an attempt charges.
// +kubebuilder:validation:Enum=Charge;Dues
type AttemptVia string

const (
	// AttemptViaCharge is a charge call on the subscription.
	AttemptViaCharge AttemptVia = "Charge"
	// AttemptViaDues is update-payment-method on an on_hold subscription, which charges
	// its dues.
	AttemptViaDues AttemptVia = "Dues"
)

// ChargeAttempt records one attempt to charge.
type ChargeAttempt struct {
	// number of the attempt, starting at 1; sent to Dodo as retry_attempt (number - 1).
	// +required
	// +kubebuilder:validation:Minimum=1
	Number int32 `json:"number"`
	// paymentID is the Dodo payment of this attempt, once known.
	// +optional
	PaymentID string `json:"paymentID,omitempty"`
	// via is Charge (a charge call) or Dues (update-payment-method on an on_hold
	// subscription, which charges its dues).
	// +optional
	Via AttemptVia `json:"via,omitempty"`
	// startedAt is when the attempt was recorded, before the call.
	// +required
	StartedAt metav1.Time `json:"startedAt"`
	// completedAt is when the outcome became known.
	// +optional
	CompletedAt *metav1.Time `json:"completedAt,omitempty"`
	// awaitingCustomerSince is set while the attempt's payment waits for the customer
	// (requires_customer_action, for example 3-D Secure): still in flight, never charged
	// again, but not counted against the in-flight caps.
	// +optional
	AwaitingCustomerSince *metav1.Time `json:"awaitingCustomerSince,omitempty"`
	// outcome is Pending, Succeeded, Failed or Unknown.
	// +required
	Outcome AttemptOutcome `json:"outcome"`
	// declineCode is Dodo's error_code for a declined attempt.
	// +optional
	DeclineCode string `json:"declineCode,omitempty"`
	// message is Dodo's error_message for a declined attempt.
	// +optional
	Message string `json:"message,omitempty"`
}

// OnDemandChargeStatus is the history and state of the charge.
type OnDemandChargeStatus struct {
	// observedGeneration is the spec generation the last reconcile acted on.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// conditions: Ready, Synced, Stalled, Succeeded, Failed.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// phase is Waiting, Charging, RetryScheduled, Succeeded or Failed.
	// +optional
	Phase ChargePhase `json:"phase,omitempty"`
	// subscriptionID is the Dodo subscription charged.
	// +optional
	SubscriptionID string `json:"subscriptionID,omitempty"`
	// accountRef is the account the attempts were made in, recorded with subscriptionID
	// (the Subscription's spec.accountRef): every later call (an outcome's lookup, a retry)
	// uses this account even if the Subscription is gone.
	// +optional
	AccountRef *AccountReference `json:"accountRef,omitempty"`
	// chargeKey is the key in effect (spec.chargeKey or the object's name).
	// +optional
	ChargeKey string `json:"chargeKey,omitempty"`
	// attempts made so far, oldest first.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=4
	Attempts []ChargeAttempt `json:"attempts,omitempty"`
	// attemptCount is the number of attempts made (for kubectl get).
	// +optional
	AttemptCount int32 `json:"attemptCount,omitempty"`
	// anchorTime gives every retry its time of day (UTC): the subscription's mandate
	// (activation) time when known, otherwise the first attempt's. Retries start at this
	// time of day plus the charge's spread (under 15 minutes).
	// +optional
	AnchorTime *metav1.Time `json:"anchorTime,omitempty"`
	// nextAttemptAt is when the next attempt is due, if one is scheduled (see
	// spec.retryPolicy.intervals for the rule); recomputed from the attempts on every
	// reconcile.
	// +optional
	NextAttemptAt *metav1.Time `json:"nextAttemptAt,omitempty"`
	// recentWebhookIDs are the webhook-id values applied most recently (newest last).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	RecentWebhookIDs []string `json:"recentWebhookIDs,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=odc;dodocharge,categories=dodo;billing
// +kubebuilder:printcolumn:name="Subscription",type=string,JSONPath=`.spec.subscriptionRef.name`
// +kubebuilder:printcolumn:name="Amount",type=integer,JSONPath=`.spec.amount`
// +kubebuilder:printcolumn:name="Currency",type=string,JSONPath=`.spec.currency`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Attempts",type=integer,JSONPath=`.status.attemptCount`
// +kubebuilder:printcolumn:name="Next Attempt",type=string,JSONPath=`.status.nextAttemptAt`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Synced",type=string,JSONPath=`.status.conditions[?(@.type=="Synced")].status`,priority=1

// OnDemandCharge charges an on-demand Subscription once, retrying declines by a safe policy.
type OnDemandCharge struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the charge to make; immutable.
	// +required
	Spec OnDemandChargeSpec `json:"spec"`

	// status is the charge's history and state.
	// +optional
	Status OnDemandChargeStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// OnDemandChargeList is a list of OnDemandCharges.
type OnDemandChargeList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items is the list of OnDemandCharges.
	Items []OnDemandCharge `json:"items"`
}
