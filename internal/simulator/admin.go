package simulator

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strings"
	"time"
)

// Admin routes live under /_simulator/, apart from the Dodo API. With
// Config.AdminToken set they need "Authorization: Bearer <admin token>",
// except the hosted checkout pages, which play the customer's browser.
const (
	AdminRouteClock            = "GET /_simulator/clock"
	AdminRouteClockAdvance     = "POST /_simulator/clock/advance"
	AdminRouteClockSet         = "POST /_simulator/clock/set"
	AdminRouteGetEndpoints     = "GET /_simulator/webhook-endpoints"
	AdminRoutePutEndpoints     = "PUT /_simulator/webhook-endpoints"
	AdminRouteGetFaults        = "GET /_simulator/faults"
	AdminRouteSetFaults        = "POST /_simulator/faults"
	AdminRouteState            = "GET /_simulator/state"
	AdminRouteRequests         = "GET /_simulator/requests"
	AdminRouteFlushWebhooks    = "POST /_simulator/webhooks/flush"
	AdminRouteCheckoutPage     = "GET /_simulator/checkout/{checkout_id}"
	AdminRouteCheckoutComplete = "POST /_simulator/checkout/{checkout_id}/complete"
)

// ClockView is the body of the clock admin routes.
type ClockView struct {
	Now time.Time `json:"now"`
}

// AdvanceRequest is the body of POST /_simulator/clock/advance.
type AdvanceRequest struct {
	Duration Duration `json:"duration"`
}

// SetTimeRequest is the body of POST /_simulator/clock/set.
type SetTimeRequest struct {
	Time time.Time `json:"time"`
}

// EndpointsRequest is the body of PUT /_simulator/webhook-endpoints.
type EndpointsRequest struct {
	Endpoints []WebhookEndpoint `json:"endpoints"`
}

// EndpointView lists an endpoint without its secrets.
type EndpointView struct {
	URL string `json:"url"`
}

// FlushRequest is the body of POST /_simulator/webhooks/flush.
type FlushRequest struct {
	Timeout Duration `json:"timeout"`
}

// CompleteCheckoutRequest is the body of POST /_simulator/checkout/{id}/complete
// (JSON, or a form with field card_number).
type CompleteCheckoutRequest struct {
	CardNumber string `json:"card_number"`
}

func (s *Simulator) adminRoutes(mux *http.ServeMux) {
	admin := func(pattern string, h apiHandler) { mux.Handle(pattern, s.withAdmin(h)) }
	admin(AdminRouteClock, func(*http.Request) (any, error) { return ClockView{Now: s.Now()}, nil })
	admin(AdminRouteClockAdvance, s.httpAdvance)
	admin(AdminRouteClockSet, s.httpSetTime)
	admin(AdminRouteGetEndpoints, s.httpGetEndpoints)
	admin(AdminRoutePutEndpoints, s.httpPutEndpoints)
	admin(AdminRouteGetFaults, func(*http.Request) (any, error) { return s.Faults(), nil })
	admin(AdminRouteSetFaults, s.httpSetFaults)
	admin(AdminRouteState, func(*http.Request) (any, error) { return s.State(), nil })
	admin(AdminRouteRequests, func(*http.Request) (any, error) { return s.RequestStats(), nil })
	admin(AdminRouteFlushWebhooks, s.httpFlush)
	mux.HandleFunc(AdminRouteCheckoutPage, s.httpCheckoutPage)
	mux.HandleFunc(AdminRouteCheckoutComplete, s.httpCompleteCheckout)
}

func (s *Simulator) withAdmin(h apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.AdminToken != "" {
			token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.AdminToken)) != 1 {
				writeError(w, &apiError{status: http.StatusUnauthorized, code: codeUnauthorized, message: "missing or invalid admin token"})
				return
			}
		}
		body, err := h(r)
		if err != nil {
			writeError(w, asAPIError(err))
			return
		}
		writeJSON(w, http.StatusOK, body)
	})
}

func (s *Simulator) httpAdvance(r *http.Request) (any, error) {
	var req AdvanceRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	return ClockView{Now: s.Advance(time.Duration(req.Duration))}, nil
}

func (s *Simulator) httpSetTime(r *http.Request) (any, error) {
	var req SetTimeRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if req.Time.IsZero() {
		return nil, unprocessable(codeInvalidRequestBody, "time is required")
	}
	return ClockView{Now: s.SetTime(req.Time)}, nil
}

func (s *Simulator) httpGetEndpoints(*http.Request) (any, error) {
	endpoints := s.WebhookEndpoints()
	views := make([]EndpointView, 0, len(endpoints))
	for _, ep := range endpoints {
		views = append(views, EndpointView{URL: ep.URL})
	}
	return views, nil
}

func (s *Simulator) httpPutEndpoints(r *http.Request) (any, error) {
	var req EndpointsRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if err := s.SetWebhookEndpoints(req.Endpoints); err != nil {
		return nil, unprocessable(codeInvalidRequestParameters, "%v", err)
	}
	return s.httpGetEndpoints(r)
}

func (s *Simulator) httpSetFaults(r *http.Request) (any, error) {
	var req Faults
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if err := s.SetFaults(req); err != nil {
		return nil, unprocessable(codeInvalidRequestParameters, "%v", err)
	}
	return s.Faults(), nil
}

func (s *Simulator) httpFlush(r *http.Request) (any, error) {
	req := FlushRequest{Timeout: Duration(10 * time.Second)}
	if r.ContentLength != 0 {
		if err := decodeBody(r, &req); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Duration(req.Timeout))
	defer cancel()
	if err := s.Flush(ctx); err != nil {
		return nil, &apiError{status: http.StatusGatewayTimeout, code: "WEBHOOKS_PENDING", message: err.Error()}
	}
	return map[string]bool{"flushed": true}, nil
}
