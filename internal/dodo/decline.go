package dodo

import (
	"slices"
	"strings"
)

// DeclineCode is a standardized payment failure code (Payment.error_code, 5.5).
type DeclineCode string

// Decline codes the policy refers to by name (the full set is in declineCodes).
const (
	DeclineAuthenticationFailure DeclineCode = "AUTHENTICATION_FAILURE"
	DeclineDoNotHonor            DeclineCode = "DO_NOT_HONOR"
	DeclineFraudulent            DeclineCode = "FRAUDULENT"
	DeclineLostCard              DeclineCode = "LOST_CARD"
	DeclinePickupCard            DeclineCode = "PICKUP_CARD"
	DeclineStolenCard            DeclineCode = "STOLEN_CARD"
	DeclineGenericDecline        DeclineCode = "GENERIC_DECLINE"
	DeclineInsufficientFunds     DeclineCode = "INSUFFICIENT_FUNDS"
)

// DeclineInfo describes a documented decline code.
type DeclineInfo struct {
	// Hard declines will not succeed on the same card; soft ones may.
	Hard bool
	// UserError means the customer can fix it (e.g. re-enter details).
	UserError bool
}

// declineCodes is Dodo's table of transaction failure codes (the newest version).
var declineCodes = map[DeclineCode]DeclineInfo{
	DeclineAuthenticationFailure:       {Hard: false, UserError: true},
	"AUTHENTICATION_REQUIRED":          {Hard: false, UserError: true},
	"AUTHENTICATION_TIMEOUT":           {Hard: false, UserError: true},
	"CARD_DECLINED":                    {Hard: true, UserError: false},
	"CARD_NOT_ACTIVATED":               {Hard: false, UserError: true},
	"CARD_VELOCITY_EXCEEDED":           {Hard: false, UserError: true},
	"CUSTOMER_CANCELLED":               {Hard: false, UserError: true},
	DeclineDoNotHonor:                  {Hard: true, UserError: false},
	"EXPIRED_CARD":                     {Hard: true, UserError: true},
	DeclineFraudulent:                  {Hard: true, UserError: true},
	DeclineGenericDecline:              {Hard: false, UserError: false},
	"INCORRECT_CVC":                    {Hard: false, UserError: true},
	"INCORRECT_NUMBER":                 {Hard: false, UserError: true},
	DeclineInsufficientFunds:           {Hard: false, UserError: true},
	"INVALID_ACCOUNT":                  {Hard: true, UserError: true},
	"INVALID_AMOUNT":                   {Hard: false, UserError: true},
	"INVALID_CARD_NUMBER":              {Hard: false, UserError: true},
	"INVALID_CARD_OWNER":               {Hard: false, UserError: true},
	"INVALID_CVC":                      {Hard: false, UserError: true},
	"INVALID_EXPIRY_YEAR":              {Hard: false, UserError: true},
	"INVALID_PIN":                      {Hard: false, UserError: true},
	"INVALID_REQUEST":                  {Hard: false, UserError: true},
	"INVALID_UPI_ID":                   {Hard: false, UserError: true},
	"LIMIT_EXCEEDED":                   {Hard: false, UserError: true},
	"LIVE_MODE_TEST_CARD":              {Hard: false, UserError: true},
	DeclineLostCard:                    {Hard: true, UserError: true},
	"MANDATE_INVALID":                  {Hard: false, UserError: true},
	"MANDATE_REQUIRED":                 {Hard: false, UserError: true},
	"MANDATE_REQUIRED_SYSTEM":          {Hard: true, UserError: false},
	"NETWORK_ERROR":                    {Hard: false, UserError: false},
	"NETWORK_TIMEOUT":                  {Hard: false, UserError: false},
	"ORDER_CREATION_FAILED":            {Hard: false, UserError: false},
	"PAYMENT_METHOD_PROVIDER_DECLINED": {Hard: true, UserError: true},
	"PAYMENT_METHOD_UNSUPPORTED":       {Hard: true, UserError: true},
	DeclinePickupCard:                  {Hard: true, UserError: true},
	"PROCESSING_ERROR":                 {Hard: false, UserError: false},
	"PROVIDER_UNSUPPORTED":             {Hard: true, UserError: false},
	"REENTER_TRANSACTION":              {Hard: false, UserError: true},
	"REVOCATION_OF_AUTHORIZATION":      {Hard: true, UserError: true},
	DeclineStolenCard:                  {Hard: true, UserError: true},
	"TRANSACTION_NOT_ALLOWED":          {Hard: true, UserError: true},
	"TRANSACTION_NOT_APPROVED":         {Hard: true, UserError: true},
	"TRY_AGAIN_LATER":                  {Hard: false, UserError: false},
	"UNKNOWN_ERROR":                    {Hard: false, UserError: false},
}

