package simulator

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/dodo-operator/dodo-operator/internal/dodo"
)

// Product is a subscription product of the simulator's catalogue.
type Product struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Price is the per-unit recurring price in minor units (cents for USD).
	Price    int64  `json:"price"`
	Currency string `json:"currency"`
	// Interval and IntervalCount are the billing frequency (e.g. 1 Month).
	Interval      dodo.TimeInterval `json:"interval"`
	IntervalCount int               `json:"interval_count,omitempty"`
	TrialDays     int               `json:"trial_days,omitempty"`
	// OnDemand allows on-demand subscriptions of this product; creating one
	// otherwise fails with ON_DEMAND_SUBSCRIPTIONS_NOT_ENABLED.
	OnDemand bool `json:"on_demand,omitempty"`
	// PeriodCount and PeriodInterval are the total term (expires_at);
	// default 10 Year.
	PeriodCount    int               `json:"period_count,omitempty"`
	PeriodInterval dodo.TimeInterval `json:"period_interval,omitempty"`
}

// DefaultProducts is the catalogue used when none is configured:
//
//	pdt_sim_basic      $30.00 / month, on-demand allowed
//	pdt_sim_pro        $80.00 / month
//	pdt_sim_trial      $10.00 / month with a 14-day trial
//	pdt_sim_annual     $300.00 / year
//	pdt_sim_on_demand  $10.00 / month, on-demand allowed (usage billed by charges)
//
// $30 → $80 reproduces the docs' proration example.
func DefaultProducts() []Product {
	const usd = "USD"
	return []Product{
		{ID: "pdt_sim_basic", Name: "Basic", Price: 3000, Currency: usd, Interval: dodo.IntervalMonth, OnDemand: true},
		{ID: "pdt_sim_pro", Name: "Pro", Price: 8000, Currency: usd, Interval: dodo.IntervalMonth},
		{ID: "pdt_sim_trial", Name: "Trial", Price: 1000, Currency: usd, Interval: dodo.IntervalMonth, TrialDays: 14},
		{ID: "pdt_sim_annual", Name: "Annual", Price: 30000, Currency: usd, Interval: dodo.IntervalYear},
		{ID: "pdt_sim_on_demand", Name: "On demand", Price: 1000, Currency: usd, Interval: dodo.IntervalMonth, OnDemand: true},
	}
}

// withDefaults fills the optional fields.
func (p Product) withDefaults() Product {
	if p.IntervalCount == 0 {
		p.IntervalCount = 1
	}
	if p.PeriodCount == 0 {
		p.PeriodCount = 10
	}
	if p.PeriodInterval == "" {
		p.PeriodInterval = dodo.IntervalYear
	}
	if p.Name == "" {
		p.Name = p.ID
	}
	p.Currency = strings.ToUpper(p.Currency)
	return p
}

// Validate checks a product after defaults were applied.
func (p Product) Validate() error {
	var errs []error
	if p.ID == "" {
		errs = append(errs, errors.New("id is required"))
	}
	if p.Price < 0 {
		errs = append(errs, errors.New("price must not be negative"))
	}
	if len(p.Currency) != 3 {
		errs = append(errs, fmt.Errorf("currency %q is not an ISO 4217 code", p.Currency))
	}
	if !validInterval(p.Interval) || !validInterval(p.PeriodInterval) {
		errs = append(errs, fmt.Errorf("interval %q / period_interval %q must be Day, Week, Month or Year", p.Interval, p.PeriodInterval))
	}
	if p.IntervalCount < 1 || p.PeriodCount < 1 || p.TrialDays < 0 {
		errs = append(errs, errors.New("interval_count and period_count must be at least 1, trial_days not negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("product %q: %w", p.ID, err)
	}
	return nil
}

type productFile struct {
	Products []Product `json:"products"`
}

// ParseProductsYAML reads a catalogue: either {"products": [...]} or a bare
// list of products (YAML or JSON).
func ParseProductsYAML(data []byte) ([]Product, error) {
	var file productFile
	if err := yaml.Unmarshal(data, &file); err == nil && len(file.Products) > 0 {
		return file.Products, nil
	}
	var list []Product
	if err := yaml.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("parse products: expected a list or {products: [...]}: %w", err)
	}
	if len(list) == 0 {
		return nil, errors.New("parse products: no products")
	}
	return list, nil
}

// ParseProductFlag reads one product from a flag value of comma-separated
// key=value pairs, for example
// "id=pdt_x,name=X,price=3000,currency=USD,interval=Month,count=1,trial_days=7,on_demand=true".
func ParseProductFlag(spec string) (Product, error) {
	var p Product
	for field := range strings.SplitSeq(spec, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(field), "=")
		if !ok {
			return Product{}, fmt.Errorf("product flag %q: field %q is not key=value", spec, field)
		}
		if err := setProductField(&p, key, value); err != nil {
			return Product{}, fmt.Errorf("product flag %q: %w", spec, err)
		}
	}
	return p, nil
}

func setProductField(p *Product, key, value string) error {
	var err error
	switch key {
	case "id":
		p.ID = value
	case "name":
		p.Name = value
	case "price":
		p.Price, err = strconv.ParseInt(value, 10, 64)
	case "currency":
		p.Currency = value
	case "interval":
		p.Interval = dodo.TimeInterval(value)
	case "count", "interval_count":
		p.IntervalCount, err = strconv.Atoi(value)
	case "trial_days":
		p.TrialDays, err = strconv.Atoi(value)
	case "on_demand":
		p.OnDemand, err = strconv.ParseBool(value)
	case "period_count":
		p.PeriodCount, err = strconv.Atoi(value)
	case "period_interval":
		p.PeriodInterval = dodo.TimeInterval(value)
	default:
		return fmt.Errorf("unknown field %q", key)
	}
	if err != nil {
		return fmt.Errorf("field %s: %w", key, err)
	}
	return nil
}

// productCatalogue indexes validated products by ID.
func productCatalogue(products []Product) (map[string]Product, error) {
	if len(products) == 0 {
		products = DefaultProducts()
	}
	catalogue := make(map[string]Product, len(products))
	for _, raw := range products {
		p := raw.withDefaults()
		if err := p.Validate(); err != nil {
			return nil, err
		}
		if _, dup := catalogue[p.ID]; dup {
			return nil, fmt.Errorf("product %q defined twice", p.ID)
		}
		catalogue[p.ID] = p
	}
	return catalogue, nil
}
