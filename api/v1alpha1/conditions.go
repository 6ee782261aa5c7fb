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

// Subscription reasons (Stalled and Ready). Dodo's states give Ready their own reasons too
// (OnHold, a decline code such as InsufficientFunds, Cancelled).
const (
	// ReasonPlanChangePending means a plan change was sent to Dodo and does not show yet.
	ReasonPlanChangePending = "PlanChangePending"
	// ReasonPlanChangeNotApplied means a plan change sent a while ago shows in Dodo neither
	// applied nor scheduled; it is not sent again without a person (a change-plan can
	// charge): see the resend-plan-change annotation.
	ReasonPlanChangeNotApplied = "PlanChangeNotApplied"
	// ReasonPaymentLinkExpired means the customer did not complete the payment link in time;
	// Dodo fails the subscription.
	ReasonPaymentLinkExpired = "PaymentLinkExpired"
	// ReasonPaymentLinkUnavailable means the customer must complete a payment link that the
	// operator does not know (the create's answer that carried it was lost).
	ReasonPaymentLinkUnavailable = "PaymentLinkUnavailable"
	// ReasonAdoptionRefused means the operator may not adopt the Dodo subscription the
	// spec names or a lookup found; the message says why.
	ReasonAdoptionRefused = "AdoptionRefused"
	// ReasonNotFoundInDodo means Dodo has no subscription with the recorded ID.
	ReasonNotFoundInDodo = "NotFoundInDodo"
	// ReasonChangeRefused means Dodo refused to apply a spec change; the spec must change.
	ReasonChangeRefused = "ChangeRefused"
)

// OnDemandCharge reasons. A charge's Ready, Stalled, Succeeded and Failed conditions use
// them; Events of the same kind do too.
const (
	// ReasonPending means the charge has not started.
	ReasonPending = "Pending"
	// ReasonCharging means an attempt is in flight; its outcome arrives by webhook or a
	// read of the payment.
	ReasonCharging = "Charging"
	// ReasonCharged means the charge's payment succeeded.
	ReasonCharged = "Charged"
	// ReasonSettledByDues means a payment of the subscription's dues paid the amount, so no
	// charge of its own is made.
	ReasonSettledByDues = "SettledByDues"
	// ReasonRetryScheduled means an attempt was declined and the next one is scheduled
	// (status.nextAttemptAt).
	ReasonRetryScheduled = "RetryScheduled"
	// ReasonPaymentOutcomeUnknown means an attempt may have made a payment that cannot be
	// found; a person resolves it with the resolve-attempt annotation.
	ReasonPaymentOutcomeUnknown = "PaymentOutcomeUnknown"
	// ReasonWaitingForCapacity means the cap on charges in flight (per customer or in all)
	// is reached; the charge starts when one finishes.
	ReasonWaitingForCapacity = "WaitingForCapacity"
	// ReasonSubscriptionNotFound means the referenced Subscription does not exist; the
	// charge waits for it, then fails.
	ReasonSubscriptionNotFound = "SubscriptionNotFound"
	// ReasonCurrencyMismatch means the charge's currency is not the subscription's; the
	// charge fails.
	ReasonCurrencyMismatch = "CurrencyMismatch"
	// ReasonSubscriptionCancelling means Dodo refuses charges on a subscription set to
	// cancel at the end of its period; the charge waits.
	ReasonSubscriptionCancelling = "SubscriptionCancelling"
	// ReasonSubscriptionChanged means the Subscription now manages another Dodo
	// subscription than the one earlier attempts charged.
	ReasonSubscriptionChanged = "SubscriptionChanged"
	// ReasonAwaitingCustomerAction means the payment waits for the customer (3-D Secure or
	// similar).
	ReasonAwaitingCustomerAction = "AwaitingCustomerAction"
	// ReasonHardDecline means the payment method was declined for good; the charge fails.
	ReasonHardDecline = "HardDecline"
	// ReasonAttemptsExhausted means the retry policy's maxAttempts were all declined.
	ReasonAttemptsExhausted = "AttemptsExhausted"
	// ReasonRepeatedDecline means the same decline came back, so retrying is stopped.
	ReasonRepeatedDecline = "RepeatedDecline"
	// ReasonDeclineNotRetryable means the decline is not on the retryable list; a person
	// may allow one more attempt with the allow-retry annotation.
	ReasonDeclineNotRetryable = "DeclineNotRetryable"
	// ReasonDuesPaymentUnclear means a succeeded payment may or may not have paid the
	// dues; a person checks and may allow one more attempt with the allow-retry annotation.
	ReasonDuesPaymentUnclear = "DuesPaymentUnclear"
	// ReasonRetryAllowed (an Event) means the allow-retry annotation allowed one more
	// attempt.
	ReasonRetryAllowed = "RetryAllowed"
)
