#!/usr/bin/env node
// The `capgate` command: a thin launcher for the compiled CLI in dist/.
// `capgate serve` runs from the serve bundle when the build made one (start-up:
// see src/cli/serve-bundle.ts); every other command, from dist/'s modules.
const serve = process.argv[2] === "serve" ? (await import("../dist/cli/serve-bundle.js")).loadServeBundle() : null;
if (serve !== null) await serve.run(process.argv);
else await (await import("../dist/cli/main.js")).main(process.argv);
