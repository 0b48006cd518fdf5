{{/* Chart name, truncated to the 63 characters a label value allows. */}}
{{- define "kube-state-otel.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Object name: the release name, with the chart name unless the release name already contains it. */}}
{{- define "kube-state-otel.fullname" -}}
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

{{- define "kube-state-otel.namespace" -}}
{{- default .Release.Namespace .Values.namespaceOverride }}
{{- end }}

{{- define "kube-state-otel.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "kube-state-otel.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Stable selector: never changes between upgrades (a Deployment's selector is immutable). */}}
{{- define "kube-state-otel.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kube-state-otel.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "kube-state-otel.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "kube-state-otel.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | quote }}
app.kubernetes.io/component: metrics
app.kubernetes.io/part-of: kube-state-otel
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.customLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The image reference, built only from values.image. */}}
{{- define "kube-state-otel.image" -}}
{{- $repo := .Values.image.repository }}
{{- if .Values.image.registry }}{{ $repo = printf "%s/%s" .Values.image.registry $repo }}{{ end }}
{{- $tag := .Values.image.tag | default .Chart.AppVersion | toString }}
{{- if .Values.image.digest }}
{{- printf "%s:%s@%s" $repo $tag .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" $repo $tag }}
{{- end }}
{{- end }}

{{/* A list or a comma-separated string, as a comma-separated string. */}}
{{- define "kube-state-otel.csv" -}}
{{- if kindIs "slice" . }}{{ join "," . }}{{ else }}{{ . | toString }}{{ end }}
{{- end }}

{{/* Annotation allowlist: KSM's chart spells it metricAnnotationsAllowList; the lower-case l is accepted too. */}}
{{- define "kube-state-otel.annotationsAllowlist" -}}
{{- $a := concat (.Values.metricAnnotationsAllowList | default list) (.Values.metricAnnotationsAllowlist | default list) }}
{{- join "," $a }}
{{- end }}

{{/* Problems values.schema.json cannot express (it checks types and allowed values). */}}
{{- define "kube-state-otel.validate" -}}
{{- $shards := int .Values.sharding.totalShards }}
{{- if lt $shards 1 }}
{{- fail "sharding.totalShards must be >= 1" }}
{{- end }}
{{- if and .Values.autosharding.enabled (gt $shards 1) }}
{{- fail "autosharding.enabled and sharding.totalShards > 1 are mutually exclusive: autosharding takes the total from the StatefulSet's replicas" }}
{{- end }}
{{- if and (or .Values.autosharding.enabled (gt $shards 1)) (ne .Values.service.type "ClusterIP") }}
{{- fail "a sharded kube-state-otel needs service.type ClusterIP: the Service is headless so that every shard is scraped on its own" }}
{{- end }}
{{- if and .Values.metricAllowlist .Values.metricDenylist }}
{{- fail "metricAllowlist and metricDenylist are mutually exclusive (as in kube-state-metrics)" }}
{{- end }}
{{- if and .Values.otlp.tls.ca.secret .Values.otlp.tls.ca.configMap }}
{{- fail "otlp.tls.ca: set either secret or configMap, not both" }}
{{- end }}
{{- end }}

{{/*
`kso run` and its flags from the values, then extraArgs. kso joins a repeated flag's values, so a chart flag that
extraArgs sets again is left out: extraArgs override the chart's flags. Context: as for the pod template.
*/}}
{{- define "kube-state-otel.args" -}}
{{- $v := .root.Values }}
{{- $flags := list (printf "--schema=%s" $v.schema) (printf "--resources=%s" (include "kube-state-otel.csv" $v.collectors)) }}
{{- with include "kube-state-otel.csv" $v.namespaces }}{{ $flags = append $flags (printf "--namespaces=%s" .) }}{{ end }}
{{- $flags = append $flags (printf "--prometheus-port=%v" $v.service.port) }}
{{- with $v.metricLabelsAllowlist }}{{ $flags = append $flags (printf "--metric-labels-allowlist=%s" (join "," .)) }}{{ end }}
{{- with include "kube-state-otel.annotationsAllowlist" .root }}{{ $flags = append $flags (printf "--metric-annotations-allowlist=%s" .) }}{{ end }}
{{- with $v.metricAllowlist }}{{ $flags = append $flags (printf "--metric-allowlist=%s" (join "," .)) }}{{ end }}
{{- with $v.metricDenylist }}{{ $flags = append $flags (printf "--metric-denylist=%s" (join "," .)) }}{{ end }}
{{- with $v.metricOptInList }}{{ $flags = append $flags (printf "--metric-opt-in-list=%s" (join "," .)) }}{{ end }}
{{- $flags = concat $flags (list (printf "--max-staleness=%s" $v.maxStaleness) (printf "--log-level=%s" $v.logLevel) (printf "--number-format=%s" $v.numberFormat)) }}
{{- if hasKey . "shard" }}
{{- $flags = concat $flags (list (printf "--shard=%v" .shard) (printf "--total-shards=%v" $v.sharding.totalShards)) }}
{{- end }}
{{- with $v.otlp.endpoint }}
{{- $flags = concat $flags (list (printf "--otlp-endpoint=%s" .) (printf "--otlp-protocol=%s" $v.otlp.protocol) (printf "--otlp-interval=%s" $v.otlp.interval) (printf "--otlp-timeout=%s" $v.otlp.timeout) (printf "--otlp-compression=%s" $v.otlp.compression)) }}
{{- if $v.otlp.insecure }}{{ $flags = append $flags "--otlp-insecure=true" }}{{ end }}
{{- if or $v.otlp.tls.ca.secret $v.otlp.tls.ca.configMap }}
{{- $flags = append $flags (printf "--otlp-ca=/etc/kube-state-otel/otlp-ca/%s" $v.otlp.tls.ca.key) }}
{{- end }}
{{- end }}
{{- $overridden := list }}
{{- range $v.extraArgs }}{{ $overridden = append $overridden (regexReplaceAll "=.*$" (toString .) "") }}{{ end -}}
- run
{{- range $flags }}
{{- if not (has (regexReplaceAll "=.*$" . "") $overridden) }}
- {{ . | quote }}
{{- end }}
{{- end }}
{{- range $v.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end }}

{{/*
The pod template shared by the Deployment(s) and the StatefulSet. Context: dict "root" $, plus "shard" <n> for a static shard.
*/}}
{{- define "kube-state-otel.podTemplate" -}}
{{- $root := .root }}
{{- $v := $root.Values }}
{{- $ca := and $v.otlp.endpoint (or $v.otlp.tls.ca.secret $v.otlp.tls.ca.configMap) -}}
metadata:
  labels:
    {{- include "kube-state-otel.labels" $root | nindent 4 }}
    {{- if hasKey . "shard" }}
    kube-state-otel.io/shard: {{ .shard | quote }}
    {{- end }}
    {{- with $v.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with $v.podAnnotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  serviceAccountName: {{ include "kube-state-otel.serviceAccountName" $root }}
  automountServiceAccountToken: {{ $v.serviceAccount.automountServiceAccountToken }}
  terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds }}
  {{- with $v.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  {{- with $v.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.securityContext }}
  securityContext:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  dnsPolicy: {{ $v.dnsPolicy }}
  {{- with $v.dnsConfig }}
  dnsConfig:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    - name: kube-state-otel
      image: {{ include "kube-state-otel.image" $root }}
      imagePullPolicy: {{ $v.image.pullPolicy }}
      args:
        {{- include "kube-state-otel.args" . | nindent 8 }}
      env:
        {{- if $v.autosharding.enabled }}
        # Downward API: the pod's own identity turns autosharding on (kso run --pod/--pod-namespace).
        - name: KSO_POD
          valueFrom:
            fieldRef:
              fieldPath: metadata.name
        - name: KSO_POD_NAMESPACE
          valueFrom:
            fieldRef:
              fieldPath: metadata.namespace
        {{- end }}
        {{- if and $v.otlp.endpoint $v.otlp.headers.existingSecret }}
        # Header values are secrets: from a Secret, never in the pod spec or kso's logs.
        - name: KSO_OTLP_HEADERS
          valueFrom:
            secretKeyRef:
              name: {{ $v.otlp.headers.existingSecret }}
              key: {{ $v.otlp.headers.key }}
        {{- end }}
        {{- with $v.env }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with $v.envFrom }}
      envFrom:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      ports:
        - name: metrics
          containerPort: {{ $v.service.port }}
          protocol: TCP
      livenessProbe:
        httpGet:
          path: /healthz
          port: metrics
        {{- toYaml $v.livenessProbe | nindent 8 }}
      readinessProbe:
        httpGet:
          path: /readyz
          port: metrics
        {{- toYaml $v.readinessProbe | nindent 8 }}
      {{- if $v.startupProbe.enabled }}
      startupProbe:
        httpGet:
          path: /healthz
          port: metrics
        {{- toYaml (omit $v.startupProbe "enabled") | nindent 8 }}
      {{- end }}
      {{- with $v.resources }}
      resources:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.containerSecurityContext }}
      securityContext:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- if or $v.volumeMounts $ca }}
      volumeMounts:
        {{- if $ca }}
        - name: otlp-ca
          mountPath: /etc/kube-state-otel/otlp-ca
          readOnly: true
        {{- end }}
        {{- with $v.volumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- end }}
  {{- if or $v.volumes $ca }}
  volumes:
    {{- if and $v.otlp.endpoint $v.otlp.tls.ca.secret }}
    - name: otlp-ca
      secret:
        secretName: {{ $v.otlp.tls.ca.secret }}
        items:
          - key: {{ $v.otlp.tls.ca.key }}
            path: {{ $v.otlp.tls.ca.key }}
    {{- else if and $v.otlp.endpoint $v.otlp.tls.ca.configMap }}
    - name: otlp-ca
      configMap:
        name: {{ $v.otlp.tls.ca.configMap }}
        items:
          - key: {{ $v.otlp.tls.ca.key }}
            path: {{ $v.otlp.tls.ca.key }}
    {{- end }}
    {{- with $v.volumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- end }}
  {{- with $v.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.affinity }}
  affinity:
    {{- if kindIs "string" . }}
    {{- tpl . $root | nindent 4 }}
    {{- else }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- end }}
  {{- with $v.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{/*
The `kso sidecar` native-sidecar container for a CronJob's jobTemplate.spec.template.spec.initContainers (see the
chart README). Context: the root context; settings from .Values.sidecar and the chart's image. The CronJob's pod
also needs a ServiceAccount that may get/list/watch its own Pod and Job (deploy/sidecar-cronjob/rbac.yaml).
*/}}
{{- define "kube-state-otel.sidecarContainer" -}}
{{- $s := .Values.sidecar }}
- name: kso-sidecar
  image: {{ include "kube-state-otel.image" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  # Native sidecar: starts before the main container and is stopped only after it, so it records the final state.
  restartPolicy: Always
  # The sidecar's light command (packages/sidecar/src/launch.ts): the bundled entry, --jitless, small young generation.
  command: ["node", "--jitless", "--max-semi-space-size=1", "packages/sidecar/dist/kso-sidecar.cjs"]
  args:
    - sidecar
    {{- with $s.otlpEndpoint }}
    - --otlp-endpoint={{ . }}
    {{- end }}
    {{- with $s.scrapeUrl }}
    - --scrape-url={{ . }}
    - --scrape-interval={{ $s.scrapeInterval }}
    {{- end }}
    - --interval={{ $s.interval }}
    # Keep below the pod's terminationGracePeriodSeconds, or the kubelet kills the sidecar mid-flush.
    - --flush-deadline={{ $s.flushDeadline }}
    {{- with $s.pushgatewayUrl }}
    - --pushgateway-url={{ . }}
    {{- end }}
    {{- range $s.extraArgs }}
    - {{ . | quote }}
    {{- end }}
  env:
    # Downward API: the sidecar's own Pod (also its service.instance.id, <namespace>.<pod>).
    - name: KSO_POD
      valueFrom:
        fieldRef:
          fieldPath: metadata.name
    - name: KSO_POD_NAMESPACE
      valueFrom:
        fieldRef:
          fieldPath: metadata.namespace
    - name: KSO_POD_UID
      valueFrom:
        fieldRef:
          fieldPath: metadata.uid
  {{- with $s.resources }}
  resources:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.containerSecurityContext }}
  securityContext:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{/* Scrape settings shared by the ServiceMonitor and the PodMonitor endpoint. Context: the monitor's values. */}}
{{- define "kube-state-otel.scrapeEndpoint" -}}
{{- with .interval }}
interval: {{ . }}
{{- end }}
{{- with .scrapeTimeout }}
scrapeTimeout: {{ . }}
{{- end }}
{{- with .scheme }}
scheme: {{ . }}
{{- end }}
{{- with .tlsConfig }}
tlsConfig:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .relabelings }}
relabelings:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .metricRelabelings }}
metricRelabelings:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
