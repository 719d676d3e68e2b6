{{/*
Chart name, truncated to 63 characters (the DNS-1123 label limit).
*/}}
{{- define "kamado.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name, used as the prefix of every object name. Truncated to 63 characters.
If the release name contains the chart name it is used as is.
*/}}
{{- define "kamado.fullname" -}}
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

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "kamado.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels.
*/}}
{{- define "kamado.labels" -}}
helm.sh/chart: {{ include "kamado.chart" . }}
{{ include "kamado.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: kamado
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Selector labels: stable for the life of a release (Deployment selectors are immutable).
*/}}
{{- define "kamado.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kamado.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Name of the operator's ServiceAccount.
*/}}
{{- define "kamado.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "kamado.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
An image reference from a {repository, tag} value; the tag defaults to the chart's appVersion.
Usage: include "kamado.image" (dict "image" .Values.image "context" $)
*/}}
{{- define "kamado.image" -}}
{{- printf "%s:%s" .image.repository (.image.tag | default .context.Chart.AppVersion | toString) }}
{{- end }}

{{/*
RBAC rules on namespaced resources: what the operator reads, creates and owns for the
FineTuneJob and ModelServer resources it reconciles. Rendered into the ClusterRole when all
namespaces are watched, and into one Role per namespace otherwise. Leases (leader election)
are granted separately, in the release namespace only.
*/}}
{{- define "kamado.namespacedRules" -}}
- apiGroups: ["kamado.dev"]
  resources: ["finetunejobs", "modelservers"]
  verbs: ["get", "list", "watch", "patch", "update"]
- apiGroups: ["kamado.dev"]
  resources: ["finetunejobs/status", "modelservers/status"]
  verbs: ["get", "patch", "update"]
- apiGroups: ["kamado.dev"]
  resources: ["finetunejobs/finalizers", "modelservers/finalizers"]
  verbs: ["update"]
- apiGroups: ["batch"]
  resources: ["jobs"]
  verbs: ["get", "list", "watch", "create", "patch", "update", "delete"]
- apiGroups: [""]
  resources: ["configmaps", "services"]
  verbs: ["get", "list", "watch", "create", "patch", "update", "delete"]
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch"]
# Each FineTuneJob's trainer gets its own ServiceAccount, bound to a Role that lets it update only that job's
# progress ConfigMap (resourceNames). The API server lets the operator grant no more than it holds itself.
- apiGroups: [""]
  resources: ["serviceaccounts"]
  verbs: ["get", "create", "patch", "update"]
- apiGroups: ["rbac.authorization.k8s.io"]
  resources: ["roles", "rolebindings"]
  verbs: ["get", "create", "patch", "update"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["get", "list", "watch", "create", "patch", "update", "delete"]
- apiGroups: ["policy"]
  resources: ["poddisruptionbudgets"]
  verbs: ["get", "list", "watch", "create", "patch", "update", "delete"]
- apiGroups: ["monitoring.coreos.com"]
  resources: ["servicemonitors"]
  verbs: ["get", "list", "watch", "create", "patch", "update", "delete"]
{{- end }}

{{/*
RBAC rules on cluster-scoped resources: reading CRDs, to find out whether the ServiceMonitor
CRD (Prometheus Operator) is installed.
*/}}
{{- define "kamado.clusterRules" -}}
- apiGroups: ["apiextensions.k8s.io"]
  resources: ["customresourcedefinitions"]
  verbs: ["get", "list", "watch"]
{{- end }}
