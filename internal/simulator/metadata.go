package simulator

import (
	"maps"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// Metadata limits of the metadata guide (docs/dodo-api.md §1).
const (
	maxMetadataKeys     = 50
	maxMetadataKeyLen   = 40
	maxMetadataValueLen = 500
)

// validateMetadata enforces the documented limits: more than 50 pairs is
// MAXIMUM_KEYS_REACHED; long or non [A-Za-z0-9_-] keys and long values are
// INVALID_REQUEST_PARAMETERS.
func validateMetadata(m dodo.Metadata) error {
	if len(m) > maxMetadataKeys {
		return unprocessable(codeMaximumKeysReached, "metadata has %d keys; at most %d are allowed", len(m), maxMetadataKeys)
	}
	for key, value := range m {
		if key == "" || len(key) > maxMetadataKeyLen || !validMetadataKey(key) {
			return unprocessable(codeInvalidRequestParameters,
				"metadata key %q must be 1-%d characters of letters, digits, '-' or '_'", key, maxMetadataKeyLen)
		}
		if len(value) > maxMetadataValueLen {
			return unprocessable(codeInvalidRequestParameters, "metadata value of %q is longer than %d characters", key, maxMetadataValueLen)
		}
	}
	return nil
}

func validMetadataKey(key string) bool {
	for _, r := range key {
		if r != '-' && !isDeclineCodeRune(r) {
			return false
		}
	}
	return true
}

// cloneMetadata copies m; nil becomes {} (Dodo's default).
func cloneMetadata(m dodo.Metadata) dodo.Metadata {
	if m == nil {
		return dodo.Metadata{}
	}
	return maps.Clone(m)
}

// cloneMetadataOrNil copies m but keeps nil, meaning "use the default".
func cloneMetadataOrNil(m dodo.Metadata) dodo.Metadata {
	if m == nil {
		return nil
	}
	return maps.Clone(m)
}
