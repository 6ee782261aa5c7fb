package v1alpha1

// DeletionPolicy says what happens to the Dodo subscription when its Subscription is deleted.
// +kubebuilder:validation:Enum=Cancel;CancelAtPeriodEnd;Orphan
type DeletionPolicy string

const (
	// DeletionPolicyCancel cancels the subscription at once.
	DeletionPolicyCancel DeletionPolicy = "Cancel"
	// DeletionPolicyCancelAtPeriodEnd schedules cancellation at the next billing date: the
	// customer keeps what they paid for, and a mistaken deletion can be undone until then.
	DeletionPolicyCancelAtPeriodEnd DeletionPolicy = "CancelAtPeriodEnd"
	// DeletionPolicyOrphan leaves the subscription untouched in Dodo.
	DeletionPolicyOrphan DeletionPolicy = "Orphan"
)

// ManagementPolicy says whether the operator may write to the payments API.
// +kubebuilder:validation:Enum=Managed;ObserveOnly
type ManagementPolicy string

const (
	// ManagementPolicyManaged creates, updates and cancels the subscription to match the spec.
	ManagementPolicyManaged ManagementPolicy = "Managed"
	// ManagementPolicyObserveOnly only reads the adopted subscription; it never writes.
	ManagementPolicyObserveOnly ManagementPolicy = "ObserveOnly"
)

