package faulttest

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	billingv1alpha1 "github.com/dodo-operator/dodo-operator/api/v1alpha1"
	"github.com/dodo-operator/dodo-operator/internal/dodo"
	"github.com/dodo-operator/dodo-operator/internal/simulator"
	"github.com/dodo-operator/dodo-operator/internal/stamp"
	"github.com/dodo-operator/dodo-operator/test/harness"
)

// model is what a test asked for: the truth the system must converge to.
type model struct {
	subs    map[string]*subModel
	charges map[string]*chargeModel
}

type subModel struct {
	name        string
	uid         types.UID
	onDemand    bool
	policy      billingv1alpha1.DeletionPolicy
	quantity    int32
	planChanges int
	deleted     bool
	// round is when it was created; only subscriptions of earlier rounds are changed.
	round int
}

type chargeModel struct {
	name, sub string
}

func newModel() *model {
	return &model{subs: map[string]*subModel{}, charges: map[string]*chargeModel{}}
}

func (s *suite) addSubscription(m *model, sub *billingv1alpha1.Subscription, round int) {
	s.t.Helper()
	s.create(sub)
	m.subs[sub.Name] = &subModel{name: sub.Name, uid: sub.UID, onDemand: sub.Spec.OnDemand != nil,
		policy: sub.Spec.DeletionPolicy, quantity: sub.Spec.Quantity, round: round}
	s.count("creates", 1)
}

func (s *suite) addCharge(m *model, charge *billingv1alpha1.OnDemandCharge) {
	s.t.Helper()
	s.create(charge)
	m.charges[charge.Name] = &chargeModel{name: charge.Name, sub: charge.Spec.SubscriptionRef.Name}
	s.count("charges", 1)
}

// changePlan raises the quantity of a Subscription by one (a change-plan call).
func (s *suite) changePlan(m *model, name string) {
	s.t.Helper()
	sm := m.subs[name]
	sm.quantity++
	sm.planChanges++
	patch := fmt.Appendf(nil, `{"spec":{"quantity":%d}}`, sm.quantity)
	obj := &billingv1alpha1.Subscription{}
	obj.Namespace, obj.Name = s.ns, name
	if err := sys.Client.Patch(s.ctx, obj, client.RawPatch(types.MergePatchType, patch)); err != nil {
		s.t.Fatalf("changing the plan of %s: %v", name, err)
	}
	s.count("plan changes", 1)
}

func (s *suite) deleteSubscription(m *model, name string) {
	s.t.Helper()
	obj := &billingv1alpha1.Subscription{}
	obj.Namespace, obj.Name = s.ns, name
	if err := sys.Client.Delete(s.ctx, obj); err != nil {
		s.t.Fatalf("deleting %s: %v", name, err)
	}
	m.subs[name].deleted = true
	s.count("deletions", 1)
}

