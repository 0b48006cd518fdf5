export type {
  FamilyDescriptor,
  FamilyType,
  MetricsSource,
  ObjectMetrics,
  Point,
  ResourceName,
  Schema,
} from '@kso/metrics';
export {
  acceptsGzip,
  bodyToBuffer,
  collectFrom,
  type Health,
  negotiateFormat,
  type PrometheusServer,
  type PrometheusServerOptions,
  PullReader,
  renderExposition,
  startPrometheusServer,
} from './http-server.ts';
export { formatGo, formatJs, type NumberFormat, numberFormatter } from './number-format.ts';
export { encodeSdkRequest, ProtoWriter, writeSdkResourceMetrics } from './otlp-proto.ts';
export {
  countPoints,
  createOtlpPush,
  type ExportOutcome,
  isRetryable,
  type OtlpPush,
  type OtlpPushOptions,
  type OtlpPushStats,
  type RetryOptions,
  splitResourceMetrics,
} from './otlp-push.ts';
export { type PlannedRequest, StoreEncoder, type StoreEncoderOptions } from './otlp-store.ts';
export {
  type Compression,
  createTransport,
  type OtlpTransport,
  type SendResult,
  type TlsOptions,
  type TransportOptions,
} from './otlp-transport.ts';
export {
  familyMetricData,
  msToHrTime,
  SCOPE_NAME,
  StoreMetricProducer,
  type StoreMetricProducerOptions,
  scopeFor,
} from './producer.ts';
export {
  type ParseError,
  type ParseResult,
  type PromFamily,
  type PromLine,
  type PromSample,
  type PromType,
  parseLine,
  parsePrometheusText,
  parseSamples,
  parseSamplesStrict,
  parseSampleValue,
  writePrometheusText,
} from './prom-parse.ts';
export {
  CONTENT_TYPE_OPENMETRICS,
  CONTENT_TYPE_TEXT,
  type ExpositionFormat,
  type PromTextOptions,
  prometheusName,
  serializeFamilies,
  serializePrometheus,
} from './prom-text.ts';
export {
  deletePushgatewayGroup,
  type PushgatewayTarget,
  pushgatewayGroupUrl,
  pushToPushgateway,
} from './pushgateway.ts';
export { type Body, StoreRenderer } from './renderer.ts';
export {
  BasicAuthenticator,
  bcryptHash,
  CLIENT_AUTH_TYPES,
  type ClientAuthType,
  createSecuredServer,
  loadWebConfig,
  type TlsSettings,
  type WebConfig,
  WebConfigError,
  WebConfigSource,
} from './web-config.ts';
