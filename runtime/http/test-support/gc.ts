import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A function that forces a full garbage collection, for tests of behaviour that a GC changes (a
 * WeakRef dropped under an in-flight request). `global.gc` when node runs with --expose-gc; otherwise
 * the flag is set at run time and a fresh context picks the function up (V8 reads it per context).
 * Undefined when neither works, so tests can fall back to allocating.
 */
export function forceGc(): (() => void) | undefined {
  const existing = (globalThis as { gc?: unknown }).gc;
  if (typeof existing === 'function') return () => void existing();
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    if (typeof gc === 'function') return () => void gc();
  } catch {
    // flags frozen or no vm: fall through
  }
  return undefined;
}

/** Collect garbage every `everyMs` until the returned function is called. */
export function collectRepeatedly(everyMs: number): () => void {
  const gc = forceGc() ?? allocate;
  const timer = setInterval(gc, everyMs);
  return () => clearInterval(timer);
}

/** Without a gc function: allocate enough short-lived garbage to make V8 collect on its own. */
function allocate(): void {
  let keep = 0;
  for (let i = 0; i < 200; i++) keep += new Array<number>(50_000).fill(i).length;
  if (keep < 0) throw new Error('unreachable');
}
