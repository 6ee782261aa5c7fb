package account

import (
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
)

// builderPredicates lets through what needs a check: a new account, a spec change, an
// annotation change (kubectl dodo refresh) and the start of a deletion. Status writes
// (the reconciler's own, the receiver's lastWebhookAt) are not: they would make every
// check cause another.
func builderPredicates() builder.Predicates {
	return builder.WithPredicates(predicate.Or[client.Object](
		predicate.GenerationChangedPredicate{},
		predicate.AnnotationChangedPredicate{},
		predicate.Funcs{UpdateFunc: deletionStarted},
	))
}

func deletionStarted(e event.UpdateEvent) bool {
	return e.ObjectOld != nil && e.ObjectNew != nil &&
		e.ObjectOld.GetDeletionTimestamp().IsZero() && !e.ObjectNew.GetDeletionTimestamp().IsZero()
}
