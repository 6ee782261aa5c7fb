-- Argo CD health of a dodo-operator Subscription (billing.dodo-operator.io/v1alpha1).
-- Status follows kstatus: Ready summarises, Stalled=True needs a person or a spec change,
-- Synced=False with reason Paused means the billing.dodo-operator.io/paused annotation stops
-- every call to Dodo, and Active/OnHold/Failed mirror Dodo's state. The operator does not
-- bump status.observedGeneration while paused, so pause is checked first.
-- Runs without Lua's standard libraries (argocd-cm default): base and table only.
-- Docs: https://github.com/dodo-operator/dodo-operator/blob/main/docs/argocd.md
local function condition(conditionType)
  if obj.status == nil or obj.status.conditions == nil then
    return nil
  end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == conditionType then
      return c
    end
  end
  return nil
end

local function isTrue(c)
  return c ~= nil and c.status == "True"
end

local function describe(c)
  if c.message ~= nil and c.message ~= "" then
    return c.reason .. ": " .. c.message
  end
  return c.reason
end

local hs = {}
local synced = condition("Synced")
if synced ~= nil and synced.status == "False" and synced.reason == "Paused" then
  hs.status = "Suspended"
  hs.message = describe(synced)
  return hs
end

local generation = obj.metadata.generation or 0
if obj.status == nil or obj.status.observedGeneration == nil or obj.status.observedGeneration < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to reconcile generation " .. generation
  return hs
end

for _, conditionType in ipairs({"Stalled", "Failed", "OnHold"}) do
  local c = condition(conditionType)
  if isTrue(c) then
    hs.status = "Degraded"
    hs.message = describe(c)
    return hs
  end
end

local ready = condition("Ready")
local providerStatus = obj.status.providerStatus
if providerStatus == "paused" then
  hs.status = "Suspended"
  hs.message = "Dodo reports the subscription paused."
  return hs
end
if providerStatus == "cancelled" or providerStatus == "expired" then
  -- Terminal in Dodo. Wanted when the spec asked for it; otherwise it ended outside the
  -- operator and a person should look (Progressing would hold sync waves forever).
  if obj.spec ~= nil and obj.spec.cancelAtNextBillingDate == true then
    hs.status = "Healthy"
    hs.message = "The subscription ended as requested by spec.cancelAtNextBillingDate (" .. providerStatus .. ")."
  else
    hs.status = "Degraded"
    hs.message = "Dodo reports the subscription " .. providerStatus .. "; it no longer bills."
  end
  return hs
end

if isTrue(ready) then
  hs.status = "Healthy"
  hs.message = ready.message or ""
  return hs
end
hs.status = "Progressing"
if ready ~= nil then
  hs.message = describe(ready)
else
  hs.message = "Waiting for the operator to report Ready"
end
return hs
