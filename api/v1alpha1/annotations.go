package v1alpha1

// Annotations users set on Subscriptions and OnDemandCharges. They live with the API types
// because they are part of the API: users write them, both controllers read them.
const (
	// AnnotationPaused "true" stops every call to Dodo for the object (Synced=False,
	// reason Paused): no reads, no writes, no charge attempts.
	AnnotationPaused = "billing.dodo-operator.io/paused"
	// AnnotationReconcileRequestedAt asks for a read of Dodo now when its value changes; the
	// value handled is echoed in a Subscription's status.lastHandledReconcileAt.
	AnnotationReconcileRequestedAt = "billing.dodo-operator.io/reconcile-requested-at"
)