// neverRetryCodes is the on-demand guide's skip list. It includes
// AUTHENTICATION_FAILURE although the newer table calls it soft (card-testing risk).
var neverRetryCodes = map[DeclineCode]bool{
	DeclineStolenCard:            true,
	DeclineDoNotHonor:            true,
	DeclineFraudulent:            true,
	DeclinePickupCard:            true,
	DeclineAuthenticationFailure: true,
	DeclineLostCard:              true,
}

// retryableCodes are the only declines a later attempt may follow (docs/retry-policy.md).
// The on-demand guide: "retry only retryable failures (network/issuer errors, insufficient
// funds)". Every code here is soft in the table and about money, the issuer or the network,
// things that change with time and not with anything the customer does:
var retryableCodes = map[DeclineCode]bool{
	DeclineInsufficientFunds: true, // named by the guide; funds arrive over days
	"LIMIT_EXCEEDED":         true, // a spending limit: resets with time, like funds
	"CARD_VELOCITY_EXCEEDED": true, // a frequency limit: resets with time (the guide's spacing respects it)
	"PROCESSING_ERROR":       true, // named by the guide
	"NETWORK_ERROR":          true, // a network error, named by the guide
	"NETWORK_TIMEOUT":        true, // named by the guide
	"TRY_AGAIN_LATER":        true, // the issuer is unavailable now, named by the guide
}

// hiddenFromCustomerCodes must be shown to the customer as a generic decline.
var hiddenFromCustomerCodes = map[DeclineCode]bool{
	DeclineStolenCard: true, DeclineLostCard: true, DeclinePickupCard: true, DeclineFraudulent: true,
}

// DeclineClass is the retry-relevant classification of a decline code.
type DeclineClass struct {
	// Known is false for codes not in the documented table.
	Known bool
	// Hard declines will not succeed on the same card.
	Hard bool
	// UserError means the customer can fix it.
	UserError bool
	// NeverRetry is Hard or in the on-demand guide's skip list: charging the
	// same method again is against policy.
	NeverRetry bool
	// Retryable: a later attempt may follow this decline (retryableCodes). False for
	// every other code, unknown and empty ones included.
	Retryable bool
	// HideFromCustomer: show a generic decline instead of the code.
	HideFromCustomer bool
}

// ClassifyDecline classifies a Payment.error_code. Matching ignores case and
// surrounding space. An unknown or empty code is not retryable: only declines
// known to be retryable are (docs/retry-policy.md).
func ClassifyDecline(code string) DeclineClass {
	normalized := DeclineCode(strings.ToUpper(strings.TrimSpace(code)))
	info, known := declineCodes[normalized]
	neverRetry := info.Hard || neverRetryCodes[normalized]
	return DeclineClass{
		Known:            known,
		Hard:             info.Hard,
		UserError:        info.UserError,
		NeverRetry:       neverRetry,
		Retryable:        known && !neverRetry && retryableCodes[normalized],
		HideFromCustomer: hiddenFromCustomerCodes[normalized],
	}
}

// RetryableDeclineCodes returns the codes a later attempt may follow, sorted.
func RetryableDeclineCodes() []DeclineCode {
	codes := make([]DeclineCode, 0, len(retryableCodes))
	for code := range retryableCodes {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	return codes
}

// DeclineCodes returns every documented decline code, in no particular order. The
// controllers' tests walk the whole table with it.
func DeclineCodes() []DeclineCode {
	codes := make([]DeclineCode, 0, len(declineCodes))
	for code := range declineCodes {
		codes = append(codes, code)
	}
	return codes
}
