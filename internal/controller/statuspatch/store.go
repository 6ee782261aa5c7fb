package statuspatch

import (
	"context"

	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// StoreNow writes a change to obj's status at once, outside the reconcile's one status
// write, for a fact that must not wait for it: an ID Dodo just returned, which a
// conflicting end-of-reconcile write would drop. mutate makes the change on a copy and
// reports whether a write is needed. The first try starts from obj (just written, so
// usually current); a conflict reads the stored copy through reader and tries again.
// It returns the stored copy, which the reconcile should go on from.
func StoreNow[T client.Object](ctx context.Context, c client.Client, reader client.Reader, obj T,
	mutate func(T) (bool, error)) (T, error) {
	current := obj.DeepCopyObject().(T)
	fresh := true // current is obj as the reconcile last wrote it
	err := retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		if !fresh {
			current = obj.DeepCopyObject().(T)
			if err := reader.Get(ctx, client.ObjectKeyFromObject(obj), current); err != nil {
				return err
			}
		}
		write, err := mutate(current)
		if err != nil || !write {
			return err
		}
		if err := c.Status().Update(ctx, current); err != nil {
			fresh = false
			return err
		}
		return nil
	})
	return current, err
}

// copyable is a pointer to an API type that can deep-copy itself into another of its kind.
type copyable[T any] interface {
	client.Object
	DeepCopyInto(T)
}

// StoreNowAndGoOn is StoreNow for a reconcile that goes on from the stored copy: obj
// becomes that copy, and the returned copy is the reconcile's new starting point (the
// "before" its own status write is compared with).
func StoreNowAndGoOn[T copyable[T]](ctx context.Context, c client.Client, reader client.Reader, obj T,
	mutate func(T) (bool, error)) (T, error) {
	stored, err := StoreNow(ctx, c, reader, obj, mutate)
	if err != nil {
		var none T
		return none, err
	}
	stored.DeepCopyInto(obj)
	return stored, nil
}
