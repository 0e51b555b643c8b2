{{/* The chart's name, truncated to 63 characters (a label value). */}}
{{- define "kubesweep.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's full name: the release name, with the chart's name unless it holds it. */}}
{{- define "kubesweep.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels on every object of the release. */}}
{{- define "kubesweep.labels" -}}
app.kubernetes.io/name: {{ include "kubesweep.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | trunc 63 | trimSuffix "-" }}
{{- end -}}

{{/* Labels that select the operator's pods. */}}
{{- define "kubesweep.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kubesweep.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* The operator's service account name. */}}
{{- define "kubesweep.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "kubesweep.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The rules the operator needs, and nothing more: read SweepJobs and write their status,
     manage SweepTrials and trial Jobs, read trial pods, post Events. */}}
{{- define "kubesweep.rules" -}}
- apiGroups: ["kubesweep.io"]
  resources: ["sweepjobs"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: ["kubesweep.io"]
  resources: ["sweepjobs/status"]
  verbs: ["get", "patch"]
- apiGroups: ["kubesweep.io"]
  resources: ["sweeptrials"]
  verbs: ["get", "list", "watch", "create"]
- apiGroups: ["kubesweep.io"]
  resources: ["sweeptrials/status"]
  verbs: ["get", "patch"]
- apiGroups: ["batch"]
  resources: ["jobs"]
  verbs: ["list", "create", "delete"]
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["list"]
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create"]
{{- end -}}

{{/* Leader election (kopf peering) for more than one replica. */}}
{{- define "kubesweep.peeringName" -}}
{{- include "kubesweep.fullname" . -}}
{{- end -}}
