package simulator

import (
	"encoding/json"
	"html/template"
	"net/http"
	"strings"
)

var checkoutPage = template.Must(template.New("checkout").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Dodo simulator checkout {{.ID}}</title></head>
<body>
<h1>Simulated checkout</h1>
<p>Checkout <code>{{.ID}}</code> ({{.Kind}}) for subscription <code>{{.SubscriptionID}}</code>:
{{.Amount}} {{.Currency}} (minor units). Status: <strong>{{.Status}}</strong>. Expires {{.ExpiresAt}}.</p>
{{if eq .Status "open"}}
<form method="post" action="/_simulator/checkout/{{.ID}}/complete">
<label>Test card <input name="card_number" value="4242424242424242"></label>
<button type="submit">Pay</button>
</form>
<p>Declining test cards: 4000000000000002 (generic decline), 4000000000009995 (insufficient funds).</p>
{{end}}
</body></html>
`))

func (s *Simulator) httpCheckoutPage(w http.ResponseWriter, r *http.Request) {
	view, ok := s.Checkout(r.PathValue("checkout_id"))
	if !ok {
		writeError(w, notFound("checkout", r.PathValue("checkout_id")))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := checkoutPage.Execute(w, view); err != nil {
		s.log.Warn("render checkout page", "error", err)
	}
}

// httpCompleteCheckout accepts {"card_number": "..."} or a form post from
// the hosted page; an empty body uses DefaultTestCard.
func (s *Simulator) httpCompleteCheckout(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("checkout_id")
	card, err := checkoutCard(r)
	if err == nil {
		err = s.CompleteCheckout(id, card)
	}
	if err != nil {
		writeError(w, asAPIError(err))
		return
	}
	view, _ := s.Checkout(id)
	if isForm(r) {
		if view.ReturnURL != nil && *view.ReturnURL != "" {
			http.Redirect(w, r, *view.ReturnURL, http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, checkoutPathPrefix+id, http.StatusSeeOther)
		return
	}
	writeJSON(w, http.StatusOK, view)
}

func checkoutCard(r *http.Request) (string, error) {
	if isForm(r) {
		if err := r.ParseForm(); err != nil {
			return "", unprocessable(codeInvalidRequestBody, "invalid form: %v", err)
		}
		return r.PostForm.Get("card_number"), nil
	}
	raw, err := readBody(r)
	if err != nil {
		return "", nil // no body: the default card
	}
	var req CompleteCheckoutRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		return "", unprocessable(codeInvalidRequestBody, "malformed JSON body: %v", err)
	}
	return req.CardNumber, nil
}

func isForm(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded")
}
