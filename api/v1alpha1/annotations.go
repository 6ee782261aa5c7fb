package v1alpha1

// Annotations users set on Subscriptions and OnDemandCharges. They live with the API types
// because they are part of the API: users write them, the controllers and the kubectl-dodo
// plugin read or write them.
const (
	// AnnotationPaused "true" stops every call to Dodo for the object (Synced=False,
	// reason Paused): no reads, no writes, no charge attempts.
	AnnotationPaused = "billing.dodo-operator.io/paused"
	// AnnotationReconcileRequestedAt asks for a read of Dodo now when its value changes; the
	// value handled is echoed in a Subscription's status.lastHandledReconcileAt.
	AnnotationReconcileRequestedAt = "billing.dodo-operator.io/reconcile-requested-at"
	// AnnotationResyncInterval, on a Subscription, overrides how often Dodo is read, as a
	// Go duration ("30m"); values below one minute or unparsable are ignored.
	AnnotationResyncInterval = "billing.dodo-operator.io/resync-interval"
	// AnnotationResolveAttempt, on an OnDemandCharge stalled with reason
	// PaymentOutcomeUnknown, resolves the attempt whose outcome could not be decided:
	// "<attempt>:<payment ID>" names its payment, "<attempt>:none" says it made none (and
	// it is made again). `kubectl dodo resolve` sets it.
	AnnotationResolveAttempt = "billing.dodo-operator.io/resolve-attempt"
	// AnnotationAllowRetry "<attempt>", on an OnDemandCharge, allows one more attempt after
	// that declined attempt when the policy would not make one by itself: a decline not on
	// the retryable list, or a succeeded payment that may or may not have paid the dues. It
	// never overrides a hard or skip-list decline, a repeated decline or maxAttempts
	// (docs/retry-policy.md).
	AnnotationAllowRetry = "billing.dodo-operator.io/allow-retry"
	// AnnotationResendPlanChange "<requestedAt>", on a Subscription whose Ready says
	// PlanChangeNotApplied, sends that change-plan once more: the value is
	// status.lastPlanChangeRequest.requestedAt (RFC 3339), so one annotation allows one
	// resend. Set it only after checking in Dodo that the change is not there (a
	// change-plan can charge).
	AnnotationResendPlanChange = "billing.dodo-operator.io/resend-plan-change"
)
