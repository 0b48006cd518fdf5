// The main containers' exit codes. kube-state-metrics only exposes lastState's exit code
// (`kube_pod_container_status_last_terminated_exitcode`), which a Job pod with restartPolicy Never never
// has: its only run ends in `state.terminated`. The sidecar exists to report that run, so it adds one
// family of its own (stability EXTENSION), mirroring the last_terminated one. In semconv it lives in kso's
// own `kso.*` namespace: `k8s.*` names belong to the OpenTelemetry semantic conventions, which define no
// such metric (OTel naming guide: do not invent names in a namespace you do not own).

import { writePrometheusText } from '@kso/exporters/prom-parse';
import type { Schema } from '@kso/metrics';
import { ValueType } from '@opentelemetry/api';
import {
  AggregationTemporality,
  type CollectionResult,
  DataPointType,
  type MetricData,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';
import type { PodView } from './pod-view.ts';
import { scopeCollection } from './relay.ts';

export const EXIT_CODE_FAMILY = {
  ksm: 'kube_pod_container_status_terminated_exitcode',
  semconv: 'kso.container.exit_code',
} as const;
const HELP = 'Exit code of the container in its current terminated state (kube-state-otel sidecar extension).';

function attributes(schema: Schema, pod: PodView, container: string): Record<string, string> {
  return schema === 'ksm'
    ? { namespace: pod.namespace, pod: pod.name, uid: pod.uid, container }
    : {
        'k8s.namespace.name': pod.namespace,
        'k8s.pod.name': pod.name,
        'k8s.pod.uid': pod.uid,
        'k8s.container.name': container,
      };
}

export class ExitCodeProducer implements MetricProducer {
  readonly #schema: Schema;
  readonly #pod: () => PodView | undefined;
  readonly #startMs: number;

  constructor(schema: Schema, pod: () => PodView | undefined, startMs = Date.now()) {
    this.#schema = schema;
    this.#pod = pod;
    this.#startMs = startMs;
  }

  metricData(nowMs = Date.now()): MetricData[] {
    const pod = this.#pod();
    if (!pod || pod.terminated.length === 0) return [];
    const hr = (ms: number): [number, number] => [Math.floor(ms / 1000), (ms % 1000) * 1e6];
    return [
      {
        descriptor: { name: EXIT_CODE_FAMILY[this.#schema], description: HELP, unit: '', valueType: ValueType.INT },
        aggregationTemporality: AggregationTemporality.CUMULATIVE,
        dataPointType: DataPointType.GAUGE,
        dataPoints: pod.terminated.map((c) => ({
          startTime: hr(this.#startMs),
          endTime: hr(nowMs),
          attributes: attributes(this.#schema, pod, c.name),
          value: c.exitCode,
        })),
      },
    ];
  }

  async collect(): Promise<CollectionResult> {
    return scopeCollection('@kso/sidecar', this.metricData());
  }

  /** Prometheus text (label names sanitised for semconv) for the Pushgateway body. */
  prometheusText(): string {
    const pod = this.#pod();
    if (!pod || pod.terminated.length === 0) return '';
    const name = EXIT_CODE_FAMILY[this.#schema].replace(/\./g, '_');
    const samples = pod.terminated.map((c) => ({
      name,
      labels: Object.fromEntries(
        Object.entries(attributes(this.#schema, pod, c.name)).map(([k, v]) => [k.replace(/\./g, '_'), v]),
      ),
      value: c.exitCode,
    }));
    return writePrometheusText([{ name, type: 'gauge', help: HELP, samples }]);
  }
}
