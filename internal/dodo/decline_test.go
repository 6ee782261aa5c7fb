package dodo

import "testing"

func TestClassifyDecline(t *testing.T) {
	// Every row of Dodo's decline table; "never" marks the on-demand skip list.
	tests := []struct {
		code      string
		hard      bool
		userError bool
		never     bool
	}{
		{"AUTHENTICATION_FAILURE", false, true, true},
		{"AUTHENTICATION_REQUIRED", false, true, false},
		{"AUTHENTICATION_TIMEOUT", false, true, false},
		{"CARD_DECLINED", true, false, true},
		{"CARD_NOT_ACTIVATED", false, true, false},
		{"CARD_VELOCITY_EXCEEDED", false, true, false},
		{"CUSTOMER_CANCELLED", false, true, false},
		{"DO_NOT_HONOR", true, false, true},
		{"EXPIRED_CARD", true, true, true},
		{"FRAUDULENT", true, true, true},
		{"GENERIC_DECLINE", false, false, false},
		{"INCORRECT_CVC", false, true, false},
		{"INCORRECT_NUMBER", false, true, false},
		{"INSUFFICIENT_FUNDS", false, true, false},
		{"INVALID_ACCOUNT", true, true, true},
		{"INVALID_AMOUNT", false, true, false},
		{"INVALID_CARD_NUMBER", false, true, false},
		{"INVALID_CARD_OWNER", false, true, false},
		{"INVALID_CVC", false, true, false},
		{"INVALID_EXPIRY_YEAR", false, true, false},
		{"INVALID_PIN", false, true, false},
		{"INVALID_REQUEST", false, true, false},
		{"INVALID_UPI_ID", false, true, false},
		{"LIMIT_EXCEEDED", false, true, false},
		{"LIVE_MODE_TEST_CARD", false, true, false},
		{"LOST_CARD", true, true, true},
		{"MANDATE_INVALID", false, true, false},
		{"MANDATE_REQUIRED", false, true, false},
		{"MANDATE_REQUIRED_SYSTEM", true, false, true},
		{"NETWORK_ERROR", false, false, false},
		{"NETWORK_TIMEOUT", false, false, false},
		{"ORDER_CREATION_FAILED", false, false, false},
		{"PAYMENT_METHOD_PROVIDER_DECLINED", true, true, true},
		{"PAYMENT_METHOD_UNSUPPORTED", true, true, true},
		{"PICKUP_CARD", true, true, true},
		{"PROCESSING_ERROR", false, false, false},
		{"PROVIDER_UNSUPPORTED", true, false, true},
		{"REENTER_TRANSACTION", false, true, false},
		{"REVOCATION_OF_AUTHORIZATION", true, true, true},
		{"STOLEN_CARD", true, true, true},
		{"TRANSACTION_NOT_ALLOWED", true, true, true},
		{"TRANSACTION_NOT_APPROVED", true, true, true},
		{"TRY_AGAIN_LATER", false, false, false},
		{"UNKNOWN_ERROR", false, false, false},
	}
	// The only codes a later attempt may follow (docs/retry-policy.md).
	retryable := map[string]bool{"INSUFFICIENT_FUNDS": true, "LIMIT_EXCEEDED": true, "CARD_VELOCITY_EXCEEDED": true,
		"PROCESSING_ERROR": true, "NETWORK_ERROR": true, "NETWORK_TIMEOUT": true, "TRY_AGAIN_LATER": true}
	if len(tests) != len(DeclineCodes()) {
		t.Fatalf("test covers %d codes, table has %d", len(tests), len(DeclineCodes()))
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			got := ClassifyDecline(tt.code)
			want := DeclineClass{Known: true, Hard: tt.hard, UserError: tt.userError, NeverRetry: tt.never,
				Retryable: retryable[tt.code], HideFromCustomer: got.HideFromCustomer}
			if got != want {
				t.Errorf("ClassifyDecline(%s) = %+v, want %+v", tt.code, got, want)
			}
			if info, ok := declineCodes[DeclineCode(tt.code)]; !ok || info.Hard != tt.hard || info.UserError != tt.userError {
				t.Errorf("declineCodes[%s] = %+v, %v", tt.code, info, ok)
			}
		})
	}
}

func TestClassifyDeclineUnknownAndNormalised(t *testing.T) {
	unknown := ClassifyDecline("SOME_FUTURE_CODE")
	if unknown != (DeclineClass{}) {
		t.Errorf("unknown code = %+v, want unknown and not retryable", unknown)
	}
	if got := ClassifyDecline(" insufficient_funds "); !got.Known || got.Hard || got.NeverRetry || !got.Retryable {
		t.Errorf("lower-case soft code = %+v", got)
	}
	if got := ClassifyDecline(""); got.Known || got.Retryable {
		t.Errorf("empty code = %+v", got)
	}
}

func TestRetryableDeclineCodesAreKnownSoftAndOffTheSkipList(t *testing.T) {
	codes := RetryableDeclineCodes()
	if len(codes) != 7 {
		t.Fatalf("retryable codes %v", codes)
	}
	for _, code := range codes {
		info, known := declineCodes[code]
		if !known || info.Hard || neverRetryCodes[code] || !ClassifyDecline(string(code)).Retryable {
			t.Errorf("%s: known %v, %+v, skip list %v", code, known, info, neverRetryCodes[code])
		}
	}
}

func TestDeclineHiddenFromCustomer(t *testing.T) {
	for _, code := range []string{"STOLEN_CARD", "LOST_CARD", "PICKUP_CARD", "FRAUDULENT"} {
		if !ClassifyDecline(code).HideFromCustomer {
			t.Errorf("%s must be hidden from the customer", code)
		}
	}
	if ClassifyDecline("INSUFFICIENT_FUNDS").HideFromCustomer {
		t.Errorf("INSUFFICIENT_FUNDS hidden")
	}
}
