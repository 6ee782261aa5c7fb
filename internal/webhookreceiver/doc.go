// Package webhookreceiver turns Dodo's signed webhooks into Subscription and OnDemandCharge
// status, so that on_hold, active and failed show up as Kubernetes conditions within
// seconds of Dodo sending them (issue 5).
//
// A delivery goes through these steps, each with a cheap refusal that changes nothing:
//
//	POST only (405), application/json (415), body limit (413), Standard Webhooks
//	signature over the raw bytes with the primary or the previous secret and a timestamp
//	tolerance checked against the injected clock (401), envelope decode (400), then apply.
//
// Apply maps the event to its objects and writes their status with optimistic concurrency:
// a read, a change of the receiver's own fields only, Status().Update, and a retry on
// conflict. The first read comes from the cache; a write based on a stale copy conflicts,
// and every outcome but a write (duplicate, stale, not found) is decided again from a
// fresh read of the API server, so a lagging cache can cost a retry, never an event.
// Dodo gets a 2xx only once the
// write is stored; an API-server error, or a stamped object not found within the grace
// period after the event, answers 503 so that Dodo delivers again.
//
// Accounts. Each Dodo account has its own path (accounts.Key.WebhookPath): a delivery
// there is verified with that account's spec.webhook.secretRef or previousSecretRef, read
// from the Secrets with GET and cached for a minute (at once again when a signature fails,
// so a rotation needs no restart), and applied only to objects of that account: a
// Subscription whose spec.accountRef names it, an OnDemandCharge whose status.accountRef
// does (or, before its status records one, whose Subscription's does). Every other path is
// the default account's, verified with the configured secrets and applied to objects
// without accountRef, as before accounts. The field indexes hold the account with each ID,
// since Dodo IDs are unique only within one business. An unknown account answers 404, one
// without a usable secret 401; a verified event that names only another account's objects
// answers 200 and writes nothing (outcome other_account: accounts sharing one Dodo
// business each get every event). The receiver records the account's status.lastWebhookAt
// at most once a minute.
//
// Mapping. A subscription is found by status.subscriptionID through a field index on a
// controller-runtime cache (cheap, no API-server list per delivery), or, before the ID is
// recorded, by the namespace/name/UID the operator stamps in the Dodo metadata (a direct
// read). A payment goes to the Subscription named by its subscription_id, and to the
// OnDemandCharge named by a charge stamp (k8s_charge_key present) or whose attempts hold the
// payment ID (a second field index: dues payments carry the subscription's stamp, not the
// charge's).
//
// Ordering and duplicates. Deliveries repeat and arrive out of order. A webhook-id already
// in status.recentWebhookIDs is a duplicate; an event that would change nothing is one too
// (same content under a new id). On a Subscription, subscription.* events are ordered by
// their timestamps, to the nanosecond Dodo sends (status keeps the second and its fraction),
// through providerstate.IsStaleEvent against status.lastWebhookEvent (the newest
// subscription event mirrored); payment events are ordered by the payment itself
// (see paymentSupersedes), so neither kind can block the other and every delivery order
// converges on the same status. A charge attempt's Succeeded or Failed outcome is final.
//
// Field ownership. The receiver writes the provider mirror and the Active, OnHold and
// Failed conditions (through providerstate), lastPayment, lastWebhookEvent and
// recentWebhookIDs on a Subscription, and the matching attempt plus recentWebhookIDs on an
// OnDemandCharge. Once the controller has recorded the subscription's ID it also sets a
// Subscription's Ready, with the controller's own function (providerstate.ReadyCondition)
// and from what the object records, so the controller's reconcile after the write finds
// nothing to change. It never writes spec, metadata, finalizers or the controllers' other
// fields (subscriptionID included). The status write is itself the nudge: the controllers
// watch their objects and reconcile on status changes.
package webhookreceiver