// SubscriptionSpec is the desired state of a Dodo Payments subscription.
// +kubebuilder:validation:XValidation:rule="!has(self.onDemand) || !has(self.addons) || size(self.addons) == 0",message="addons are not allowed on an on-demand subscription"
// +kubebuilder:validation:XValidation:rule="!has(self.onDemand) || !has(self.discountCodes) || size(self.discountCodes) == 0",message="discountCodes are not available for an on-demand subscription"
// +kubebuilder:validation:XValidation:rule="has(self.onDemand) == has(oldSelf.onDemand)",message="onDemand cannot be added or removed after creation"
// +kubebuilder:validation:XValidation:rule="has(self.paymentLink) == has(oldSelf.paymentLink) && (!has(self.paymentLink) || self.paymentLink == oldSelf.paymentLink)",message="paymentLink is used only when the subscription is created in Dodo and cannot change afterwards"
// +kubebuilder:validation:XValidation:rule="has(self.returnURL) == has(oldSelf.returnURL) && (!has(self.returnURL) || self.returnURL == oldSelf.returnURL)",message="returnURL is used only when the subscription is created in Dodo and cannot change afterwards"
// +kubebuilder:validation:XValidation:rule="has(self.trialPeriodDays) == has(oldSelf.trialPeriodDays) && (!has(self.trialPeriodDays) || self.trialPeriodDays == oldSelf.trialPeriodDays)",message="trialPeriodDays is used only when the subscription is created in Dodo and cannot change afterwards"
// +kubebuilder:validation:XValidation:rule="has(self.discountCodes) == has(oldSelf.discountCodes) && (!has(self.discountCodes) || self.discountCodes == oldSelf.discountCodes)",message="discountCodes is used only when the subscription is created in Dodo and cannot change afterwards"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.adopt) || (has(self.adopt) && self.adopt == oldSelf.adopt)",message="adopt cannot be changed or removed once set"
// +kubebuilder:validation:XValidation:rule="!has(self.managementPolicy) || self.managementPolicy != 'ObserveOnly' || has(self.adopt)",message="managementPolicy ObserveOnly needs adopt.subscriptionID: there is nothing to observe otherwise"
// +kubebuilder:validation:XValidation:rule="has(self.accountRef) == has(oldSelf.accountRef) && (!has(self.accountRef) || self.accountRef == oldSelf.accountRef)",message="accountRef cannot change: the Dodo subscription lives in the account it was created or adopted in"
type SubscriptionSpec struct {
	// accountRef names the Dodo account (API key and business) the subscription lives in:
	// a DodoAccount in this namespace or a ClusterDodoAccount that admits it. Without it the
	// operator's own credentials are used. It cannot change.
	// +optional
	AccountRef *AccountReference `json:"accountRef,omitempty"`

	// productID is the Dodo subscription product (pdt_...). Changing it changes the plan
	// through change-plan, billed according to planChange.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	ProductID string `json:"productID"`

	// quantity is the number of units; at least 1. Changing it goes through change-plan.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100000
	Quantity int32 `json:"quantity"`

	// customer is the paying customer: an existing one by id, or a new one by email.
	// It cannot change after creation.
	// +required
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="customer is immutable: a subscription cannot move to another customer"
	Customer CustomerSpec `json:"customer"`

	// billing is the customer's billing address.
	// +required
	Billing BillingAddress `json:"billing"`

	// onDemand makes this an on-demand subscription, charged through OnDemandCharge objects
	// instead of on a schedule. It cannot be added or removed after creation.
	// +optional
	OnDemand *OnDemandSpec `json:"onDemand,omitempty"`

	// paymentLink asks Dodo for a hosted payment link at creation; the link and its expiry
	// appear in status. Defaults to false (a saved payment method of the customer is used).
	// Used at creation only: it cannot change afterwards.
	// +optional
	PaymentLink *bool `json:"paymentLink,omitempty"`

	// returnURL is where the hosted payment page sends the customer afterwards.
	// Used at creation only: it cannot change afterwards.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="isURL(self)",message="returnURL must be an absolute URL"
	ReturnURL string `json:"returnURL,omitempty"`

	// trialPeriodDays overrides the product's trial length, 0 to 10000 days.
	// Used at creation only: it cannot change afterwards.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=10000
	TrialPeriodDays *int32 `json:"trialPeriodDays,omitempty"`

	// discountCodes are stacked discount codes, applied in order (at most 20).
	// Used at creation only: they cannot change afterwards.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=20
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=64
	DiscountCodes []string `json:"discountCodes,omitempty"`

	// addons attached to the subscription. Changing them goes through change-plan.
	// +optional
	// +listType=map
	// +listMapKey=addonID
	// +kubebuilder:validation:MaxItems=50
	Addons []Addon `json:"addons,omitempty"`

	// metadata is copied to the Dodo subscription. Keys are 1-40 letters, digits, '-' or '_';
	// values at most 500 characters; at most 47 pairs (Dodo allows 50 and the operator stamps
	// three keys starting with "k8s_", a prefix reserved for it).
	// +optional
	// +kubebuilder:validation:MaxProperties=47
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^[A-Za-z0-9_-]{1,40}$'))",message="metadata keys must be 1-40 letters, digits, '-' or '_'"
	// +kubebuilder:validation:XValidation:rule="self.all(k, !k.startsWith('k8s_'))",message="metadata keys starting with k8s_ are reserved for the operator"
	// +kubebuilder:validation:XValidation:rule="self.all(k, size(self[k]) <= 500)",message="metadata values must be at most 500 characters"
	Metadata map[string]string `json:"metadata,omitempty"`

	// taxID is the customer's B2B tax ID; Dodo rejects an invalid one.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	TaxID string `json:"taxID,omitempty"`

	// planChange says how product, quantity and addon changes are billed.
	// +optional
	PlanChange *PlanChangeSpec `json:"planChange,omitempty"`

	// cancelAtNextBillingDate schedules (true) or unschedules (false) cancellation at the end
	// of the current period. Unset leaves Dodo's value alone.
	// +optional
	CancelAtNextBillingDate *bool `json:"cancelAtNextBillingDate,omitempty"`

	// paymentMethod asks for the subscription's payment method to change. On an on_hold
	// subscription this is the reactivation path: Dodo charges the dues with it.
	// +optional
	PaymentMethod *PaymentMethodSpec `json:"paymentMethod,omitempty"`

	// deletionPolicy says what deleting this object does to the Dodo subscription.
	// Defaults to CancelAtPeriodEnd.
	// +optional
	DeletionPolicy DeletionPolicy `json:"deletionPolicy,omitempty"`

	// adopt takes over an existing Dodo subscription instead of creating one. Adoption is
	// always explicit: the operator never takes over a subscription it did not create
	// unless named here. Once set it cannot change.
	// +optional
	Adopt *AdoptSpec `json:"adopt,omitempty"`

	// managementPolicy is Managed (default: create, update, cancel) or ObserveOnly (read the
	// adopted subscription, never write to the payments API).
	// +optional
	ManagementPolicy ManagementPolicy `json:"managementPolicy,omitempty"`
}

// CustomerSpec names an existing customer, or describes a new one. Exactly one of id and
// email is set.
// +kubebuilder:validation:XValidation:rule="has(self.id) != has(self.email)",message="set exactly one of customer.id (an existing customer) or customer.email (a new customer)"
// +kubebuilder:validation:XValidation:rule="!has(self.id) || (!has(self.name) && !has(self.phoneNumber))",message="customer.name and customer.phoneNumber describe a new customer and need customer.email, not customer.id"
type CustomerSpec struct {
	// id of an existing Dodo customer (cus_...).
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	ID string `json:"id,omitempty"`

	// email of a new customer.
	// +optional
	// +kubebuilder:validation:MaxLength=254
	// +kubebuilder:validation:XValidation:rule="self.matches('^[^@ ]+@[^@ ]+[.][^@ ]+$')",message="customer.email must be an email address"
	Email string `json:"email,omitempty"`

	// name of a new customer.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Name string `json:"name,omitempty"`

	// phoneNumber of a new customer.
	// +optional
	// +kubebuilder:validation:MaxLength=32
	PhoneNumber string `json:"phoneNumber,omitempty"`
}