// pick returns a seeded choice among the live subscriptions of kind created before round
// that match keep; "" when there is none.
func (s *suite) pick(m *model, onDemand bool, round int, keep func(*subModel) bool) string {
	var names []string
	for _, name := range sortedKeys(m.subs) {
		sm := m.subs[name]
		if !sm.deleted && sm.onDemand == onDemand && sm.round < round && (keep == nil || keep(sm)) {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return names[s.rng.IntN(len(names))]
}

// converged reports whether every object reached what the model asks, with the first few
// that did not. It lists the namespace once per call.
func (s *suite) converged(m *model) (bool, string) {
	subs, charges, err := s.list()
	if err != nil {
		return false, err.Error()
	}
	s.resendLostPlans(subs)
	var pending []string
	for _, name := range sortedKeys(m.subs) {
		if why := subscriptionPending(m.subs[name], subs[name]); why != "" {
			pending = append(pending, name+": "+why)
		}
	}
	for _, name := range sortedKeys(m.charges) {
		charge, ok := charges[name]
		switch {
		case !ok:
			pending = append(pending, name+": not found")
		case charge.Status.Phase != billingv1alpha1.ChargePhaseSucceeded:
			pending = append(pending, fmt.Sprintf("%s: phase %q %s", name, charge.Status.Phase, conditionsText(charge.Status.Conditions)))
		}
	}
	return len(pending) == 0, fmt.Sprintf("%d pending: %s", len(pending), strings.Join(pending[:min(len(pending), 5)], "; "))
}

// resendLostPlans does what a person does on PlanChangeNotApplied: check Dodo (the
// simulator has no scheduled or applied change of that plan, or the operator would not
// say so), then annotate the object to send the change once more. A SIGKILL between the
// change-plan's marker and its call leaves exactly that: a change Dodo never got.
func (s *suite) resendLostPlans(subs map[string]*billingv1alpha1.Subscription) {
	for _, obj := range subs {
		ready := meta.FindStatusCondition(obj.Status.Conditions, billingv1alpha1.ConditionReady)
		last := obj.Status.LastPlanChangeRequest
		if ready == nil || ready.Reason != billingv1alpha1.ReasonPlanChangeNotApplied || last == nil {
			continue
		}
		sent := last.RequestedAt.UTC().Format(time.RFC3339)
		if obj.Annotations[billingv1alpha1.AnnotationResendPlanChange] == sent {
			continue
		}
		patch := fmt.Appendf(nil, `{"metadata":{"annotations":{%q:%q}}}`, billingv1alpha1.AnnotationResendPlanChange, sent)
		if err := sys.Client.Patch(s.ctx, obj, client.RawPatch(types.MergePatchType, patch)); err != nil {
			s.t.Logf("annotating %s to resend its plan change: %v", obj.Name, err)
			continue
		}
		s.count("plan changes resent by a person", 1)
	}
}

// list reads the namespace's Subscriptions and OnDemandCharges by name.
func (s *suite) list() (map[string]*billingv1alpha1.Subscription, map[string]*billingv1alpha1.OnDemandCharge, error) {
	subList := &billingv1alpha1.SubscriptionList{}
	if err := sys.Client.List(s.ctx, subList, client.InNamespace(s.ns)); err != nil {
		return nil, nil, err
	}
	chargeList := &billingv1alpha1.OnDemandChargeList{}
	if err := sys.Client.List(s.ctx, chargeList, client.InNamespace(s.ns)); err != nil {
		return nil, nil, err
	}
	subs := map[string]*billingv1alpha1.Subscription{}
	for i := range subList.Items {
		subs[subList.Items[i].Name] = &subList.Items[i]
	}
	charges := map[string]*billingv1alpha1.OnDemandCharge{}
	for i := range chargeList.Items {
		charges[chargeList.Items[i].Name] = &chargeList.Items[i]
	}
	return subs, charges, nil
}

func subscriptionPending(sm *subModel, obj *billingv1alpha1.Subscription) string {
	switch {
	case sm.deleted && obj == nil:
		return ""
	case sm.deleted:
		return "still there " + conditionsText(obj.Status.Conditions)
	case obj == nil:
		return "not found"
	case obj.Status.SubscriptionID == "" || obj.Status.ObservedGeneration != obj.Generation:
		return "not created/observed yet " + conditionsText(obj.Status.Conditions)
	case harness.ConditionStatus(obj.Status.Conditions, billingv1alpha1.ConditionReady) != "True":
		return "not Ready " + conditionsText(obj.Status.Conditions)
	}
	return ""
}

func conditionsText(conditions []metav1.Condition) string {
	parts := make([]string, 0, len(conditions))
	for _, c := range conditions {
		parts = append(parts, fmt.Sprintf("%s=%s/%s", c.Type, c.Status, c.Reason))
		if c.Type == billingv1alpha1.ConditionSynced && c.Status != "True" {
			parts = append(parts, "("+c.Message+")")
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// checkMoney compares the converged objects with the simulator's state dump.
func (s *suite) checkMoney(m *model) {
	s.t.Helper()
	st := sys.Sim.State()
	f := s.assertNoDuplicates("after convergence")
	byUID := harness.SubscriptionsByUID(st, s.ns)
	problems := make([]string, 0, len(m.subs)+len(m.charges))
	for _, name := range sortedKeys(m.subs) {
		problems = append(problems, s.subscriptionProblems(st, m.subs[name], byUID[string(m.subs[name].uid)])...)
	}
	for _, name := range sortedKeys(m.charges) {
		problems = append(problems, s.chargeProblems(st, name)...)
	}
	if len(problems) > 0 {
		s.t.Fatalf("the system converged to the wrong state:\n%s", strings.Join(problems, "\n"))
	}
	s.count("dodo subscriptions", f.Subscriptions)
	s.count("charge payments", f.ChargePayments)
	s.count("duplicates found", f.Duplicates())
}

func (s *suite) subscriptionProblems(st simulator.State, sm *subModel, inDodo []simulator.SubscriptionState) []string {
	if len(inDodo) > 1 || (!sm.deleted && len(inDodo) != 1) {
		return []string{fmt.Sprintf("%s: %d Dodo subscriptions, want exactly one", sm.name, len(inDodo))}
	}
	if len(inDodo) == 0 {
		return nil // deleted before anything was created
	}
	d := inDodo[0]
	if sm.deleted {
		cancelled := d.Status == dodo.SubscriptionStatusCancelled
		if (sm.policy == billingv1alpha1.DeletionPolicyCancel && !cancelled) || (!cancelled && !d.CancelAtNextBillingDate) {
			return []string{fmt.Sprintf("%s: deleted with policy %q but Dodo has %s (cancel at period end %v)",
				sm.name, sm.policy, d.Status, d.CancelAtNextBillingDate)}
		}
		return nil
	}
	obj := &billingv1alpha1.Subscription{}
	if err := s.get(sm.name, obj); err != nil {
		return []string{sm.name + ": " + err.Error()}
	}
	var out []string
	if obj.Status.SubscriptionID != d.SubscriptionID || d.Status != dodo.SubscriptionStatusActive || d.Quantity != int(sm.quantity) {
		out = append(out, fmt.Sprintf("%s: status says %s, Dodo has %s %s x%d (want x%d)", sm.name,
			obj.Status.SubscriptionID, d.SubscriptionID, d.Status, d.Quantity, sm.quantity))
	}
	if n := len(harness.PaymentsOfSubscription(st, d.SubscriptionID, "plan_change")); n > sm.planChanges {
		out = append(out, fmt.Sprintf("%s: %d plan-change payments for %d plan changes", sm.name, n, sm.planChanges))
	}
	return out
}

func (s *suite) chargeProblems(st simulator.State, name string) []string {
	charge := &billingv1alpha1.OnDemandCharge{}
	if err := s.get(name, charge); err != nil {
		return []string{name + ": " + err.Error()}
	}
	var paid []string
	for _, p := range st.Payments {
		if p.Metadata[stamp.KeyNamespace] == s.ns && p.Metadata[stamp.KeyChargeKey] == charge.Status.ChargeKey {
			paid = append(paid, p.PaymentID+"/"+string(p.StatusOrEmpty()))
		}
	}
	attempts := charge.Status.Attempts
	if len(paid) != 1 || len(attempts) != 1 || !slices.Contains(paid, attempts[0].PaymentID+"/succeeded") {
		return []string{fmt.Sprintf("%s: payments %v, attempts %+v; want one succeeded payment, recorded", name, paid, attempts)}
	}
	return nil
}
