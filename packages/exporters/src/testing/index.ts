// Test harnesses of @kso/exporters (`@kso/exporters/testing`): an OTLP receiver that decodes with an
// independent implementation (protobufjs, grpc-js: devDependencies), synthetic metric sources and a throwaway
// PKI. Never imported by production code, so none of it is in the image.
export {
  decodeExportRequest,
  type OtlpReceiver,
  type ReceivedMetric,
  type ReceivedRequest,
  type ReceivedResource,
  type ReceivedScope,
  startOtlpReceiver,
} from './otlp-receiver.ts';
export {
  buildSyntheticSource,
  KSM_POD_FAMILIES,
  SEMCONV_POD_FAMILIES,
  type SyntheticPod,
  SyntheticSource,
  syntheticPod,
} from './synthetic-source.ts';
export { type CertFiles, makeCa, makeLeaf, makeTestPki } from './test-pki.ts';
