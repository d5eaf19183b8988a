// Property-based fuzzing of the bundle reader with a verification key
// (fast-check, fixed seed; `npm run fuzz` runs longer): a damaged signed
// bundle is refused with one bundle_error line or loads exactly what was signed.
import fc from "fast-check";
import { afterAll, beforeAll, describe, it } from "vitest";
import { bundleFuzzTarget, damaged, readOutcome, type BundleFuzzTarget } from "./bundle-cases.js";

let target: BundleFuzzTarget;
beforeAll(async () => {
  target = await bundleFuzzTarget();
});
afterAll(() => target?.close());

describe("bundle reader fuzz", () => {
  it("damaged signed bundles: a bundle_error or the signed contents, never a crash or altered contents", async () => {
    await fc.assert(
      fc.asyncProperty(damaged(target.tar), async (bytes) => {
        const r = await readOutcome(target, bytes);
        if (r.wrong !== null) throw new Error(r.wrong);
      }),
      { seed: 20261204, numRuns: 300 },
    );
  });
});