// BillingAddress is a billing address; only the country is required.
type BillingAddress struct {
	// country is the ISO 3166-1 alpha-2 code, upper case (for example US, IN, DE).
	// +required
	// +kubebuilder:validation:XValidation:rule="self.matches('^[A-Z]{2}$')",message="billing.country must be an ISO 3166-1 alpha-2 code in upper case, for example US"
	Country string `json:"country"`
	// state or province.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	State string `json:"state,omitempty"`
	// city.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	City string `json:"city,omitempty"`
	// street address.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Street string `json:"street,omitempty"`
	// zipcode or postal code.
	// +optional
	// +kubebuilder:validation:MaxLength=32
	Zipcode string `json:"zipcode,omitempty"`
}

// OnDemandSpec makes a subscription on-demand.
type OnDemandSpec struct {
	// mandateOnly true only authorises the payment method at creation; false also charges
	// productPrice (or the product's price) at once.
	// +required
	MandateOnly bool `json:"mandateOnly"`

	// productPrice is the first charge in the currency's minor units (cents for USD).
	// +optional
	// +kubebuilder:validation:Minimum=0
	ProductPrice *int64 `json:"productPrice,omitempty"`

	// productCurrency is the ISO 4217 code of productPrice; defaults to the product's.
	// +optional
	// +kubebuilder:validation:XValidation:rule="self.matches('^[A-Z]{3}$')",message="productCurrency must be an ISO 4217 code in upper case, for example USD"
	ProductCurrency string `json:"productCurrency,omitempty"`

	// productDescription overrides the description on billing and line items.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	ProductDescription string `json:"productDescription,omitempty"`

	// adaptiveCurrencyFeesInclusive says whether adaptive-currency fees are included in
	// productPrice (true) or added on top (false).
	// +optional
	AdaptiveCurrencyFeesInclusive *bool `json:"adaptiveCurrencyFeesInclusive,omitempty"`
}

// Addon attaches an add-on to the subscription.
type Addon struct {
	// addonID is the Dodo add-on ID.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	AddonID string `json:"addonID"`
	// quantity of the add-on, at least 1.
	// +required
	// +kubebuilder:validation:Minimum=1
	Quantity int32 `json:"quantity"`
}

// PlanChangeSpec says how a change of product, quantity or addons is billed.
type PlanChangeSpec struct {
	// prorationBillingMode is one of prorated_immediately (default), full_immediately,
	// difference_immediately, do_not_bill, as in Dodo's change-plan API.
	// +optional
	// +kubebuilder:validation:Enum=prorated_immediately;full_immediately;difference_immediately;do_not_bill
	ProrationBillingMode string `json:"prorationBillingMode,omitempty"`

	// effectiveAt is immediately (default) or next_billing_date.
	// +optional
	// +kubebuilder:validation:Enum=immediately;next_billing_date
	EffectiveAt string `json:"effectiveAt,omitempty"`

	// onPaymentFailure is prevent_change (stay on the old plan until paid) or apply_change
	// (switch anyway; the subscription may go on_hold). Unset uses the business default.
	// +optional
	// +kubebuilder:validation:Enum=prevent_change;apply_change
	OnPaymentFailure string `json:"onPaymentFailure,omitempty"`
}

// PaymentMethodSpec asks for a payment method change: switch to a saved method, or request a
// link where the customer adds a new one. Exactly one of existingID and new is set.
// +kubebuilder:validation:XValidation:rule="has(self.existingID) != has(self.new)",message="set exactly one of paymentMethod.existingID or paymentMethod.new"
type PaymentMethodSpec struct {
	// existingID is a saved payment method of the customer (pm_...); it applies at once.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	ExistingID string `json:"existingID,omitempty"`

	// new requests a hosted link where the customer adds a new payment method.
	// +optional
	New *NewPaymentMethodRequest `json:"new,omitempty"`
}

// NewPaymentMethodRequest asks for one payment-method link. The token identifies the request:
// the operator asks Dodo for a link once per token, so change the token to ask again.
type NewPaymentMethodRequest struct {
	// token names this request, for example a date or ticket number. A new token asks for a
	// new link.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	Token string `json:"token"`

	// returnURL is where the hosted page sends the customer afterwards.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="isURL(self)",message="paymentMethod.new.returnURL must be an absolute URL"
	ReturnURL string `json:"returnURL,omitempty"`

	// allowedPaymentMethodTypes limits the method types offered (for example credit, debit).
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=64
	AllowedPaymentMethodTypes []string `json:"allowedPaymentMethodTypes,omitempty"`
}

// AdoptSpec names an existing Dodo subscription to take over.
type AdoptSpec struct {
	// subscriptionID of the existing Dodo subscription (sub_...).
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	SubscriptionID string `json:"subscriptionID"`
}
