package dodo

import (
	"fmt"
	"unicode/utf8"
)

// Metadata limits of Dodo's metadata guide (docs/dodo-api.md §1).
const (
	MaxMetadataKeys        = 50
	MaxMetadataKeyLength   = 40
	MaxMetadataValueLength = 500
)

// ValidateMetadata checks the documented limits: at most 50 pairs, keys of
// 1-40 letters, digits, '-' or '_', values of at most 500 characters. The
// client checks it before sending so a bad key never costs a 422.
func ValidateMetadata(m Metadata) error {
	if len(m) > MaxMetadataKeys {
		return fmt.Errorf("metadata has %d keys, at most %d allowed: %w", len(m), MaxMetadataKeys, ErrInvalidRequest)
	}
	for key, value := range m {
		if !validMetadataKey(key) {
			return fmt.Errorf("metadata key %q must be 1-%d letters, digits, '-' or '_': %w", key, MaxMetadataKeyLength, ErrInvalidRequest)
		}
		if utf8.RuneCountInString(value) > MaxMetadataValueLength {
			return fmt.Errorf("metadata value of %q exceeds %d characters: %w", key, MaxMetadataValueLength, ErrInvalidRequest)
		}
	}
	return nil
}

func validMetadataKey(key string) bool {
	if key == "" || len(key) > MaxMetadataKeyLength {
		return false
	}
	for _, r := range key {
		isAlnum := (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
		if !isAlnum && r != '-' && r != '_' {
			return false
		}
	}
	return true
}
