package webhookreceiver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"
)

// errNotReady answers 503 while the cache has not synced.
var errNotReady = errors.New("receiver not ready: cache not synced")

// handled is the result of one request, for the answer, the metrics and the log.
type handled struct {
	outcome   outcome
	eventType string
	webhookID string
	// account names the account of a verified delivery ("default" on the default path).
	account string
	err     error
}

// ServeHTTP handles one delivery. It answers 2xx only after every status write the event
// needs is stored, or when there is nothing to write (duplicate, stale, unknown object,
// ignored type).
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	h := r.handle(w, req)
	r.metrics.count(h.eventType, h.outcome)
	r.logHandled(h)
	if h.outcome == outcomeMethodNotAllowed {
		w.Header().Set("Allow", http.MethodPost)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(httpStatus(h.outcome))
	_, _ = fmt.Fprintf(w, "{\"outcome\":%q}\n", h.outcome)
}

func (r *Receiver) handle(w http.ResponseWriter, req *http.Request) handled {
	h := handled{eventType: typeUnknown}
	if req.Method != http.MethodPost {
		h.outcome = outcomeMethodNotAllowed
		return h
	}
	if !isJSON(req.Header.Get("Content-Type")) {
		h.outcome = outcomeUnsupportedMediaType
		return h
	}
	body, tooLarge, err := readBody(w, req, r.maxBodyBytes)
	if err != nil {
		h.outcome, h.err = outcomeMalformed, err
		if tooLarge {
			h.outcome = outcomeTooLarge
		}
		return h
	}
	started := time.Now()
	d, acct, o, err := r.verifyRequest(req.Context(), req.URL.Path, req.Header, body)
	r.metrics.observeVerify(time.Since(started))
	if o != "" {
		h.outcome, h.err = o, err
		return h
	}
	h.eventType, h.webhookID, h.account = typeLabel(d.Event.Type), d.ID, d.account.String()
	h.outcome, h.err = r.applyInTime(req.Context(), d)
	if acct != nil && httpStatus(h.outcome) == http.StatusOK {
		r.noteAccepted(req.Context(), acct)
	}
	return h
}

// applyInTime applies a delivery within the apply timeout. It does not stop when Dodo
// hangs up: finishing the write is cheaper than repeating it.
func (r *Receiver) applyInTime(parent context.Context, d delivery) (outcome, error) {
	if !r.ready() {
		return outcomeError, errNotReady
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), r.applyTimeout)
	defer cancel()
	started := time.Now()
	o, err := r.apply(ctx, d)
	r.metrics.observeApply(time.Since(started))
	return o, err
}

// readBody reads at most limit bytes; tooLarge reports a body over the limit.
func readBody(w http.ResponseWriter, req *http.Request, limit int64) (body []byte, tooLarge bool, err error) {
	if req.ContentLength > limit {
		return nil, true, fmt.Errorf("body of %d bytes exceeds the %d byte limit", req.ContentLength, limit)
	}
	body, err = io.ReadAll(http.MaxBytesReader(w, req.Body, limit))
	if err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return nil, true, fmt.Errorf("body exceeds the %d byte limit", limit)
		}
		return nil, false, fmt.Errorf("reading body: %w", err)
	}
	return body, false, nil
}

func isJSON(contentType string) bool {
	mediaType, _, err := mime.ParseMediaType(contentType)
	return err == nil && mediaType == "application/json"
}

// logHandled logs failures that need a person at the default verbosity, and refusals only
// at V(1) (anyone can send garbage; the metrics count it). Errors carry no payload.
func (r *Receiver) logHandled(h handled) {
	switch h.outcome {
	case outcomeError:
		r.log.Error(h.err, "Webhook not applied; answered 5xx so Dodo retries", "type", h.eventType, "webhookID", h.webhookID,
			"account", h.account)
	case outcomeNotFoundYet:
		r.log.Info("Webhook names an object that does not exist yet; answered 503 so Dodo retries",
			"type", h.eventType, "webhookID", h.webhookID, "account", h.account)
	case outcomeRejectedSignature, outcomeMalformed, outcomeTooLarge, outcomeMethodNotAllowed, outcomeUnsupportedMediaType,
		outcomeUnknownAccount, outcomeNoAccountSecret:
		r.log.V(1).Info("Webhook refused", "outcome", h.outcome, "reason", fmt.Sprint(h.err))
	default:
		r.log.V(1).Info("Webhook handled", "outcome", h.outcome, "type", h.eventType, "webhookID", h.webhookID, "account", h.account)
	}
}
