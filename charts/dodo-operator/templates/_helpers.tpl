{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "dodo-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: release-name + chart name unless the release name already holds it. */}}
{{- define "dodo-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "dodo-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "dodo-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
control-plane: controller-manager
{{- end }}

{{- define "dodo-operator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "dodo-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "dodo-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "dodo-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "dodo-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* Checks the API settings: an explicit base URL, or a known mode. */}}
{{- define "dodo-operator.validate" -}}
{{- if and (not .Values.dodo.baseURL) (not (has .Values.dodo.environment (list "test_mode" "live_mode"))) }}
{{- fail "dodo.environment must be test_mode or live_mode (or set dodo.baseURL)" }}
{{- end }}
{{- if not .Values.manager.leaderElect }}
{{- if gt (int .Values.replicaCount) 1 }}
{{- fail "manager.leaderElect must stay true with more than one replica: two managers would both call Dodo" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The separate receiver's Pods: control-plane differs from the operator's, so neither
  Deployment's selector matches the other's Pods. */}}
{{- define "dodo-operator.receiverSelectorLabels" -}}
app.kubernetes.io/name: {{ include "dodo-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
control-plane: webhook-receiver
{{- end }}

{{- define "dodo-operator.receiverLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "dodo-operator.receiverSelectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The Pods that serve webhooks: the operator's (sidecar) or the receiver's own. */}}
{{- define "dodo-operator.webhookSelectorLabels" -}}
{{- if .Values.webhookReceiver.separateDeployment.enabled }}
{{- include "dodo-operator.receiverSelectorLabels" . }}
{{- else }}
{{- include "dodo-operator.selectorLabels" . }}
{{- end }}
{{- end }}

{{- define "dodo-operator.receiverServiceAccountName" -}}
{{- $sa := .Values.webhookReceiver.separateDeployment.serviceAccount }}
{{- if $sa.create }}
{{- default (printf "%s-webhook-receiver" (include "dodo-operator.fullname" .) | trunc 63 | trimSuffix "-") $sa.name }}
{{- else }}
{{- required "webhookReceiver.separateDeployment.serviceAccount.name is required when its create is false" $sa.name }}
{{- end }}
{{- end }}

{{/* rulesByScope: the rules of a generated role (dict "rules" list "cluster" bool) that
  concern cluster-scoped resources (cluster true: ClusterDodoAccounts and Namespaces) or
  namespaced ones (cluster false), as a YAML list. With watchNamespaces the first go into a
  ClusterRole and the others into a Role per watched namespace. */}}
{{- define "dodo-operator.rulesByScope" -}}
{{- $clusterScoped := list "namespaces" "clusterdodoaccounts" -}}
{{- $out := list -}}
{{- range .rules -}}
{{- $keep := list -}}
{{- range .resources -}}
{{- if eq (has (index (splitList "/" .) 0) $clusterScoped) $.cluster -}}
{{- $keep = append $keep . -}}
{{- end -}}
{{- end -}}
{{- if $keep -}}
{{- $out = append $out (merge (dict "resources" $keep) (omit . "resources")) -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end }}
