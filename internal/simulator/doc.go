// Package simulator is a local payments API that behaves like Dodo
// Payments on the wire (docs/dodo-api.md; its §8 is the contract).
// Tests start it in-process (New, Handler with httptest, Start, Close);
// cmd/dodo-simulator serves it.
//
// Wire types come from internal/dodo, so the client and the simulator
// cannot drift.
//
// Rules the simulator adds where Dodo's docs are silent:
//
//   - Lists sort by created_at ascending, then ID. page_size above 100 is a
//     422 INVALID_QUERY_PARAMS. Unknown path IDs are 404 NOT_FOUND; unknown
//     IDs inside a body (product, customer, payment method) are 422
//     INVALID_REQUEST_PARAMETERS; every validation/state error is 422.
//   - Creating a subscription always creates a first payment (the response's
//     payment_id): 0 for mandate-only and trials. A zero mandate emits no
//     payment event. With payment_link the link is
//     <base>/_simulator/checkout/{subscription_id}, valid CheckoutTTL (24 h);
//     expiry fails the payment (AUTHENTICATION_TIMEOUT) and the subscription.
//     Without payment_link the customer's latest saved card is used at once;
//     a customer without one gets DefaultTestCard (4242…) saved.
//   - A new-customer form with a known email reuses that customer.
//   - Declining test cards refuse every authorization including the zero
//     mandate. A +decline_<code> customer's cards refuse every charge above 0,
//     so mandate-only and trial subscriptions activate and the first real
//     charge fails. Completing an update-payment-method link with a good card
//     ends the rule for that customer.
//   - Charges, plan-change payments and dues payments are created processing
//     and settle after SettleDelay on the business clock; renewals and
//     mandates settle at once. payment.processing is not emitted.
//   - recurring_pre_tax_amount is the unit price; renewals charge it ×
//     quantity, minus downgrade credit. On-demand subscriptions have 0 and
//     their periods roll without charges.
//   - Dues are the failed payments that put or kept the subscription on_hold.
//     Paying them (one dues payment carrying the subscription metadata)
//     reactivates it; when a failed renewal was among them the billing period
//     restarts at reactivation. While a payment is in flight a new charge,
//     plan change or dues payment is refused with PREVIOUS_PAYMENT_PENDING
//     (for dues payments a convenience; see Pessimism).
//   - update-payment-method works on active and paused subscriptions (switch,
//     no charge) and on on_hold ones (dues); subscription.update_payment_method
//     is not emitted (when Dodo sends it is not documented).
//   - Metadata follows the 0.1 limits (50 keys, keys of letters, digits, '-'
//     and '_' up to 40 characters, values up to 500); values are stored as
//     strings (dodo.Metadata).
//   - PATCH metadata replaces the whole object. Every change emits its own
//     event (paused, unpaused, cancelled, plan_changed, on_hold, active,
//     renewed, …) followed by one subscription.updated.
//   - Webhook payloads are rendered at delivery time; webhook-timestamp is
//     wall-clock time (receivers check it against their clock), the envelope
//     timestamp is business time. Events of one subscription (its payments
//     included) go to one worker lane per endpoint, so first attempts keep
//     emission order; retries may overtake, as at Dodo.
//   - GET /brands answers one brand of Config.BusinessID. POST /webhooks
//     registers an endpoint with a fresh whsec_ secret (GET /webhooks/{id}/secret)
//     that receives the events its filter_types take, signed with that secret;
//     an idempotency_key already seen answers its first endpoint again (also
//     after a delete), a sixth endpoint is a 422, and filter_types outside
//     Dodo's enum are a 422. GET /webhooks answers them all on one page.
//     Config.WebhookEndpoints are not among them (fixed receivers).
//
// Config.Pessimism (Pessimistic, FullPessimism) turns off, each on its own,
// conveniences above that Dodo does not document: lists that are current,
// uncapped payment pages, the refusal of a second dues payment, and the
// subscription's metadata on mandate, renewal and dues payments
// (docs/reliability.md, "Pessimistic mode").
package simulator
