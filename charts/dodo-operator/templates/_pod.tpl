{{/* Pieces of the Pod templates shared by the operator Deployment and, when the receiver
  runs on its own, the receiver Deployment. */}}

{{/* The manager container: the controllers. Only it mounts the API key. */}}
{{- define "dodo-operator.managerContainer" -}}
- name: manager
  image: {{ include "dodo-operator.image" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  command: ["/dodo-operator"]
  args:
  {{- if .Values.manager.leaderElect }}
  - --leader-elect
  {{- end }}
  - --metrics-bind-address=:{{ .Values.manager.metricsPort }}
  - --metrics-secure={{ .Values.metrics.secure }}
  - --health-probe-bind-address=:{{ .Values.manager.healthPort }}
  {{- with .Values.watchNamespaces }}
  - --watch-namespaces={{ join "," . }}
  {{- end }}
  {{- with .Values.manager.extraArgs }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
  env:
  {{- if .Values.dodo.baseURL }}
  - name: DODO_PAYMENTS_BASE_URL
    value: {{ .Values.dodo.baseURL | quote }}
  {{- else }}
  - name: DODO_PAYMENTS_ENVIRONMENT
    value: {{ .Values.dodo.environment | quote }}
  {{- end }}
  {{- if .Values.dodo.apiKeySecret.name }}
  - name: DODO_PAYMENTS_API_KEY_FILE
    value: /var/run/secrets/dodo-operator/api-key/{{ .Values.dodo.apiKeySecret.key }}
  {{- end }}
  {{- with .Values.manager.extraEnv }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
  ports:
  - name: metrics
    containerPort: {{ .Values.manager.metricsPort }}
    protocol: TCP
  - name: health
    containerPort: {{ .Values.manager.healthPort }}
    protocol: TCP
  livenessProbe:
    httpGet:
      path: /healthz
      port: health
    initialDelaySeconds: 15
    periodSeconds: 20
  readinessProbe:
    httpGet:
      # A refused API key fails /readyz (kubectl get --raw, alerts) but not the Pod: the
      # receiver sidecar shares it and must keep taking webhooks meanwhile.
      path: /readyz?exclude=dodo-credentials
      port: health
    initialDelaySeconds: 5
    periodSeconds: 10
  resources:
    {{- toYaml .Values.manager.resources | nindent 4 }}
  securityContext:
    {{- toYaml .Values.containerSecurityContext | nindent 4 }}
  volumeMounts:
  {{- if .Values.dodo.apiKeySecret.name }}
  - name: api-key
    mountPath: /var/run/secrets/dodo-operator/api-key
    readOnly: true
  {{- end }}
  {{- with .Values.manager.extraVolumeMounts }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}

{{/* The webhook receiver container. Only it mounts the webhook signing secrets. */}}
{{- define "dodo-operator.receiverContainer" -}}
{{- $r := .Values.webhookReceiver -}}
- name: webhook-receiver
  image: {{ include "dodo-operator.image" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  command: ["/webhook-receiver"]
  args:
  - --listen=:{{ $r.port }}
  - --metrics-bind-address=:{{ $r.metricsPort }}
  - --health-probe-bind-address=:{{ $r.healthPort }}
  {{- if $r.secret.name }}
  - --webhook-key-file=/var/run/secrets/dodo-operator/webhook-key/{{ $r.secret.key }}
  {{- end }}
  {{- with .Values.watchNamespaces }}
  - --watch-namespaces={{ join "," . }}
  {{- end }}
  {{- if $r.previousSecret.name }}
  - --previous-webhook-key-file=/var/run/secrets/dodo-operator/previous-webhook-key/{{ $r.previousSecret.key }}
  {{- end }}
  {{- with $r.extraArgs }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
  {{- with $r.extraEnv }}
  env:
  {{- toYaml . | nindent 2 }}
  {{- end }}
  ports:
  - name: webhooks
    containerPort: {{ $r.port }}
    protocol: TCP
  - name: webhook-metrics
    containerPort: {{ $r.metricsPort }}
    protocol: TCP
  - name: webhook-health
    containerPort: {{ $r.healthPort }}
    protocol: TCP
  livenessProbe:
    httpGet:
      path: /healthz
      port: webhook-health
    initialDelaySeconds: 15
    periodSeconds: 20
  readinessProbe:
    httpGet:
      path: /readyz
      port: webhook-health
    initialDelaySeconds: 5
    periodSeconds: 10
  resources:
    {{- toYaml $r.resources | nindent 4 }}
  securityContext:
    {{- toYaml .Values.containerSecurityContext | nindent 4 }}
  volumeMounts:
  {{- if $r.secret.name }}
  - name: webhook-key
    mountPath: /var/run/secrets/dodo-operator/webhook-key
    readOnly: true
  {{- end }}
  {{- if $r.previousSecret.name }}
  - name: previous-webhook-key
    mountPath: /var/run/secrets/dodo-operator/previous-webhook-key
    readOnly: true
  {{- end }}
  {{- with $r.extraVolumeMounts }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}

{{/* Secret volumes of the API key; referenced by name, never rendered. */}}
{{- define "dodo-operator.apiKeyVolume" -}}
{{- if .Values.dodo.apiKeySecret.name }}
- name: api-key
  secret:
    secretName: {{ .Values.dodo.apiKeySecret.name }}
    items:
    - key: {{ .Values.dodo.apiKeySecret.key }}
      path: {{ .Values.dodo.apiKeySecret.key }}
{{- end }}
{{- end }}

{{- define "dodo-operator.webhookKeyVolumes" -}}
{{- $r := .Values.webhookReceiver -}}
{{- if $r.secret.name }}
- name: webhook-key
  secret:
    secretName: {{ $r.secret.name }}
    items:
    - key: {{ $r.secret.key }}
      path: {{ $r.secret.key }}
{{- end }}
{{- if $r.previousSecret.name }}
- name: previous-webhook-key
  secret:
    secretName: {{ $r.previousSecret.name }}
    items:
    - key: {{ $r.previousSecret.key }}
      path: {{ $r.previousSecret.key }}
{{- end }}
{{- end }}

{{/* Scheduling and security of a Pod. Call with (dict "ctx" $ "replicas" n "selector" labels). */}}
{{- define "dodo-operator.podPlacement" -}}
{{- $v := .ctx.Values -}}
securityContext:
  {{- toYaml $v.podSecurityContext | nindent 2 }}
{{- with $v.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with $v.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if $v.topologySpreadConstraints }}
topologySpreadConstraints:
{{- range $v.topologySpreadConstraints }}
- {{- toYaml (merge (dict) . (dict "labelSelector" (dict "matchLabels" ($.selector | fromYaml)))) | nindent 2 }}
{{- end }}
{{- else if gt (int .replicas) 1 }}
# More than one replica: keep them on different nodes where the scheduler can.
topologySpreadConstraints:
- maxSkew: 1
  topologyKey: kubernetes.io/hostname
  whenUnsatisfiable: ScheduleAnyway
  labelSelector:
    matchLabels:
      {{- .selector | nindent 6 }}
{{- end }}
{{- end }}
