package webhookreceiver

import "net/http"

// outcome is what became of a delivery; it is the outcome label of
// dodo_webhook_deliveries_total and decides the HTTP answer.
type outcome string

// Outcomes of a delivery.
const (
	// outcomeApplied: a status write was stored.
	outcomeApplied outcome = "applied"
	// outcomeDuplicate: the webhook-id was applied before, or the event changes nothing.
	outcomeDuplicate outcome = "duplicate"
	// outcomeStale: the object already reflects a newer event.
	outcomeStale outcome = "stale"
	// outcomeUnknownObject: no object of this operator matches the event.
	outcomeUnknownObject outcome = "unknown_object"
	// outcomeOtherAccount: the event names only objects of another account than the one
	// whose path and secret it came with. Answered like unknown_object (200): several
	// accounts may share one Dodo business, whose every endpoint gets every event, so a 4xx
	// would make Dodo retry, and then disable, an endpoint that works as it should.
	outcomeOtherAccount outcome = "other_account"
	// outcomeIgnored: an event family the receiver does not apply (refund.*, dispute.*, ...).
	outcomeIgnored outcome = "ignored"
	// outcomeNotFoundYet: a stamped object or attempt is missing within the grace period;
	// 503 so Dodo retries.
	outcomeNotFoundYet outcome = "not_found_yet"
	// outcomeUnknownAccount: an account path whose account does not exist (404).
	outcomeUnknownAccount outcome = "unknown_account"
	// outcomeNoAccountSecret: the account has no webhook secret to verify with (no
	// spec.webhook.secretRef, or its Secret or key missing or not a whsec_ value): 401, as
	// for a signature no secret matches.
	outcomeNoAccountSecret outcome = "no_account_secret"
	// outcomeRejectedSignature: missing headers, bad timestamp or no matching signature.
	outcomeRejectedSignature outcome = "rejected_signature"
	// outcomeMalformed: a verified body that is not a valid envelope.
	outcomeMalformed outcome = "malformed"
	// outcomeTooLarge: the body exceeds the limit.
	outcomeTooLarge outcome = "too_large"
	// outcomeMethodNotAllowed: not a POST.
	outcomeMethodNotAllowed outcome = "method_not_allowed"
	// outcomeUnsupportedMediaType: not application/json.
	outcomeUnsupportedMediaType outcome = "unsupported_media_type"
	// outcomeError: the API server failed, or the receiver is not ready; 5xx so Dodo retries.
	outcomeError outcome = "error"

	// outcomeMissing is a per-object result only: it becomes outcomeNotFoundYet within the
	// grace period and outcomeUnknownObject after it.
	outcomeMissing outcome = "missing"
)

// httpStatus is the answer for an outcome: 2xx only when nothing is left to do.
func httpStatus(o outcome) int {
	switch o {
	case outcomeApplied, outcomeDuplicate, outcomeStale, outcomeUnknownObject, outcomeOtherAccount, outcomeIgnored:
		return http.StatusOK
	case outcomeRejectedSignature, outcomeNoAccountSecret:
		return http.StatusUnauthorized
	case outcomeUnknownAccount:
		return http.StatusNotFound
	case outcomeMalformed:
		return http.StatusBadRequest
	case outcomeTooLarge:
		return http.StatusRequestEntityTooLarge
	case outcomeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case outcomeUnsupportedMediaType:
		return http.StatusUnsupportedMediaType
	}
	return http.StatusServiceUnavailable
}

// outcomeRank orders per-object results: the delivery's outcome is the highest ranked one,
// so one object still missing makes Dodo retry even if another object applied, and a
// redelivery reads as a duplicate even where one of its objects found it stale.
var outcomeRank = map[outcome]int{
	outcomeUnknownObject: 1,
	outcomeOtherAccount:  2,
	outcomeStale:         3,
	outcomeDuplicate:     4,
	outcomeApplied:       5,
	outcomeNotFoundYet:   6,
}

// combineOutcomes folds the results of each object an event maps to into the delivery's
// outcome. No result at all means no object matched.
func combineOutcomes(results []outcome, withinGrace bool) outcome {
	combined := outcomeUnknownObject
	for _, r := range results {
		if r == outcomeMissing {
			r = outcomeUnknownObject
			if withinGrace {
				r = outcomeNotFoundYet
			}
		}
		if outcomeRank[r] > outcomeRank[combined] {
			combined = r
		}
	}
	return combined
}
