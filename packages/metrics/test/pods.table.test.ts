// Family-by-family table for Pods, as KSM's internal/store/pod_test.go: one object in, the exact series of one
// family out (wire label order, Go number format). Every family of the catalog has a row (KSM, opt-in, EXTENSION
// and semconv); a family added without one fails the coverage test. Expected lines were checked against KSM
// v2.20's pod.go / job.go / cronjob.go rules; the differential tests (test/peers/differential-*.test.ts) hold the
// KSM families to the real binary.
import { describe } from 'node:test';
import { type FamilyRow, row, runFamilyTable } from './helpers.ts';
import * as O from './table-objects.ts';

const ROWS: FamilyRow[] = [
  row(
    'kube_pod_annotations',
    'running pod with owner, IPs, resources, sidecar, volumes, DRA claims',
    O.podFull,
    ['kube_pod_annotations{namespace="ns",pod="web-1",uid="uid-web-1",annotation_example_com_owner="alice"} 1'],
    { labelsAllow: undefined, annotationsAllow: ['*'] },
  ),
  row(
    'kube_pod_annotations',
    'init container in CrashLoopBackOff',
    O.podInitWaiting,
    ['kube_pod_annotations{namespace="ns",pod="init-crash",uid="uid-init-crash"} 1'],
    { labelsAllow: undefined, annotationsAllow: ['*'] },
  ),
  row('kube_pod_annotations', 'no allowlist entry: nothing', O.podCrash, []),
  row(
    'kube_pod_labels',
    'running pod with owner, IPs, resources, sidecar, volumes, DRA claims',
    O.podFull,
    ['kube_pod_labels{namespace="ns",pod="web-1",uid="uid-web-1",label_app="web"} 1'],
    { labelsAllow: ['app'], annotationsAllow: undefined },
  ),
  row(
    'kube_pod_labels',
    'init container in CrashLoopBackOff',
    O.podInitWaiting,
    ['kube_pod_labels{namespace="ns",pod="init-crash",uid="uid-init-crash"} 1'],
    { labelsAllow: ['app'], annotationsAllow: undefined },
  ),
  row('kube_pod_labels', 'no allowlist entry: nothing', O.podCrash, []),
  row('kube_pod_info', 'running pod with owner, IPs, resources, sidecar, volumes, DRA claims', O.podFull, [
    'kube_pod_info{namespace="ns",pod="web-1",uid="uid-web-1",host_ip="10.0.0.1",pod_ip="10.244.1.5",node="node-a",created_by_kind="ReplicaSet",created_by_name="web-7d9f",priority_class="high",host_network="false"} 1',
  ]),
  row('kube_pod_info', 'init container in CrashLoopBackOff', O.podInitWaiting, [
    'kube_pod_info{namespace="ns",pod="init-crash",uid="uid-init-crash",host_ip="",pod_ip="",node="node-a",created_by_kind="",created_by_name="",priority_class="",host_network="false"} 1',
  ]),
  row('kube_pod_ips', 'running pod with owner, IPs, resources, sidecar, volumes, DRA claims', O.podFull, [
    'kube_pod_ips{namespace="ns",pod="web-1",uid="uid-web-1",ip="10.244.1.5",ip_family="4"} 1',
    'kube_pod_ips{namespace="ns",pod="web-1",uid="uid-web-1",ip="fd00::5",ip_family="6"} 1',
  ]),
  row('kube_pod_ips', 'crash-looping container after an OOM kill: nothing', O.podCrash, []),
  row('kube_pod_start_time', 'running pod with owner, IPs, resources, sidecar, volumes, DRA claims', O.podFull, [
    'kube_pod_start_time{namespace="ns",pod="web-1",uid="uid-web-1"} 1.793527205e+09',
  ]),
  row('kube_pod_start_time', 'crash-looping container after an OOM kill: nothing', O.podCrash, []),
  row('kube_pod_completion_time', 'evicted by the kubelet', O.podEvicted, [
    'kube_pod_completion_time{namespace="ns",pod="evicted",uid="uid-evicted"} 1.79352726e+09',
  ]),
  row('kube_pod_completion_time', 'crash-looping container after an OOM kill', O.podCrash, [
    'kube_pod_completion_time{namespace="ns",pod="crash",uid="uid-crash"} 1.7935275e+09',
  ]),
  row(
    'kube_pod_completion_time',
    'running pod with owner, IPs, resources, sidecar, volumes, DRA claims: nothing',
    O.podFull,
    [],
  ),
  row('kube_pod_owner', 'running pod with owner, IPs, resources, sidecar, volumes, DRA claims', O.podFull, [
    'kube_pod_owner{namespace="ns",pod="web-1",uid="uid-web-1",owner_kind="ReplicaSet",owner_name="web-7d9f",owner_is_controller="true"} 1',
  ]),
  row('kube_pod_owner', 'init container in CrashLoopBackOff', O.podInitWaiting, [
    'kube_pod_owner{namespace="ns",pod="init-crash",uid="uid-init-crash",owner_kind="",owner_name="",owner_is_controller=""} 1',
  ]),
  row(
    'kube_pod_resourceclaim_info',
    'running pod with owner, IPs, resources, sidecar, volumes, DRA claims',
    O.podFull,
    [
      'kube_pod_resourceclaim_info{namespace="ns",pod="web-1",uid="uid-web-1",claim_name="gpu",resourceclaim_name="web-1-gpu-x7k2p",resourceclaim_template_name="gpu-template"} 1',
      'kube_pod_resourceclaim_info{namespace="ns",pod="web-1",uid="uid-web-1",claim_name="nic",resourceclaim_name="rdma-nic-0",resourceclaim_template_name=""} 1',
      'kube_pod_resourceclaim_info{namespace="ns",pod="web-1",uid="uid-web-1",claim_name="pending",resourceclaim_name="",resourceclaim_template_name="fpga-template"} 1',
    ],
  ),
  row('kube_pod_resourceclaim_info', 'crash-looping container after an OOM kill: nothing', O.podCrash, []),
  row('kube_pod_created', 'init container in CrashLoopBackOff', O.podInitWaiting, [
    'kube_pod_created{namespace="ns",pod="init-crash",uid="uid-init-crash"} 1.7935272e+09',
  ]),
  row('kube_pod_created', 'preempted, unlisted status reason', O.podPreempted, [
    'kube_pod_created{namespace="ns",pod="preempted",uid="uid-preempted"} 1.7935272e+09',
  ]),
  row('kube_pod_deletion_timestamp', 'preempted, unlisted status reason', O.podPreempted, [
    'kube_pod_deletion_timestamp{namespace="ns",pod="preempted",uid="uid-preempted"} 1.7935275e+09',
  ]),
  row('kube_pod_deletion_timestamp', 'evicted by the kubelet', O.podEvicted, [
    'kube_pod_deletion_timestamp{namespace="ns",pod="evicted",uid="uid-evicted"} 1.7935275e+09',
  ]),
  row('kube_pod_deletion_timestamp', 'crash-looping container after an OOM kill: nothing', O.podCrash, []),
  row('kube_pod_restart_policy', 'init container in CrashLoopBackOff', O.podInitWaiting, [
    'kube_pod_restart_policy{namespace="ns",pod="init-crash",uid="uid-init-crash",type=""} 1',
  ]),
  row('kube_pod_restart_policy', 'crash-looping container after an OOM kill', O.podCrash, [
    'kube_pod_restart_policy{namespace="ns",pod="crash",uid="uid-crash",type="OnFailure"} 1',
  ]),
  row(
    'kube_pod_runtimeclass_name_info',
    'running pod with owner, IPs, resources, sidecar, volumes, DRA claims',
    O.podFull,
    ['kube_pod_runtimeclass_name_info{namespace="ns",pod="web-1",uid="uid-web-1",runtimeclass_name="gvisor"} 1'],
  ),
  row('kube_pod_runtimeclass_name_info', 'crash-looping container after an OOM kill: nothing', O.podCrash, []),
  row(
    'kube_pod_overhead_cpu_cores',
    'running pod with owner, IPs, resources, sidecar, volumes, DRA claims',
    O.podFull,
    ['kube_pod_overhead_cpu_cores{namespace="ns",pod="web-1",uid="uid-web-1"} 0.25'],
  ),
  row('kube_pod_overhead_cpu_cores', 'crash-looping container after an OOM kill: nothing', O.podCrash, []),
  row(
    'kube_pod_overhead_memory_bytes',
    'running pod with owner, IPs, resources, sidecar, volumes, DRA claims',
    O.podFull,
    ['kube_pod_overhead_memory_bytes{namespace="ns",pod="web-1",uid="uid-web-1"} 1.2582912e+08'],
  ),
  row('kube_pod_overhead_memory_bytes', 'crash-looping container after an OOM kill: nothing', O.podCrash, []),
  row(
    'kube_pod_spec_volumes_persistentvolumeclaims_info',
    'running pod with owner, IPs, resources, sidecar, volumes, DRA claims',
    O.podFull,
    [
      'kube_pod_spec_volumes_persistentvolumeclaims_info{namespace="ns",pod="web-1",uid="uid-web-1",volume="data",persistentvolumeclaim="web-data",ephemeral="false"} 1',
      'kube_pod_spec_volumes_persistentvolumeclaims_info{namespace="ns",pod="web-1",uid="uid-web-1",volume="scratch",persistentvolumeclaim="web-1-scratch",ephemeral="true"} 1',
    ],
  ),
  row(
    'kube_pod_spec_volumes_persistentvolumeclaims_info',
    'crash-looping container after an OOM kill: nothing',
    O.podCrash,
    [],
  ),
  row(
    'kube_pod_spec_volumes_persistentvolumeclaims_readonly',
    'running pod with owner, IPs, resources, sidecar, volumes, DRA claims',
    O.podFull,
    [
      'kube_pod_spec_volumes_persistentvolumeclaims_readonly{namespace="ns",pod="web-1",uid="uid-web-1",volume="data",persistentvolumeclaim="web-data",ephemeral="false"} 1',
      'kube_pod_spec_volumes_persistentvolumeclaims_readonly{namespace="ns",pod="web-1",uid="uid-web-1",volume="scratch",persistentvolumeclaim="web-1-scratch",ephemeral="true"} 0',
    ],
  ),
  row(
    'kube_pod_spec_volumes_persistentvolumeclaims_readonly',
    'crash-looping container after an OOM kill: nothing',
    O.podCrash,
    [],
  ),
  row('kube_pod_tolerations', 'running pod with owner, IPs, resources, sidecar, volumes, DRA claims', O.podFull, [
    'kube_pod_tolerations{namespace="ns",pod="web-1",uid="uid-web-1",key="node.kubernetes.io/not-ready",operator="Exists",effect="NoExecute",toleration_seconds="300"} 1',
    'kube_pod_tolerations{namespace="ns",pod="web-1",uid="uid-web-1",key="dedicated",operator="Equal",value="web",effect="NoSchedule"} 1',
  ]),
  row('kube_pod_tolerations', 'crash-looping container after an OOM kill: nothing', O.podCrash, []),
  // Opt-in in KSM; the table runs every declared family. Keys sorted, sanitised, snake-cased (KSM pod_test.go).
  row('kube_pod_nodeselectors', 'running pod with owner, IPs, resources, sidecar, volumes, DRA claims', O.podFull, [
    'kube_pod_nodeselectors{namespace="ns",pod="web-1",uid="uid-web-1",nodeselector_cloud_google_com_gke_accelerator="nvidia-tesla-t4",nodeselector_kubernetes_io_os="linux"} 1',
  ]),
  row('kube_pod_nodeselectors', 'pending: colliding and camelCase nodeSelector keys', O.podUnschedulable, [
    'kube_pod_nodeselectors{namespace="ns",pod="pending",uid="uid-pending",nodeselector_disk_type="ssd",nodeselector_topology_kubernetes_io_zone_conflict1="a",nodeselector_topology_kubernetes_io_zone_conflict2="b"} 1',
  ]),
  row('kube_pod_nodeselectors', 'no nodeSelector: one series with the default labels only', O.podCrash, [
    'kube_pod_nodeselectors{namespace="ns",pod="crash",uid="uid-crash"} 1',
  ]),
  row('kube_pod_service_account', 'init container in CrashLoopBackOff', O.podInitWaiting, [
    'kube_pod_service_account{namespace="ns",pod="init-crash",uid="uid-init-crash",service_account=""} 1',
  ]),
  row('kube_pod_service_account', 'preempted, unlisted status reason', O.podPreempted, [
    'kube_pod_service_account{namespace="ns",pod="preempted",uid="uid-preempted",service_account=""} 1',
  ]),
  row('kube_pod_scheduler', 'running pod with owner, IPs, resources, sidecar, volumes, DRA claims', O.podFull, [
    'kube_pod_scheduler{namespace="ns",pod="web-1",uid="uid-web-1",name="default-scheduler"} 1',
  ]),
  row('kube_pod_scheduler', 'init container in CrashLoopBackOff', O.podInitWaiting, [
    'kube_pod_scheduler{namespace="ns",pod="init-crash",uid="uid-init-crash",name=""} 1',
  ]),
  row('kube_pod_status_phase', 'init container in CrashLoopBackOff', O.podInitWaiting, [
    'kube_pod_status_phase{namespace="ns",pod="init-crash",uid="uid-init-crash",phase="Pending"} 1',
    'kube_pod_status_phase{namespace="ns",pod="init-crash",uid="uid-init-crash",phase="Succeeded"} 0',
    'kube_pod_status_phase{namespace="ns",pod="init-crash",uid="uid-init-crash",phase="Failed"} 0',
    'kube_pod_status_phase{namespace="ns",pod="init-crash",uid="uid-init-crash",phase="Unknown"} 0',
    'kube_pod_status_phase{namespace="ns",pod="init-crash",uid="uid-init-crash",phase="Running"} 0',
  ]),
  row('kube_pod_status_phase', 'preempted, unlisted status reason', O.podPreempted, [
    'kube_pod_status_phase{namespace="ns",pod="preempted",uid="uid-preempted",phase="Pending"} 0',
    'kube_pod_status_phase{namespace="ns",pod="preempted",uid="uid-preempted",phase="Succeeded"} 0',
    'kube_pod_status_phase{namespace="ns",pod="preempted",uid="uid-preempted",phase="Failed"} 0',
    'kube_pod_status_phase{namespace="ns",pod="preempted",uid="uid-preempted",phase="Unknown"} 0',
    'kube_pod_status_phase{namespace="ns",pod="preempted",uid="uid-preempted",phase="Running"} 1',
  ]),
  row('kube_pod_status_qos_class', 'unschedulable', O.podUnschedulable, [
    'kube_pod_status_qos_class{namespace="ns",pod="pending",uid="uid-pending",qos_class="BestEffort"} 1',
    'kube_pod_status_qos_class{namespace="ns",pod="pending",uid="uid-pending",qos_class="Burstable"} 0',
    'kube_pod_status_qos_class{namespace="ns",pod="pending",uid="uid-pending",qos_class="Guaranteed"} 0',
  ]),
  row('kube_pod_status_qos_class', 'running pod with owner, IPs, resources, sidecar, volumes, DRA claims', O.podFull, [
    'kube_pod_status_qos_class{namespace="ns",pod="web-1",uid="uid-web-1",qos_class="BestEffort"} 0',
    'kube_pod_status_qos_class{namespace="ns",pod="web-1",uid="uid-web-1",qos_class="Burstable"} 1',
    'kube_pod_status_qos_class{namespace="ns",pod="web-1",uid="uid-web-1",qos_class="Guaranteed"} 0',
  ]),
  row('kube_pod_status_qos_class', 'crash-looping container after an OOM kill: nothing', O.podCrash, []),
  row('kube_pod_status_ready', 'evicted by the kubelet', O.podEvicted, [
    'kube_pod_status_ready{namespace="ns",pod="evicted",uid="uid-evicted",condition="true"} 0',
    'kube_pod_status_ready{namespace="ns",pod="evicted",uid="uid-evicted",condition="false"} 1',
    'kube_pod_status_ready{namespace="ns",pod="evicted",uid="uid-evicted",condition="unknown"} 0',
  ]),
  row('kube_pod_status_ready', 'crash-looping container after an OOM kill', O.podCrash, [
    'kube_pod_status_ready{namespace="ns",pod="crash",uid="uid-crash",condition="true"} 0',
    'kube_pod_status_ready{namespace="ns",pod="crash",uid="uid-crash",condition="false"} 1',
    'kube_pod_status_ready{namespace="ns",pod="crash",uid="uid-crash",condition="unknown"} 0',
  ]),
  row('kube_pod_status_ready', 'init container in CrashLoopBackOff: nothing', O.podInitWaiting, []),
  row('kube_pod_status_ready_time', 'running pod with owner, IPs, resources, sidecar, volumes, DRA claims', O.podFull, [
    'kube_pod_status_ready_time{namespace="ns",pod="web-1",uid="uid-web-1"} 1.79352726e+09',
  ]),
  row('kube_pod_status_ready_time', 'crash-looping container after an OOM kill: nothing', O.podCrash, []),
  row(
    'kube_pod_status_container_ready_time',
    'running pod with owner, IPs, resources, sidecar, volumes, DRA claims',
    O.podFull,
    ['kube_pod_status_container_ready_time{namespace="ns",pod="web-1",uid="uid-web-1"} 1.79352726e+09'],
  ),
  row('kube_pod_status_container_ready_time', 'crash-looping container after an OOM kill: nothing', O.podCrash, []),
  row(
    'kube_pod_status_initialized_time',
    'running pod with owner, IPs, resources, sidecar, volumes, DRA claims',
    O.podFull,
    ['kube_pod_status_initialized_time{namespace="ns",pod="web-1",uid="uid-web-1"} 1.793527205e+09'],
  ),
  row('kube_pod_status_initialized_time', 'crash-looping container after an OOM kill: nothing', O.podCrash, []),
  row('kube_pod_status_scheduled', 'unschedulable', O.podUnschedulable, [
    'kube_pod_status_scheduled{namespace="ns",pod="pending",uid="uid-pending",condition="true"} 0',
    'kube_pod_status_scheduled{namespace="ns",pod="pending",uid="uid-pending",condition="false"} 1',
    'kube_pod_status_scheduled{namespace="ns",pod="pending",uid="uid-pending",condition="unknown"} 0',
  ]),
  row('kube_pod_status_scheduled', 'crash-looping container after an OOM kill', O.podCrash, [
    'kube_pod_status_scheduled{namespace="ns",pod="crash",uid="uid-crash",condition="true"} 1',
    'kube_pod_status_scheduled{namespace="ns",pod="crash",uid="uid-crash",condition="false"} 0',
    'kube_pod_status_scheduled{namespace="ns",pod="crash",uid="uid-crash",condition="unknown"} 0',
  ]),
  row('kube_pod_status_scheduled', 'evicted by the kubelet: nothing', O.podEvicted, []),
  row('kube_pod_status_scheduled_time', 'crash-looping container after an OOM kill', O.podCrash, [
    'kube_pod_status_scheduled_time{namespace="ns",pod="crash",uid="uid-crash"} 1.793527205e+09',
  ]),
  row(
    'kube_pod_status_scheduled_time',
    'running pod with owner, IPs, resources, sidecar, volumes, DRA claims',
    O.podFull,
    ['kube_pod_status_scheduled_time{namespace="ns",pod="web-1",uid="uid-web-1"} 1.7935272e+09'],
  ),
  row('kube_pod_status_scheduled_time', 'evicted by the kubelet: nothing', O.podEvicted, []),
  row('kube_pod_status_unschedulable', 'unschedulable', O.podUnschedulable, [
    'kube_pod_status_unschedulable{namespace="ns",pod="pending",uid="uid-pending"} 1',
  ]),
  row('kube_pod_status_unschedulable', 'crash-looping container after an OOM kill: nothing', O.podCrash, []),
  row('kube_pod_status_unscheduled_time', 'unschedulable', O.podUnschedulable, [
    'kube_pod_status_unscheduled_time{namespace="ns",pod="pending",uid="uid-pending"} 1.79352726e+09',
  ]),
  row('kube_pod_status_unscheduled_time', 'crash-looping container after an OOM kill: nothing', O.podCrash, []),
  row('kube_pod_status_reason', 'preempted, unlisted status reason', O.podPreempted, [
    'kube_pod_status_reason{namespace="ns",pod="preempted",uid="uid-preempted",reason="PreemptionByScheduler"} 1',
    'kube_pod_status_reason{namespace="ns",pod="preempted",uid="uid-preempted",reason="Other"} 1',
  ]),
  row('kube_pod_status_reason', 'evicted by the kubelet', O.podEvicted, [
    'kube_pod_status_reason{namespace="ns",pod="evicted",uid="uid-evicted",reason="Evicted"} 1',
    'kube_pod_status_reason{namespace="ns",pod="evicted",uid="uid-evicted",reason="TerminationByKubelet"} 1',
  ]),
  row('kube_pod_status_reason', 'crash-looping container after an OOM kill: nothing', O.podCrash, []),
  row('kube_pod_status_disruption_reason', 'preempted, unlisted status reason', O.podPreempted, [
    'kube_pod_status_disruption_reason{namespace="ns",pod="preempted",uid="uid-preempted",reason="PreemptionByScheduler"} 1',
  ]),
  row('kube_pod_status_disruption_reason', 'evicted by the kubelet', O.podEvicted, [
    'kube_pod_status_disruption_reason{namespace="ns",pod="evicted",uid="uid-evicted",reason="TerminationByKubelet"} 1',
  ]),
  row('kube_pod_status_disruption_reason', 'crash-looping container after an OOM kill: nothing', O.podCrash, []),
  row('kube_pod_container_info', 'crash-looping container after an OOM kill', O.podCrash, [
    'kube_pod_container_info{namespace="ns",pod="crash",uid="uid-crash",container="app",image_spec="app:1.2",image="docker.io/library/app:1.2",image_id="docker.io/library/app@sha256:abc",container_id="containerd://app-1"} 1',
    'kube_pod_container_info{namespace="ns",pod="crash",uid="uid-crash",container="done",image_spec="batch:1",image="docker.io/library/done:1.2",image_id="docker.io/library/done@sha256:abc",container_id="containerd://done-1"} 1',
  ]),
  row('kube_pod_container_info', 'preempted, unlisted status reason', O.podPreempted, [
    'kube_pod_container_info{namespace="ns",pod="preempted",uid="uid-preempted",container="app",image_spec="app:1.2",image="docker.io/library/app:1.2",image_id="docker.io/library/app@sha256:abc",container_id="containerd://app-1"} 1',
  ]),
  row('kube_pod_container_info', 'unschedulable: nothing', O.podUnschedulable, []),
  row('kube_pod_container_status_ready', 'crash-looping container after an OOM kill', O.podCrash, [
    'kube_pod_container_status_ready{namespace="ns",pod="crash",uid="uid-crash",container="app"} 0',
    'kube_pod_container_status_ready{namespace="ns",pod="crash",uid="uid-crash",container="done"} 0',
  ]),
  row('kube_pod_container_status_ready', 'init container in CrashLoopBackOff', O.podInitWaiting, [
    'kube_pod_container_status_ready{namespace="ns",pod="init-crash",uid="uid-init-crash",container="app"} 0',
  ]),
  row('kube_pod_container_status_ready', 'unschedulable: nothing', O.podUnschedulable, []),
  row('kube_pod_container_status_restarts_total', 'crash-looping container after an OOM kill', O.podCrash, [
    'kube_pod_container_status_restarts_total{namespace="ns",pod="crash",uid="uid-crash",container="app"} 7',
    'kube_pod_container_status_restarts_total{namespace="ns",pod="crash",uid="uid-crash",container="done"} 0',
  ]),
  row('kube_pod_container_status_restarts_total', 'init container in CrashLoopBackOff', O.podInitWaiting, [
    'kube_pod_container_status_restarts_total{namespace="ns",pod="init-crash",uid="uid-init-crash",container="app"} 0',
  ]),
  row('kube_pod_container_status_restarts_total', 'unschedulable: nothing', O.podUnschedulable, []),
  row('kube_pod_container_status_running', 'crash-looping container after an OOM kill', O.podCrash, [
    'kube_pod_container_status_running{namespace="ns",pod="crash",uid="uid-crash",container="app"} 0',
    'kube_pod_container_status_running{namespace="ns",pod="crash",uid="uid-crash",container="done"} 0',
  ]),
  row('kube_pod_container_status_running', 'init container in CrashLoopBackOff', O.podInitWaiting, [
    'kube_pod_container_status_running{namespace="ns",pod="init-crash",uid="uid-init-crash",container="app"} 0',
  ]),
  row('kube_pod_container_status_running', 'unschedulable: nothing', O.podUnschedulable, []),
  row('kube_pod_container_status_terminated', 'crash-looping container after an OOM kill', O.podCrash, [
    'kube_pod_container_status_terminated{namespace="ns",pod="crash",uid="uid-crash",container="app"} 0',
    'kube_pod_container_status_terminated{namespace="ns",pod="crash",uid="uid-crash",container="done"} 1',
  ]),
  row('kube_pod_container_status_terminated', 'init container in CrashLoopBackOff', O.podInitWaiting, [
    'kube_pod_container_status_terminated{namespace="ns",pod="init-crash",uid="uid-init-crash",container="app"} 0',
  ]),
  row('kube_pod_container_status_terminated', 'unschedulable: nothing', O.podUnschedulable, []),
  row('kube_pod_container_status_waiting', 'crash-looping container after an OOM kill', O.podCrash, [
    'kube_pod_container_status_waiting{namespace="ns",pod="crash",uid="uid-crash",container="app"} 1',
    'kube_pod_container_status_waiting{namespace="ns",pod="crash",uid="uid-crash",container="done"} 0',
  ]),
  row('kube_pod_container_status_waiting', 'init container in CrashLoopBackOff', O.podInitWaiting, [
    'kube_pod_container_status_waiting{namespace="ns",pod="init-crash",uid="uid-init-crash",container="app"} 1',
  ]),
  row('kube_pod_container_status_waiting', 'unschedulable: nothing', O.podUnschedulable, []),
  row('kube_pod_container_status_waiting_reason', 'init container in CrashLoopBackOff', O.podInitWaiting, [
    'kube_pod_container_status_waiting_reason{namespace="ns",pod="init-crash",uid="uid-init-crash",container="app",reason="PodInitializing"} 1',
  ]),
  row('kube_pod_container_status_waiting_reason', 'crash-looping container after an OOM kill', O.podCrash, [
    'kube_pod_container_status_waiting_reason{namespace="ns",pod="crash",uid="uid-crash",container="app",reason="CrashLoopBackOff"} 1',
  ]),
  row('kube_pod_container_status_waiting_reason', 'evicted by the kubelet: nothing', O.podEvicted, []),
  row('kube_pod_container_status_terminated_reason', 'evicted by the kubelet', O.podEvicted, [
    'kube_pod_container_status_terminated_reason{namespace="ns",pod="evicted",uid="uid-evicted",container="app",reason="ContainerStatusUnknown"} 1',
  ]),
  row('kube_pod_container_status_terminated_reason', 'crash-looping container after an OOM kill', O.podCrash, [
    'kube_pod_container_status_terminated_reason{namespace="ns",pod="crash",uid="uid-crash",container="done",reason="Completed"} 1',
  ]),
  row(
    'kube_pod_container_status_terminated_reason',
    'running pod with owner, IPs, resources, sidecar, volumes, DRA claims: nothing',
    O.podFull,
    [],
  ),
  row('kube_pod_container_status_last_terminated_reason', 'crash-looping container after an OOM kill', O.podCrash, [
    'kube_pod_container_status_last_terminated_reason{namespace="ns",pod="crash",uid="uid-crash",container="app",reason="OOMKilled"} 1',
  ]),
  row('kube_pod_container_status_last_terminated_reason', 'evicted by the kubelet: nothing', O.podEvicted, []),
  row('kube_pod_container_status_last_terminated_exitcode', 'crash-looping container after an OOM kill', O.podCrash, [
    'kube_pod_container_status_last_terminated_exitcode{namespace="ns",pod="crash",uid="uid-crash",container="app"} 137',
  ]),
  row('kube_pod_container_status_last_terminated_exitcode', 'evicted by the kubelet: nothing', O.podEvicted, []),
  row('kube_pod_container_status_last_terminated_timestamp', 'crash-looping container after an OOM kill', O.podCrash, [
    'kube_pod_container_status_last_terminated_timestamp{namespace="ns",pod="crash",uid="uid-crash",container="app"} 1.79352726e+09',
  ]),
  row('kube_pod_container_status_last_terminated_timestamp', 'evicted by the kubelet: nothing', O.podEvicted, []),
  row('kube_pod_container_state_started', 'preempted, unlisted status reason', O.podPreempted, [
    'kube_pod_container_state_started{namespace="ns",pod="preempted",uid="uid-preempted",container="app"} 1.793527205e+09',
  ]),
  row('kube_pod_container_state_started', 'evicted by the kubelet', O.podEvicted, [
    'kube_pod_container_state_started{namespace="ns",pod="evicted",uid="uid-evicted",container="app"} 1.793527205e+09',
  ]),
  row('kube_pod_container_state_started', 'init container in CrashLoopBackOff: nothing', O.podInitWaiting, []),
  row(
    'kube_pod_container_resource_requests',
    'running pod with owner, IPs, resources, sidecar, volumes, DRA claims',
    O.podFull,
    [
      'kube_pod_container_resource_requests{namespace="ns",pod="web-1",uid="uid-web-1",container="app",node="node-a",resource="cpu",unit="core"} 0.5',
      'kube_pod_container_resource_requests{namespace="ns",pod="web-1",uid="uid-web-1",container="app",node="node-a",resource="memory",unit="byte"} 2.68435456e+08',
      'kube_pod_container_resource_requests{namespace="ns",pod="web-1",uid="uid-web-1",container="app",node="node-a",resource="hugepages_2Mi",unit="byte"} 4.194304e+06',
      'kube_pod_container_resource_requests{namespace="ns",pod="web-1",uid="uid-web-1",container="app",node="node-a",resource="example_com_fpga",unit="integer"} 2',
    ],
  ),
  row('kube_pod_container_resource_requests', 'crash-looping container after an OOM kill: nothing', O.podCrash, []),
  row(
    'kube_pod_container_resource_limits',
    'running pod with owner, IPs, resources, sidecar, volumes, DRA claims',
    O.podFull,
    [
      'kube_pod_container_resource_limits{namespace="ns",pod="web-1",uid="uid-web-1",container="app",node="node-a",resource="cpu",unit="core"} 1',
      'kube_pod_container_resource_limits{namespace="ns",pod="web-1",uid="uid-web-1",container="app",node="node-a",resource="memory",unit="byte"} 5.36870912e+08',
      'kube_pod_container_resource_limits{namespace="ns",pod="web-1",uid="uid-web-1",container="app",node="node-a",resource="ephemeral_storage",unit="byte"} 1.073741824e+09',
    ],
  ),
  row('kube_pod_container_resource_limits', 'crash-looping container after an OOM kill: nothing', O.podCrash, []),
  row(
    'kube_pod_init_container_info',
    'running pod with owner, IPs, resources, sidecar, volumes, DRA claims',
    O.podFull,
    [
      'kube_pod_init_container_info{namespace="ns",pod="web-1",uid="uid-web-1",container="migrate",image_spec="migrate:3",image="docker.io/library/migrate:1.2",image_id="docker.io/library/migrate@sha256:abc",container_id="containerd://migrate-1",restart_policy=""} 1',
      'kube_pod_init_container_info{namespace="ns",pod="web-1",uid="uid-web-1",container="proxy",image_spec="envoy:1.30",image="docker.io/library/proxy:1.2",image_id="docker.io/library/proxy@sha256:abc",container_id="containerd://proxy-1",restart_policy="Always"} 1',
    ],
  ),
  row('kube_pod_init_container_info', 'init container in CrashLoopBackOff', O.podInitWaiting, [
    'kube_pod_init_container_info{namespace="ns",pod="init-crash",uid="uid-init-crash",container="migrate",image_spec="migrate:3",image="docker.io/library/migrate:1.2",image_id="docker.io/library/migrate@sha256:abc",container_id="containerd://migrate-1",restart_policy=""} 1',
  ]),
  row('kube_pod_init_container_info', 'crash-looping container after an OOM kill: nothing', O.podCrash, []),
  row(
    'kube_pod_init_container_status_ready',
    'running pod with owner, IPs, resources, sidecar, volumes, DRA claims',
    O.podFull,
    [
      'kube_pod_init_container_status_ready{namespace="ns",pod="web-1",uid="uid-web-1",container="migrate"} 0',
      'kube_pod_init_container_status_ready{namespace="ns",pod="web-1",uid="uid-web-1",container="proxy"} 1',
    ],
  ),
  row('kube_pod_init_container_status_ready', 'init container in CrashLoopBackOff', O.podInitWaiting, [
    'kube_pod_init_container_status_ready{namespace="ns",pod="init-crash",uid="uid-init-crash",container="migrate"} 0',
  ]),
  row('kube_pod_init_container_status_ready', 'crash-looping container after an OOM kill: nothing', O.podCrash, []),
  row(
    'kube_pod_init_container_status_restarts_total',
    'running pod with owner, IPs, resources, sidecar, volumes, DRA claims',
    O.podFull,
    [
      'kube_pod_init_container_status_restarts_total{namespace="ns",pod="web-1",uid="uid-web-1",container="migrate"} 0',
      'kube_pod_init_container_status_restarts_total{namespace="ns",pod="web-1",uid="uid-web-1",container="proxy"} 1',
    ],
  ),
  row('kube_pod_init_container_status_restarts_total', 'init container in CrashLoopBackOff', O.podInitWaiting, [
    'kube_pod_init_container_status_restarts_total{namespace="ns",pod="init-crash",uid="uid-init-crash",container="migrate"} 3',
  ]),
  row(
    'kube_pod_init_container_status_restarts_total',
    'crash-looping container after an OOM kill: nothing',
    O.podCrash,
    [],
  ),
  row(
    'kube_pod_init_container_status_running',
    'running pod with owner, IPs, resources, sidecar, volumes, DRA claims',
    O.podFull,
    [
      'kube_pod_init_container_status_running{namespace="ns",pod="web-1",uid="uid-web-1",container="migrate"} 0',
      'kube_pod_init_container_status_running{namespace="ns",pod="web-1",uid="uid-web-1",container="proxy"} 1',
    ],
  ),
  row('kube_pod_init_container_status_running', 'init container in CrashLoopBackOff', O.podInitWaiting, [
    'kube_pod_init_container_status_running{namespace="ns",pod="init-crash",uid="uid-init-crash",container="migrate"} 0',
  ]),
  row('kube_pod_init_container_status_running', 'crash-looping container after an OOM kill: nothing', O.podCrash, []),
  row(
    'kube_pod_init_container_status_terminated',
    'running pod with owner, IPs, resources, sidecar, volumes, DRA claims',
    O.podFull,
    [
      'kube_pod_init_container_status_terminated{namespace="ns",pod="web-1",uid="uid-web-1",container="migrate"} 1',
      'kube_pod_init_container_status_terminated{namespace="ns",pod="web-1",uid="uid-web-1",container="proxy"} 0',
    ],
  ),
  row('kube_pod_init_container_status_terminated', 'init container in CrashLoopBackOff', O.podInitWaiting, [
    'kube_pod_init_container_status_terminated{namespace="ns",pod="init-crash",uid="uid-init-crash",container="migrate"} 0',
  ]),
  row(
    'kube_pod_init_container_status_terminated',
    'crash-looping container after an OOM kill: nothing',
    O.podCrash,
    [],
  ),
  row(
    'kube_pod_init_container_status_waiting',
    'running pod with owner, IPs, resources, sidecar, volumes, DRA claims',
    O.podFull,
    [
      'kube_pod_init_container_status_waiting{namespace="ns",pod="web-1",uid="uid-web-1",container="migrate"} 0',
      'kube_pod_init_container_status_waiting{namespace="ns",pod="web-1",uid="uid-web-1",container="proxy"} 0',
    ],
  ),
  row('kube_pod_init_container_status_waiting', 'init container in CrashLoopBackOff', O.podInitWaiting, [
    'kube_pod_init_container_status_waiting{namespace="ns",pod="init-crash",uid="uid-init-crash",container="migrate"} 1',
  ]),
  row('kube_pod_init_container_status_waiting', 'crash-looping container after an OOM kill: nothing', O.podCrash, []),
  row('kube_pod_init_container_status_waiting_reason', 'init container in CrashLoopBackOff', O.podInitWaiting, [
    'kube_pod_init_container_status_waiting_reason{namespace="ns",pod="init-crash",uid="uid-init-crash",container="migrate",reason="CrashLoopBackOff"} 1',
  ]),
  row(
    'kube_pod_init_container_status_waiting_reason',
    'crash-looping container after an OOM kill: nothing',
    O.podCrash,
    [],
  ),
  row(
    'kube_pod_init_container_status_terminated_reason',
    'running pod with owner, IPs, resources, sidecar, volumes, DRA claims',
    O.podFull,
    [
      'kube_pod_init_container_status_terminated_reason{namespace="ns",pod="web-1",uid="uid-web-1",container="migrate",reason="Completed"} 1',
    ],
  ),
  row(
    'kube_pod_init_container_status_terminated_reason',
    'crash-looping container after an OOM kill: nothing',
    O.podCrash,
    [],
  ),
  row('kube_pod_init_container_status_last_terminated_reason', 'init container in CrashLoopBackOff', O.podInitWaiting, [
    'kube_pod_init_container_status_last_terminated_reason{namespace="ns",pod="init-crash",uid="uid-init-crash",container="migrate",reason="Error"} 1',
  ]),
  row(
    'kube_pod_init_container_status_last_terminated_reason',
    'running pod with owner, IPs, resources, sidecar, volumes, DRA claims',
    O.podFull,
    [
      'kube_pod_init_container_status_last_terminated_reason{namespace="ns",pod="web-1",uid="uid-web-1",container="proxy",reason="Error"} 1',
    ],
  ),
  row(
    'kube_pod_init_container_status_last_terminated_reason',
    'crash-looping container after an OOM kill: nothing',
    O.podCrash,
    [],
  ),
  row(
    'kube_pod_init_container_status_last_terminated_exitcode',
    'init container in CrashLoopBackOff',
    O.podInitWaiting,
    [
      'kube_pod_init_container_status_last_terminated_exitcode{namespace="ns",pod="init-crash",uid="uid-init-crash",container="migrate"} 2',
    ],
  ),
  row(
    'kube_pod_init_container_status_last_terminated_exitcode',
    'running pod with owner, IPs, resources, sidecar, volumes, DRA claims',
    O.podFull,
    [
      'kube_pod_init_container_status_last_terminated_exitcode{namespace="ns",pod="web-1",uid="uid-web-1",container="proxy"} 1',
    ],
  ),
  row(
    'kube_pod_init_container_status_last_terminated_exitcode',
    'crash-looping container after an OOM kill: nothing',
    O.podCrash,
    [],
  ),
  row(
    'kube_pod_init_container_status_last_terminated_timestamp',
    'init container in CrashLoopBackOff',
    O.podInitWaiting,
    [
      'kube_pod_init_container_status_last_terminated_timestamp{namespace="ns",pod="init-crash",uid="uid-init-crash",container="migrate"} 1.79352726e+09',
    ],
  ),
  row(
    'kube_pod_init_container_status_last_terminated_timestamp',
    'running pod with owner, IPs, resources, sidecar, volumes, DRA claims',
    O.podFull,
    [
      'kube_pod_init_container_status_last_terminated_timestamp{namespace="ns",pod="web-1",uid="uid-web-1",container="proxy"} 1.793527205e+09',
    ],
  ),
  row(
    'kube_pod_init_container_status_last_terminated_timestamp',
    'crash-looping container after an OOM kill: nothing',
    O.podCrash,
    [],
  ),
  row(
    'kube_pod_init_container_state_started',
    'running pod with owner, IPs, resources, sidecar, volumes, DRA claims',
    O.podFull,
    [
      'kube_pod_init_container_state_started{namespace="ns",pod="web-1",uid="uid-web-1",container="migrate"} 1.7935272e+09',
      'kube_pod_init_container_state_started{namespace="ns",pod="web-1",uid="uid-web-1",container="proxy"} 1.793527205e+09',
    ],
  ),
  row('kube_pod_init_container_state_started', 'crash-looping container after an OOM kill: nothing', O.podCrash, []),
  row(
    'kube_pod_init_container_resource_requests',
    'running pod with owner, IPs, resources, sidecar, volumes, DRA claims',
    O.podFull,
    [
      'kube_pod_init_container_resource_requests{namespace="ns",pod="web-1",uid="uid-web-1",container="migrate",node="node-a",resource="cpu",unit="core"} 0.1',
    ],
  ),
  row(
    'kube_pod_init_container_resource_requests',
    'crash-looping container after an OOM kill: nothing',
    O.podCrash,
    [],
  ),
  row(
    'kube_pod_init_container_resource_limits',
    'running pod with owner, IPs, resources, sidecar, volumes, DRA claims',
    O.podFull,
    [
      'kube_pod_init_container_resource_limits{namespace="ns",pod="web-1",uid="uid-web-1",container="proxy",node="node-a",resource="memory",unit="byte"} 6.7108864e+07',
    ],
  ),
  row('kube_pod_init_container_resource_limits', 'crash-looping container after an OOM kill: nothing', O.podCrash, []),
  row('kube_pod_status_disruption', 'preempted, unlisted status reason', O.podPreempted, [
    'kube_pod_status_disruption{namespace="ns",pod="preempted",uid="uid-preempted",reason="PreemptionByScheduler",component="default-scheduler",condition="true"} 1',
  ]),
  row('kube_pod_status_disruption', 'evicted by the kubelet', O.podEvicted, [
    'kube_pod_status_disruption{namespace="ns",pod="evicted",uid="uid-evicted",reason="TerminationByKubelet",component="kubelet",condition="true"} 1',
  ]),
  row('kube_pod_status_disruption', 'crash-looping container after an OOM kill: nothing', O.podCrash, []),
  row('kube_pod_status_disruption_time', 'preempted, unlisted status reason', O.podPreempted, [
    'kube_pod_status_disruption_time{namespace="ns",pod="preempted",uid="uid-preempted",reason="PreemptionByScheduler"} 1.7935275e+09',
  ]),
  row('kube_pod_status_disruption_time', 'evicted by the kubelet', O.podEvicted, [
    'kube_pod_status_disruption_time{namespace="ns",pod="evicted",uid="uid-evicted",reason="TerminationByKubelet"} 1.793527205e+09',
  ]),
  row('kube_pod_status_disruption_time', 'crash-looping container after an OOM kill: nothing', O.podCrash, []),
  row('kube_pod_status_reason_source', 'crash-looping container after an OOM kill', O.podCrash, [
    'kube_pod_status_reason_source{namespace="ns",pod="crash",uid="uid-crash",reason="Completed",source="container_terminated"} 1',
  ]),
  row('kube_pod_status_reason_source', 'preempted, unlisted status reason', O.podPreempted, [
    'kube_pod_status_reason_source{namespace="ns",pod="preempted",uid="uid-preempted",reason="OutOfcpu",source="status"} 1',
  ]),
  row(
    'kube_pod_status_reason_source',
    'running pod with owner, IPs, resources, sidecar, volumes, DRA claims: nothing',
    O.podFull,
    [],
  ),
  // ---------------------------------------------------------------- semconv schema: identity on every point
  row('k8s.pod.status.phase', "a Job's pod, done, with local storage", O.podJobWorker, [
    'k8s.pod.status.phase{k8s.namespace.name="ns",k8s.pod.name="worker-x7k2p",k8s.pod.uid="uid-worker-x7k2p",k8s.node.name="node-b",k8s.job.name="worker",k8s.job.uid="uid-worker",k8s.pod.status.phase="Pending"} 0',
    'k8s.pod.status.phase{k8s.namespace.name="ns",k8s.pod.name="worker-x7k2p",k8s.pod.uid="uid-worker-x7k2p",k8s.node.name="node-b",k8s.job.name="worker",k8s.job.uid="uid-worker",k8s.pod.status.phase="Running"} 0',
    'k8s.pod.status.phase{k8s.namespace.name="ns",k8s.pod.name="worker-x7k2p",k8s.pod.uid="uid-worker-x7k2p",k8s.node.name="node-b",k8s.job.name="worker",k8s.job.uid="uid-worker",k8s.pod.status.phase="Succeeded"} 1',
    'k8s.pod.status.phase{k8s.namespace.name="ns",k8s.pod.name="worker-x7k2p",k8s.pod.uid="uid-worker-x7k2p",k8s.node.name="node-b",k8s.job.name="worker",k8s.job.uid="uid-worker",k8s.pod.status.phase="Failed"} 0',
    'k8s.pod.status.phase{k8s.namespace.name="ns",k8s.pod.name="worker-x7k2p",k8s.pod.uid="uid-worker-x7k2p",k8s.node.name="node-b",k8s.job.name="worker",k8s.job.uid="uid-worker",k8s.pod.status.phase="Unknown"} 0',
  ]),
  row('k8s.pod.status.reason', 'evicted by the kubelet', O.podEvicted, [
    'k8s.pod.status.reason{k8s.namespace.name="ns",k8s.pod.name="evicted",k8s.pod.uid="uid-evicted",k8s.node.name="node-a",k8s.pod.status.reason="Evicted"} 1',
    'k8s.pod.status.reason{k8s.namespace.name="ns",k8s.pod.name="evicted",k8s.pod.uid="uid-evicted",k8s.node.name="node-a",k8s.pod.status.reason="NodeAffinity"} 0',
    'k8s.pod.status.reason{k8s.namespace.name="ns",k8s.pod.name="evicted",k8s.pod.uid="uid-evicted",k8s.node.name="node-a",k8s.pod.status.reason="NodeLost"} 0',
    'k8s.pod.status.reason{k8s.namespace.name="ns",k8s.pod.name="evicted",k8s.pod.uid="uid-evicted",k8s.node.name="node-a",k8s.pod.status.reason="Shutdown"} 0',
    'k8s.pod.status.reason{k8s.namespace.name="ns",k8s.pod.name="evicted",k8s.pod.uid="uid-evicted",k8s.node.name="node-a",k8s.pod.status.reason="UnexpectedAdmissionError"} 0',
  ]),
  row('k8s.container.status.state', 'crash-looping container after an OOM kill', O.podCrash, [
    'k8s.container.status.state{k8s.namespace.name="ns",k8s.pod.name="crash",k8s.pod.uid="uid-crash",k8s.node.name="node-b",k8s.container.name="app",k8s.container.status.state="terminated"} 0',
    'k8s.container.status.state{k8s.namespace.name="ns",k8s.pod.name="crash",k8s.pod.uid="uid-crash",k8s.node.name="node-b",k8s.container.name="app",k8s.container.status.state="running"} 0',
    'k8s.container.status.state{k8s.namespace.name="ns",k8s.pod.name="crash",k8s.pod.uid="uid-crash",k8s.node.name="node-b",k8s.container.name="app",k8s.container.status.state="waiting"} 1',
    'k8s.container.status.state{k8s.namespace.name="ns",k8s.pod.name="crash",k8s.pod.uid="uid-crash",k8s.node.name="node-b",k8s.container.name="done",k8s.container.status.state="terminated"} 1',
    'k8s.container.status.state{k8s.namespace.name="ns",k8s.pod.name="crash",k8s.pod.uid="uid-crash",k8s.node.name="node-b",k8s.container.name="done",k8s.container.status.state="running"} 0',
    'k8s.container.status.state{k8s.namespace.name="ns",k8s.pod.name="crash",k8s.pod.uid="uid-crash",k8s.node.name="node-b",k8s.container.name="done",k8s.container.status.state="waiting"} 0',
  ]),
  row('k8s.container.status.reason', "a Job's pod, done, with local storage", O.podJobWorker, [
    'k8s.container.status.reason{k8s.namespace.name="ns",k8s.pod.name="worker-x7k2p",k8s.pod.uid="uid-worker-x7k2p",k8s.node.name="node-b",k8s.job.name="worker",k8s.job.uid="uid-worker",k8s.container.name="work",k8s.container.status.reason="ContainerCreating"} 0',
    'k8s.container.status.reason{k8s.namespace.name="ns",k8s.pod.name="worker-x7k2p",k8s.pod.uid="uid-worker-x7k2p",k8s.node.name="node-b",k8s.job.name="worker",k8s.job.uid="uid-worker",k8s.container.name="work",k8s.container.status.reason="CrashLoopBackOff"} 0',
    'k8s.container.status.reason{k8s.namespace.name="ns",k8s.pod.name="worker-x7k2p",k8s.pod.uid="uid-worker-x7k2p",k8s.node.name="node-b",k8s.job.name="worker",k8s.job.uid="uid-worker",k8s.container.name="work",k8s.container.status.reason="CreateContainerConfigError"} 0',
    'k8s.container.status.reason{k8s.namespace.name="ns",k8s.pod.name="worker-x7k2p",k8s.pod.uid="uid-worker-x7k2p",k8s.node.name="node-b",k8s.job.name="worker",k8s.job.uid="uid-worker",k8s.container.name="work",k8s.container.status.reason="ErrImagePull"} 0',
    'k8s.container.status.reason{k8s.namespace.name="ns",k8s.pod.name="worker-x7k2p",k8s.pod.uid="uid-worker-x7k2p",k8s.node.name="node-b",k8s.job.name="worker",k8s.job.uid="uid-worker",k8s.container.name="work",k8s.container.status.reason="ImagePullBackOff"} 0',
    'k8s.container.status.reason{k8s.namespace.name="ns",k8s.pod.name="worker-x7k2p",k8s.pod.uid="uid-worker-x7k2p",k8s.node.name="node-b",k8s.job.name="worker",k8s.job.uid="uid-worker",k8s.container.name="work",k8s.container.status.reason="OOMKilled"} 0',
    'k8s.container.status.reason{k8s.namespace.name="ns",k8s.pod.name="worker-x7k2p",k8s.pod.uid="uid-worker-x7k2p",k8s.node.name="node-b",k8s.job.name="worker",k8s.job.uid="uid-worker",k8s.container.name="work",k8s.container.status.reason="Completed"} 1',
    'k8s.container.status.reason{k8s.namespace.name="ns",k8s.pod.name="worker-x7k2p",k8s.pod.uid="uid-worker-x7k2p",k8s.node.name="node-b",k8s.job.name="worker",k8s.job.uid="uid-worker",k8s.container.name="work",k8s.container.status.reason="Error"} 0',
    'k8s.container.status.reason{k8s.namespace.name="ns",k8s.pod.name="worker-x7k2p",k8s.pod.uid="uid-worker-x7k2p",k8s.node.name="node-b",k8s.job.name="worker",k8s.job.uid="uid-worker",k8s.container.name="work",k8s.container.status.reason="ContainerCannotRun"} 0',
  ]),
  row(
    'k8s.container.status.reason',
    'running pod with owner, IPs, resources, sidecar, volumes, DRA claims',
    O.podFull,
    [
      'k8s.container.status.reason{k8s.namespace.name="ns",k8s.pod.name="web-1",k8s.pod.uid="uid-web-1",k8s.node.name="node-a",k8s.container.name="app",k8s.container.status.reason="ContainerCreating"} 0',
      'k8s.container.status.reason{k8s.namespace.name="ns",k8s.pod.name="web-1",k8s.pod.uid="uid-web-1",k8s.node.name="node-a",k8s.container.name="app",k8s.container.status.reason="CrashLoopBackOff"} 0',
      'k8s.container.status.reason{k8s.namespace.name="ns",k8s.pod.name="web-1",k8s.pod.uid="uid-web-1",k8s.node.name="node-a",k8s.container.name="app",k8s.container.status.reason="CreateContainerConfigError"} 0',
      'k8s.container.status.reason{k8s.namespace.name="ns",k8s.pod.name="web-1",k8s.pod.uid="uid-web-1",k8s.node.name="node-a",k8s.container.name="app",k8s.container.status.reason="ErrImagePull"} 0',
      'k8s.container.status.reason{k8s.namespace.name="ns",k8s.pod.name="web-1",k8s.pod.uid="uid-web-1",k8s.node.name="node-a",k8s.container.name="app",k8s.container.status.reason="ImagePullBackOff"} 0',
      'k8s.container.status.reason{k8s.namespace.name="ns",k8s.pod.name="web-1",k8s.pod.uid="uid-web-1",k8s.node.name="node-a",k8s.container.name="app",k8s.container.status.reason="OOMKilled"} 0',
      'k8s.container.status.reason{k8s.namespace.name="ns",k8s.pod.name="web-1",k8s.pod.uid="uid-web-1",k8s.node.name="node-a",k8s.container.name="app",k8s.container.status.reason="Completed"} 0',
      'k8s.container.status.reason{k8s.namespace.name="ns",k8s.pod.name="web-1",k8s.pod.uid="uid-web-1",k8s.node.name="node-a",k8s.container.name="app",k8s.container.status.reason="Error"} 0',
      'k8s.container.status.reason{k8s.namespace.name="ns",k8s.pod.name="web-1",k8s.pod.uid="uid-web-1",k8s.node.name="node-a",k8s.container.name="app",k8s.container.status.reason="ContainerCannotRun"} 0',
    ],
  ),
  row('k8s.container.restart.count', 'crash-looping container after an OOM kill', O.podCrash, [
    'k8s.container.restart.count{k8s.namespace.name="ns",k8s.pod.name="crash",k8s.pod.uid="uid-crash",k8s.node.name="node-b",k8s.container.name="app"} 7',
    'k8s.container.restart.count{k8s.namespace.name="ns",k8s.pod.name="crash",k8s.pod.uid="uid-crash",k8s.node.name="node-b",k8s.container.name="done"} 0',
  ]),
  row('k8s.container.ready', 'running pod with owner, IPs, resources, sidecar, volumes, DRA claims', O.podFull, [
    'k8s.container.ready{k8s.namespace.name="ns",k8s.pod.name="web-1",k8s.pod.uid="uid-web-1",k8s.node.name="node-a",k8s.container.name="app"} 1',
  ]),
  row('k8s.container.ready', 'crash-looping container after an OOM kill', O.podCrash, [
    'k8s.container.ready{k8s.namespace.name="ns",k8s.pod.name="crash",k8s.pod.uid="uid-crash",k8s.node.name="node-b",k8s.container.name="app"} 0',
    'k8s.container.ready{k8s.namespace.name="ns",k8s.pod.name="crash",k8s.pod.uid="uid-crash",k8s.node.name="node-b",k8s.container.name="done"} 0',
  ]),
  row('k8s.container.cpu.request', 'running pod with owner, IPs, resources, sidecar, volumes, DRA claims', O.podFull, [
    'k8s.container.cpu.request{k8s.namespace.name="ns",k8s.pod.name="web-1",k8s.pod.uid="uid-web-1",k8s.node.name="node-a",k8s.container.name="app"} 0.5',
  ]),
  row('k8s.container.cpu.request', "a Job's pod, done, with local storage", O.podJobWorker, [
    'k8s.container.cpu.request{k8s.namespace.name="ns",k8s.pod.name="worker-x7k2p",k8s.pod.uid="uid-worker-x7k2p",k8s.node.name="node-b",k8s.job.name="worker",k8s.job.uid="uid-worker",k8s.container.name="work"} 1',
  ]),
  row('k8s.container.cpu.request', 'crash-looping container after an OOM kill: nothing', O.podCrash, []),
  row('k8s.container.cpu.limit', "a Job's pod, done, with local storage", O.podJobWorker, [
    'k8s.container.cpu.limit{k8s.namespace.name="ns",k8s.pod.name="worker-x7k2p",k8s.pod.uid="uid-worker-x7k2p",k8s.node.name="node-b",k8s.job.name="worker",k8s.job.uid="uid-worker",k8s.container.name="work"} 2',
  ]),
  row('k8s.container.memory.request', "a Job's pod, done, with local storage", O.podJobWorker, [
    'k8s.container.memory.request{k8s.namespace.name="ns",k8s.pod.name="worker-x7k2p",k8s.pod.uid="uid-worker-x7k2p",k8s.node.name="node-b",k8s.job.name="worker",k8s.job.uid="uid-worker",k8s.container.name="work"} 1.073741824e+09',
  ]),
  row('k8s.container.memory.request', 'crash-looping container after an OOM kill: nothing', O.podCrash, []),
  row('k8s.container.memory.limit', "a Job's pod, done, with local storage", O.podJobWorker, [
    'k8s.container.memory.limit{k8s.namespace.name="ns",k8s.pod.name="worker-x7k2p",k8s.pod.uid="uid-worker-x7k2p",k8s.node.name="node-b",k8s.job.name="worker",k8s.job.uid="uid-worker",k8s.container.name="work"} 2.147483648e+09',
  ]),
  row('k8s.container.storage.request', "a Job's pod, done, with local storage", O.podJobWorker, [
    'k8s.container.storage.request{k8s.namespace.name="ns",k8s.pod.name="worker-x7k2p",k8s.pod.uid="uid-worker-x7k2p",k8s.node.name="node-b",k8s.job.name="worker",k8s.job.uid="uid-worker",k8s.container.name="work"} 1.073741824e+10',
  ]),
  row(
    'k8s.container.storage.request',
    'running pod with owner, IPs, resources, sidecar, volumes, DRA claims: nothing',
    O.podFull,
    [],
  ),
  row('k8s.container.storage.limit', "a Job's pod, done, with local storage", O.podJobWorker, [
    'k8s.container.storage.limit{k8s.namespace.name="ns",k8s.pod.name="worker-x7k2p",k8s.pod.uid="uid-worker-x7k2p",k8s.node.name="node-b",k8s.job.name="worker",k8s.job.uid="uid-worker",k8s.container.name="work"} 2.147483648e+10',
  ]),
  row('k8s.container.ephemeral_storage.request', "a Job's pod, done, with local storage", O.podJobWorker, [
    'k8s.container.ephemeral_storage.request{k8s.namespace.name="ns",k8s.pod.name="worker-x7k2p",k8s.pod.uid="uid-worker-x7k2p",k8s.node.name="node-b",k8s.job.name="worker",k8s.job.uid="uid-worker",k8s.container.name="work"} 2.147483648e+09',
  ]),
  row('k8s.container.ephemeral_storage.limit', "a Job's pod, done, with local storage", O.podJobWorker, [
    'k8s.container.ephemeral_storage.limit{k8s.namespace.name="ns",k8s.pod.name="worker-x7k2p",k8s.pod.uid="uid-worker-x7k2p",k8s.node.name="node-b",k8s.job.name="worker",k8s.job.uid="uid-worker",k8s.container.name="work"} 4.294967296e+09',
  ]),
  row(
    'k8s.container.ephemeral_storage.limit',
    'running pod with owner, IPs, resources, sidecar, volumes, DRA claims',
    O.podFull,
    [
      'k8s.container.ephemeral_storage.limit{k8s.namespace.name="ns",k8s.pod.name="web-1",k8s.pod.uid="uid-web-1",k8s.node.name="node-a",k8s.container.name="app"} 1.073741824e+09',
    ],
  ),
];

describe('pods family table', () => runFamilyTable('pods', ROWS));
