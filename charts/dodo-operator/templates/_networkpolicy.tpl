{{/* Egress every Pod needs: DNS and the API server. */}}
{{- define "dodo-operator.baseEgress" -}}
{{- $np := .Values.networkPolicy -}}
- ports:
  - {port: 53, protocol: UDP}
  - {port: 53, protocol: TCP}
- to:
  {{- range $np.apiServer.cidrs }}
  - ipBlock: {cidr: {{ . | quote }}}
  {{- end }}
  ports:
  {{- range $np.apiServer.ports }}
  - {port: {{ . }}, protocol: TCP}
  {{- end }}
{{- end }}

{{/* An ingress rule to ports from peers (any source when peers is empty). */}}
{{- define "dodo-operator.ingressRule" -}}
- ports:
  {{- range .ports }}
  - {port: {{ . }}, protocol: TCP}
  {{- end }}
  {{- with .from }}
  from:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
