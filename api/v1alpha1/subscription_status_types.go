package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// SubscriptionStatus is what the operator and Dodo know about the subscription.
type SubscriptionStatus struct {
	// observedGeneration is the spec generation the last reconcile acted on.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions: Ready (summary), Synced (last reconcile against the API worked), Stalled
	// (needs a person or a spec change), and Dodo's states Active, OnHold and Failed.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// subscriptionID is the Dodo subscription (sub_...).
	// +optional
	SubscriptionID string `json:"subscriptionID,omitempty"`

	// providerStatus is Dodo's status as reported: pending, active, on_hold, paused,
	// cancelled, failed, expired, or any value Dodo adds later.
	// +optional
	ProviderStatus string `json:"providerStatus,omitempty"`

	// customerID is the Dodo customer (cus_...).
	// +optional
	CustomerID string `json:"customerID,omitempty"`

	// productID is the product Dodo bills now. It differs from spec.productID while a
	// plan change is pending.
	// +optional
	ProductID string `json:"productID,omitempty"`

	// quantity is the quantity Dodo bills now. It differs from spec.quantity while a
	// plan change is pending.
	// +optional
	Quantity int32 `json:"quantity,omitempty"`

	// currency is the ISO 4217 currency the subscription bills in.
	// +optional
	Currency string `json:"currency,omitempty"`

	// recurringPreTaxAmount is the recurring amount before tax, in minor units.
	// +optional
	RecurringPreTaxAmount *int64 `json:"recurringPreTaxAmount,omitempty"`

	// nextBillingDate is the end of the current period and the next charge. Set only
	// while the subscription is active: a pending, on_hold or ended subscription has no
	// next charge until it is paid or reactivated.
	// +optional
	NextBillingDate *metav1.Time `json:"nextBillingDate,omitempty"`

	// previousBillingDate is the start of the current period.
	// +optional
	PreviousBillingDate *metav1.Time `json:"previousBillingDate,omitempty"`

	// cancelAtNextBillingDate is true when Dodo will cancel at the end of the period.
	// +optional
	CancelAtNextBillingDate bool `json:"cancelAtNextBillingDate,omitempty"`

	// cancelledAt is when the subscription was cancelled.
	// +optional
	CancelledAt *metav1.Time `json:"cancelledAt,omitempty"`

	// expiresAt is the end of the subscription's term.
	// +optional
	ExpiresAt *metav1.Time `json:"expiresAt,omitempty"`

	// paymentMethodID is the saved payment method used for renewals (pm_...).
	// +optional
	PaymentMethodID string `json:"paymentMethodID,omitempty"`

	// paymentLink is the hosted page where the customer completes a payment or adds a
	// payment method. The client secret that comes with it is never stored.
	// +optional
	PaymentLink string `json:"paymentLink,omitempty"`

	// paymentLinkExpiresAt is when paymentLink stops working.
	// +optional
	PaymentLinkExpiresAt *metav1.Time `json:"paymentLinkExpiresAt,omitempty"`

	// lastPaymentMethodRequest is the payment-method change last sent to Dodo
	// ("existing:<pm_id>" or "new:<token>"). The same request is never sent twice: an
	// update-payment-method call on an on_hold subscription charges its dues. Removing
	// spec.paymentMethod clears it.
	// +optional
	LastPaymentMethodRequest string `json:"lastPaymentMethodRequest,omitempty"`

	// lastPlanChangeRequest is the plan last sent through change-plan. The same plan is not
	// sent again while Dodo has not applied it (for example with onPaymentFailure
	// prevent_change and an unpaid change): change the spec to ask again.
	// +optional
	LastPlanChangeRequest *PlanRequest `json:"lastPlanChangeRequest,omitempty"`

	// lastPayment is the latest payment of the subscription the operator saw.
	// +optional
	LastPayment *PaymentSummary `json:"lastPayment,omitempty"`

	// createPendingSince is set, before the create call, while a create may have reached
	// Dodo without its answer reaching the operator. It tells a restarted operator to look
	// for the subscription before creating again.
	// +optional
	CreatePendingSince *metav1.Time `json:"createPendingSince,omitempty"`

	// lastObservedAt is when the operator last read the subscription from Dodo.
	// +optional
	LastObservedAt *metav1.Time `json:"lastObservedAt,omitempty"`

	// lastWebhookEvent is the newest webhook event applied to this status. An event with an
	// older timestamp never rolls status back past it (deliveries can arrive out of order).
	// +optional
	LastWebhookEvent *WebhookEventRef `json:"lastWebhookEvent,omitempty"`

	// recentWebhookIDs are the webhook-id values applied most recently (newest last), kept so
	// that a redelivered event is applied once even across receiver restarts.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	RecentWebhookIDs []string `json:"recentWebhookIDs,omitempty"`

	// lastHandledReconcileAt echoes the reconcile-requested-at annotation value the operator
	// last acted on.
	// +optional
	LastHandledReconcileAt string `json:"lastHandledReconcileAt,omitempty"`
}

