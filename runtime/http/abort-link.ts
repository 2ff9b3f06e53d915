/**
 * Tie short-lived AbortControllers (one per attempt) to a long-lived outer signal (one per sync)
 * without leaking: the outer signal gets ONE listener while any attempt is in flight, and none once
 * they have all ended, however many attempts run at once or over the sync's lifetime. A listener per
 * attempt would trip Node's MaxListenersExceededWarning past 10 concurrent requests, and
 * `AbortSignal.any` per request keeps growing state on the outer signal on Node 20.
 */
const linked = new WeakMap<AbortSignal, { controllers: Set<AbortController>; onAbort: () => void }>();

/** Abort `controller` when `signal` aborts; call the returned function when the attempt is over. */
export function linkAbort(signal: AbortSignal, controller: AbortController): () => void {
  if (signal.aborted) {
    controller.abort(signal.reason);
    return () => undefined;
  }
  let entry = linked.get(signal);
  if (!entry) {
    const controllers = new Set<AbortController>();
    const onAbort = () => {
      for (const c of controllers) c.abort(signal.reason);
      controllers.clear();
      linked.delete(signal);
    };
    entry = { controllers, onAbort };
    linked.set(signal, entry);
    signal.addEventListener('abort', onAbort, { once: true });
  }
  const current = entry;
  current.controllers.add(controller);
  return () => {
    if (!current.controllers.delete(controller) || current.controllers.size > 0) return;
    signal.removeEventListener('abort', current.onAbort);
    if (linked.get(signal) === current) linked.delete(signal);
  };
}
