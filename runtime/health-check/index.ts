export { probeHealth, type HealthProbeResult, type ProbeContext } from './probe.js';
