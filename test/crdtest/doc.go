// Package crdtest tests the generated CRDs against a real kube-apiserver: that the samples
// are accepted, that bad objects are refused with messages a person understands, and that
// the status subresource and kubectl's printer columns work.
package crdtest
