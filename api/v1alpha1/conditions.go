package v1alpha1

// Condition types shared by both kinds. Reasons are stable CamelCase words; a Dodo decline
// code (for example INSUFFICIENT_FUNDS) is used as a reason where it explains the state,
// written in CamelCase (InsufficientFunds).
const (
	// ConditionReady summarises whether the object is what it should be.
	ConditionReady = "Ready"
	// ConditionSynced is True when the last reconcile against the payments API worked.
	ConditionSynced = "Synced"
	// ConditionStalled is True when progress needs a person or a spec change.
	ConditionStalled = "Stalled"
)

// Subscription condition types mirroring Dodo's states.
const (
	// ConditionActive is True while Dodo reports the subscription active.
	ConditionActive = "Active"
	// ConditionOnHold is True while Dodo holds the subscription after a failed payment.
	ConditionOnHold = "OnHold"
	// ConditionFailed is True when the subscription (or, on OnDemandCharge, the charge) has
	// failed for good.
	ConditionFailed = "Failed"
)

// OnDemandCharge condition types.
const (
	// ConditionSucceeded is True once the amount was charged.
	ConditionSucceeded = "Succeeded"
)

// Reasons used on several conditions.
const (
	// ReasonReconcileSuccess means the last reconcile against the payments API worked.
	ReasonReconcileSuccess = "ReconcileSuccess"
	// ReasonReconcileError means the last reconcile failed; the message says why.
	ReasonReconcileError = "ReconcileError"
	// ReasonPaused means the object carries the pause annotation: no API calls are made.
	ReasonPaused = "Paused"
	// ReasonCreating means the subscription is being created.
	ReasonCreating = "Creating"
	// ReasonCreateOutcomeUnknown means a create may have happened and could not be found;
	// a person must check (see the message) and adopt or retry explicitly.
	ReasonCreateOutcomeUnknown = "CreateOutcomeUnknown"
	// ReasonAwaitingPayment means the customer has to complete a payment link.
	ReasonAwaitingPayment = "AwaitingPayment"
	// ReasonAvailable means the subscription is active and in sync.
	ReasonAvailable = "Available"
	// ReasonDeleting means the object is being deleted.
	ReasonDeleting = "Deleting"
	// ReasonInvalidSpec means the payments API refused the spec; it must change.
	ReasonInvalidSpec = "InvalidSpec"
	// ReasonCredentialsInvalid means the payments API refused the operator's API key (HTTP
	// 401 or 403): nothing was done; the key or its mode (test/live) must be fixed.
	ReasonCredentialsInvalid = "CredentialsInvalid"
)
