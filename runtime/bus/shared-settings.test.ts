import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveBodiesDir, resolveCreateTopics, resolveProjectId } from './shared-settings.js';

// serve (receivers) and worker both call resolveBodiesDir: the same inputs must give the same
// directory, or a large body written by a receiver cannot be read by a worker.
describe('resolveBodiesDir (where receivers write and workers read large bodies)', () => {
  it('GWI_BODIES_DIR wins over the data dir, whatever --data each side has', () => {
    const env = { GWI_BODIES_DIR: '/mnt/gwi-bodies' };
    const receiver = resolveBodiesDir({ dataDir: '/var/lib/receiver', env });
    const worker = resolveBodiesDir({ dataDir: '/var/lib/worker', env });
    expect(receiver).toBe(resolve('/mnt/gwi-bodies'));
    expect(worker).toBe(receiver);
  });

  it('--bodies wins over GWI_BODIES_DIR', () => {
    expect(resolveBodiesDir({ flag: './shared', dataDir: '/d', env: { GWI_BODIES_DIR: '/mnt/other' } })).toBe(resolve('./shared'));
  });

  it('reads the old GWI_PUBSUB_BODY_DIR when GWI_BODIES_DIR is unset (deprecated alias)', () => {
    expect(resolveBodiesDir({ dataDir: '/d', env: { GWI_PUBSUB_BODY_DIR: '/old' } })).toBe(resolve('/old'));
    expect(resolveBodiesDir({ dataDir: '/d', env: { GWI_PUBSUB_BODY_DIR: '/old', GWI_BODIES_DIR: '/new' } })).toBe(resolve('/new'));
  });

  it('defaults to <data>/bodies, so one machine sharing --data needs nothing else', () => {
    expect(resolveBodiesDir({ dataDir: '/var/lib/gwi', env: {} })).toBe(resolve('/var/lib/gwi/bodies'));
    expect(resolveBodiesDir({ flag: '', dataDir: '/var/lib/gwi', env: { GWI_BODIES_DIR: '' } })).toBe(resolve('/var/lib/gwi/bodies'));
  });
});

describe('resolveCreateTopics (--no-create-topics, GWI_PUBSUB_CREATE_TOPICS)', () => {
  it('is on by default and off from the flag or the variable', () => {
    expect(resolveCreateTopics({ env: {} })).toBe(true);
    expect(resolveCreateTopics({ flag: true, env: {} })).toBe(true); // commander's default for --no-create-topics
    expect(resolveCreateTopics({ flag: false, env: { GWI_PUBSUB_CREATE_TOPICS: 'true' } })).toBe(false);
    for (const off of ['false', 'FALSE', '0', 'no']) expect(resolveCreateTopics({ flag: true, env: { GWI_PUBSUB_CREATE_TOPICS: off } })).toBe(false);
    expect(resolveCreateTopics({ env: { GWI_PUBSUB_CREATE_TOPICS: '1' } })).toBe(true);
  });

  it('refuses a value that is not a boolean, naming it', () => {
    expect(() => resolveCreateTopics({ env: { GWI_PUBSUB_CREATE_TOPICS: 'nope' } })).toThrow(expect.objectContaining({ code: 'BUS_CONFIG', message: expect.stringContaining('"nope"') }));
  });
});

describe('resolveProjectId', () => {
  it('--bus-project, else GWI_PUBSUB_PROJECT, else GOOGLE_CLOUD_PROJECT', () => {
    const env = { GWI_PUBSUB_PROJECT: 'a', GOOGLE_CLOUD_PROJECT: 'b' };
    expect(resolveProjectId({ flag: 'f', env })).toBe('f');
    expect(resolveProjectId({ env })).toBe('a');
    expect(resolveProjectId({ env: { GOOGLE_CLOUD_PROJECT: 'b' } })).toBe('b');
    expect(resolveProjectId({ env: {} })).toBe('');
  });
});
