-- Argo CD health of a dodo-operator OnDemandCharge (billing.dodo-operator.io/v1alpha1).
-- status.phase is Waiting, Charging, RetryScheduled, Succeeded or Failed; the conditions are
-- Ready, Synced, Stalled (a person must look, for example an attempt whose outcome is
-- unknown), Succeeded and Failed. Succeeded and Failed are terminal. Paused charges
-- (billing.dodo-operator.io/paused) show Synced=False with reason Paused.
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

local function describe(c)
  if c.message ~= nil and c.message ~= "" then
    return c.reason .. ": " .. c.message
  end
  return c.reason
end

local function lastAttempt()
  local attempts = obj.status.attempts
  if attempts == nil or #attempts == 0 then
    return nil
  end
  return attempts[#attempts]
end

local function amount()
  local text = tostring(obj.spec.amount)
  if obj.spec.currency ~= nil then
    text = text .. " " .. obj.spec.currency
  end
  return text .. " (minor units)"
end

local hs = {}
local phase = nil
if obj.status ~= nil then
  phase = obj.status.phase
end
local synced = condition("Synced")
if phase ~= "Succeeded" and phase ~= "Failed" and synced ~= nil and synced.status == "False" and synced.reason == "Paused" then
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

if phase == "Succeeded" then
  hs.status = "Healthy"
  hs.message = "Charged " .. amount()
  local attempt = lastAttempt()
  if attempt ~= nil and attempt.paymentID ~= nil then
    hs.message = hs.message .. " in payment " .. attempt.paymentID
  end
  return hs
end

local failed = condition("Failed")
if phase == "Failed" or (failed ~= nil and failed.status == "True") then
  hs.status = "Degraded"
  if failed ~= nil and failed.status == "True" then
    hs.message = describe(failed)
  else
    hs.message = "The charge failed; no further attempt will be made."
  end
  return hs
end

local stalled = condition("Stalled")
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = describe(stalled)
  return hs
end

hs.status = "Progressing"
if phase == "RetryScheduled" then
  local attempt = lastAttempt()
  hs.message = "Retry scheduled"
  if attempt ~= nil then
    hs.message = "Attempt " .. attempt.number .. " declined"
    if attempt.declineCode ~= nil then
      hs.message = hs.message .. " (" .. attempt.declineCode .. ")"
    end
  end
  if obj.status.nextAttemptAt ~= nil then
    hs.message = hs.message .. "; next attempt at " .. obj.status.nextAttemptAt
  end
  return hs
end
local ready = condition("Ready")
if ready ~= nil then
  hs.message = describe(ready)
elseif phase ~= nil then
  hs.message = phase
else
  hs.message = "Waiting for the operator to start the charge"
end
return hs
