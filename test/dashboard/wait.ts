// Polls a condition until it holds, for suites that wait on a background
// process (a status report arriving, a sidecar following the primary). The
// bound only stops a broken run; no assertion is about how long it took.
export async function waitFor(condition: () => boolean | Promise<boolean>, what = "condition", timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