// PlanRequest is a plan sent through change-plan.
type PlanRequest struct {
	// productID requested.
	// +required
	ProductID string `json:"productID"`
	// quantity requested.
	// +required
	Quantity int32 `json:"quantity"`
	// addons requested.
	// +optional
	// +listType=atomic
	Addons []Addon `json:"addons,omitempty"`
	// requestedAt is when the change was sent.
	// +required
	RequestedAt metav1.Time `json:"requestedAt"`
}

// PaymentSummary is the part of a Dodo payment that explains a subscription's state.
type PaymentSummary struct {
	// paymentID is the Dodo payment (pay_...).
	// +required
	PaymentID string `json:"paymentID"`
	// status is Dodo's payment status (succeeded, failed, processing, ...).
	// +optional
	Status string `json:"status,omitempty"`
	// declineCode is Dodo's error_code for a failed payment, for example INSUFFICIENT_FUNDS.
	// +optional
	DeclineCode string `json:"declineCode,omitempty"`
	// at is when the payment was created.
	// +optional
	At *metav1.Time `json:"at,omitempty"`
}

// WebhookEventRef identifies one webhook event.
type WebhookEventRef struct {
	// id is the webhook-id header of the delivery.
	// +required
	ID string `json:"id"`
	// type is the event type, for example subscription.on_hold.
	// +required
	Type string `json:"type"`
	// timestamp is when the event happened, as Dodo reported it, to the whole second.
	// +required
	Timestamp metav1.Time `json:"timestamp"`
	// subsecondNanos is the fraction of that second, so that two events of the same second
	// are ordered too (timestamp keeps whole seconds only).
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=999999999
	SubsecondNanos int32 `json:"subsecondNanos,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=dodosub;dsub,categories=dodo;billing
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.providerStatus`
// +kubebuilder:printcolumn:name="Product",type=string,JSONPath=`.status.productID`,description="The product Dodo bills now"
// +kubebuilder:printcolumn:name="Qty",type=integer,JSONPath=`.status.quantity`,description="The quantity Dodo bills now"
// +kubebuilder:printcolumn:name="Next Billing",type=string,JSONPath=`.status.nextBillingDate`,description="When the next charge is due (RFC 3339)"
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Synced",type=string,JSONPath=`.status.conditions[?(@.type=="Synced")].status`,description="False while calls to Dodo fail"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Subscription ID",type=string,JSONPath=`.status.subscriptionID`,priority=1
// +kubebuilder:printcolumn:name="Customer",type=string,JSONPath=`.status.customerID`,priority=1
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1

// Subscription is a Dodo Payments subscription managed from Kubernetes.
type Subscription struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired subscription.
	// +required
	Spec SubscriptionSpec `json:"spec"`

	// status is what the operator and Dodo know about it.
	// +optional
	Status SubscriptionStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// SubscriptionList is a list of Subscriptions.
type SubscriptionList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items is the list of Subscriptions.
	Items []Subscription `json:"items"`
}
