import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { runUntilSignal, type Running, type SignalHost } from './until-signal.js';

/** A process stand-in: signals are emitted by the test; exit and stderr are recorded. */
function fakeHost() {
  const events = new EventEmitter();
  const written: string[] = [];
  const exits: number[] = [];
  const host: SignalHost = {
    on: (signal, listener) => events.on(signal, listener),
    off: (signal, listener) => events.off(signal, listener),
    exit: (code) => void exits.push(code),
    stderr: { write: (text) => written.push(text) },
  };
  return { host, written, exits, signal: (name: 'SIGTERM' | 'SIGINT') => events.emit(name, name), listeners: () => events.listenerCount('SIGTERM') + events.listenerCount('SIGINT') };
}

/** A command whose close() the test finishes. */
function command() {
  let closes = 0;
  let finishClose!: () => void;
  const closed = new Promise<void>((resolve) => (finishClose = resolve));
  const running: Running = { close: () => (closes++, closed) };
  return { running, closes: () => closes, finishClose };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('runUntilSignal', () => {
  it('a signal during start-up stops the command once it has started (not killed half-opened), then exits 0', async () => {
    const { host, written, exits, signal } = fakeHost();
    const cmd = command();
    let started!: (running: Running) => void;
    const done = runUntilSignal('serve', () => new Promise<Running>((resolve) => (started = resolve)), host);
    signal('SIGTERM');
    expect(written).toEqual(['gwi-connectors serve: SIGTERM during start-up: stopping as soon as it has started\n']);
    expect(exits).toEqual([]);
    started(cmd.running);
    await done;
    expect(cmd.closes()).toBe(1);
    cmd.finishClose();
    await tick();
    expect(exits).toEqual([0]);
  });

  it('a second signal during start-up exits at once (nothing to finish yet, and start-up has no deadline)', async () => {
    const { host, written, exits, signal } = fakeHost();
    void runUntilSignal('serve', () => new Promise<Running>(() => {}), host);
    signal('SIGINT');
    signal('SIGINT');
    expect(written[1]).toBe('gwi-connectors serve: SIGINT again during start-up: exiting now\n');
    expect(exits).toEqual([130]);
  });

  it('a signal repeated while it shuts down is said in a line, and closes nothing twice', async () => {
    const { host, written, exits, signal } = fakeHost();
    const cmd = command();
    await runUntilSignal('worker', async () => cmd.running, host);
    signal('SIGINT');
    signal('SIGINT');
    signal('SIGTERM');
    expect(cmd.closes()).toBe(1);
    expect(written).toEqual([
      'gwi-connectors worker: SIGINT again: still shutting down (in-flight requests and syncs get at most their deadlines); SIGKILL stops it at once\n',
      'gwi-connectors worker: SIGTERM again: still shutting down (in-flight requests and syncs get at most their deadlines); SIGKILL stops it at once\n',
    ]);
    expect(exits).toEqual([]);
    cmd.finishClose();
    await tick();
    expect(exits).toEqual([0]);
  });

  it('a refused start-up prints one line, sets exit code 1 and removes its handlers', async () => {
    const { host, written, listeners } = fakeHost();
    await runUntilSignal('serve', () => Promise.reject(new Error('disk on fire')), host);
    expect(written).toEqual(['gwi-connectors serve: disk on fire\n']);
    expect(host.exitCode).toBe(1);
    expect(listeners()).toBe(0);
  });
});
