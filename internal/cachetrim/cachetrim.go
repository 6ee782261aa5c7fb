// Package cachetrim says what the two processes' caches hold: which namespaces
// (--watch-namespaces), and without what neither process reads, so that an informer's copy
// of a Subscription costs little more than its spec and status.
package cachetrim

import (
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
)

// Namespaces is the cache's namespace scope for a comma-separated list; nil (every
// namespace) for an empty one. Namespaced objects outside it are never seen: not
// reconciled, and not changed by a webhook delivery.
func Namespaces(list string) map[string]cache.Config {
	var out map[string]cache.Config
	for _, ns := range strings.Split(list, ",") {
		if ns = strings.TrimSpace(ns); ns != "" {
			if out == nil {
				out = map[string]cache.Config{}
			}
			out[ns] = cache.Config{}
		}
	}
	return out
}

// LastAppliedAnnotation is written by `kubectl apply` and by Argo CD's client-side apply:
// a second copy of the whole spec, often the largest part of a GitOps-managed object.
const LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// Transform strips managedFields and the last-applied annotation, and gives the strings
// every object repeats (conditions, namespace, status enums) one shared copy. Safe because
// neither process writes an object whole from the cache: metadata changes are merge patches
// computed between two cached copies (both without these fields), and status writes go to
// the status subresource, which ignores metadata; interned strings are equal values.
func Transform() toolscache.TransformFunc {
	shared := &interner{strings: map[string]string{}}
	return func(in any) (any, error) {
		shared.object(in)
		obj, err := meta.Accessor(in)
		if err != nil {
			return in, nil //nolint:nilerr // not an object (a tombstone): keep it as it is
		}
		obj.SetManagedFields(nil)
		if annotations := obj.GetAnnotations(); annotations[LastAppliedAnnotation] != "" {
			trimmed := make(map[string]string, len(annotations)-1)
			for k, v := range annotations {
				if k != LastAppliedAnnotation {
					trimmed[k] = v
				}
			}
			obj.SetAnnotations(trimmed)
		}
		return in, nil
	}
}
