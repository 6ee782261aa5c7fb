package simulator

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// Dodo error codes the simulator answers with (docs/dodo-api.md §6.1). The
// per-code HTTP status is not documented; the simulator uses 422 for every
// validation and state error, 404 for unknown IDs in the path.
const (
	codeInvalidRequestBody       = "INVALID_REQUEST_BODY"
	codeInvalidRequestParameters = "INVALID_REQUEST_PARAMETERS"
	codeInvalidQueryParams       = "INVALID_QUERY_PARAMS"
	codeUnauthorized             = "UNAUTHORIZED"
	codeNotFound                 = "NOT_FOUND"
	codeTooManyRequests          = "TOO_MANY_REQUESTS"
	codeInternalServerError      = "INTERNAL_SERVER_ERROR"
	codeSubscriptionInactive     = "SUBSCRIPTION_INACTIVE"
	codeSubscriptionExpired      = "SUBSCRIPTION_EXPIRED"
	codeSubscriptionNotOnDemand  = "SUBSCRIPTION_NOT_ON_DEMAND"
	codePreviousPaymentPending   = "PREVIOUS_PAYMENT_PENDING"
	codeOnDemandNotEnabled       = "ON_DEMAND_SUBSCRIPTIONS_NOT_ENABLED"
	codeOnDemandPlanChange       = "ON_DEMAND_PLAN_CHANGE_NOT_SUPPORTED"
	codeInactivePlanChange       = "INACTIVE_SUBSCRIPTION_PLAN_CHANGE_NOT_SUPPORTED"
	codeAddonsNotAllowedOnDemand = "ADDONS_NOT_ALLOWED_FOR_ON_DEMAND"
	codeDiscountNotAvailOnDemand = "DISCOUNT_NOT_AVAILABLE_FOR_ON_DEMAND"
	codeInvalidDiscountCode      = "INVALID_DISCOUNT_CODE"
	codeMissingAddonIDs          = "MISSING_ADDON_IDS"
	codeMaximumKeysReached       = "MAXIMUM_KEYS_REACHED"
	codeCheckoutNotOpen          = "CHECKOUT_NOT_OPEN"
	codeUnknownTestCard          = "UNKNOWN_TEST_CARD"
	codeBadGateway               = "BAD_GATEWAY"
)

// apiError is an error with Dodo's {code, message} body and an HTTP status.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.message) }

func (e *apiError) body() dodo.ErrorBody { return dodo.ErrorBody{Code: e.code, Message: e.message} }

func unprocessable(code, format string, args ...any) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, code: code, message: fmt.Sprintf(format, args...)}
}

func notFound(kind, id string) *apiError {
	return &apiError{status: http.StatusNotFound, code: codeNotFound, message: fmt.Sprintf("%s %s not found", kind, id)}
}

// badBody maps a decode or request validation error: a missing required
// field or malformed JSON is INVALID_REQUEST_BODY, a value the API rejects
// is INVALID_REQUEST_PARAMETERS. Both are 422 (Dodo's documented status for
// these endpoints).
func badBody(err error) *apiError {
	if errors.Is(err, dodo.ErrInvalidRequest) {
		return unprocessable(codeInvalidRequestParameters, "%v", err)
	}
	return unprocessable(codeInvalidRequestBody, "%v", err)
}

// asAPIError converts any error to an apiError (500 for unexpected ones,
// without leaking internals).
func asAPIError(err error) *apiError {
	var apiErr *apiError
	if errors.As(err, &apiErr) {
		return apiErr
	}
	return &apiError{status: http.StatusInternalServerError, code: codeInternalServerError, message: "internal server error"}
}
