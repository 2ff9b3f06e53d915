/**
 * Wait for `work`, at most `ms`: true when it settled in time, false when the wait ran out (it is not
 * cancelled). A rejection of `work` within the time is passed on. Stopping the scheduler and the sync
 * runner waits this way, so shutdown never hangs on a run that does not end.
 */
export async function finishedWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}
