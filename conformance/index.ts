/**
 * `@gwi/connectors/conformance`: the conformance suite and the testing utilities connector authors
 * and our own tests use. Listed by hand: this is the public surface.
 */
export { runConformance } from './suite.js';
export type { SuiteOptions, SuiteReport } from './suite.js';
export type { CheckResult, CheckStatus, ConnectorFactory } from './checks/types.js';
export { formatResult, formatSummary, toJUnit } from './report.js';

// Cassettes: format, replay, recording.
export type { Cassette, CassetteSet, Interaction, RecordedRequest, RecordedResponse, WebhookSample } from './cassettes/format.js';
export { loadCassettes, saveCassette, saveWebhookSample } from './cassettes/store.js';
export { createCassetteHandler, startCassetteServer } from './cassettes/cassette-server.js';
export type { CassetteServer, CassetteServerOptions } from './cassettes/cassette-server.js';
export { startRecordingProxy } from './cassettes/recorder.js';
export type { RecordingProxy, RecordingProxyOptions } from './cassettes/recorder.js';
export { createScrubber, PERSONAL_FIELDS } from './cassettes/scrub.js';
export type { ScrubOptions, Scrubber } from './cassettes/scrub.js';
export { recordCassettes } from './record.js';
export type { RecordOptions } from './record.js';

// Local servers, faults, simulated APIs.
export { json, startLocalServer } from './server/serve.js';
export type { Handler, LocalRequest, LocalResponse, LocalServer } from './server/serve.js';
export { createFaultInjector } from './server/faults.js';
export type { FaultInjector, FaultOptions, FaultStats } from './server/faults.js';
export { createSimulatedApi, startSimulatedApi } from './simulated/simulated-api.js';
export type { SimulatedApi, SimulatedApiOptions } from './simulated/simulated-api.js';

// Webhooks and builders.
export { secretConfigKey, signDelivery, testSecretFor } from './webhook-harness.js';
export type { SignedDelivery, SignOptions } from './webhook-harness.js';
export { buildCatalog, buildConfig, buildState, futureState, secretFields } from './builders.js';
export type { BuildCatalogOptions, BuildConfigOptions } from './builders.js';
export { createVirtualClock } from './checks/clock.js';
export type { VirtualClock } from './checks/clock.js';
