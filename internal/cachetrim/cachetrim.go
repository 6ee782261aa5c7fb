// Package cachetrim drops from cached objects what neither process reads, so that an
// informer's copy of a Subscription costs little more than its spec and status.
package cachetrim

import (
	"k8s.io/apimachinery/pkg/api/meta"
	toolscache "k8s.io/client-go/tools/cache"
)

// LastAppliedAnnotation is written by `kubectl apply` and by Argo CD's client-side apply:
// a second copy of the whole spec, often the largest part of a GitOps-managed object.
const LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// Transform strips managedFields and the last-applied annotation. Safe because neither
// process writes an object whole from the cache: metadata changes are merge patches
// computed between two cached copies (both without these fields), and status writes go to
// the status subresource, which ignores metadata.
func Transform() toolscache.TransformFunc {
	return func(in any) (any, error) {
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
