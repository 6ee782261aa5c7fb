-- Argo CD health of a dodo-operator DodoAccount or ClusterDodoAccount
-- (billing.dodo-operator.io/v1alpha1; the two kinds share this script). Ready says whether
-- the API key works (one cheap read of Dodo): True is Healthy. A refused key
-- (CredentialsInvalid), a missing Secret or key (AccountSecretNotFound) and a spec that
-- cannot make a client (AccountInvalid) need a person: Degraded. Anything else (Unreachable,
-- SecretUnreadable: rechecked on its own), no Ready yet, or a generation the operator has
-- not checked is Progressing. The WebhookEndpoint condition is not part of the health.
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

local needsPerson = {
  CredentialsInvalid = true,
  AccountSecretNotFound = true,
  AccountInvalid = true,
}

local hs = {}
local generation = obj.metadata.generation or 0
if obj.status == nil or obj.status.observedGeneration == nil or obj.status.observedGeneration < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to check generation " .. generation
  return hs
end

local ready = condition("Ready")
if ready == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to check the API key"
  return hs
end
if ready.status == "True" then
  hs.status = "Healthy"
elseif ready.status == "False" and needsPerson[ready.reason] then
  hs.status = "Degraded"
else
  hs.status = "Progressing"
end
hs.message = describe(ready)
return hs
