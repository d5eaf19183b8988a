#!/usr/bin/env node
// The `capgate` command: a thin launcher for the compiled CLI in dist/.
// `capgate serve` runs from the serve bundle when the build made one (start-up:
// see src/cli/serve-bundle.ts, built as dist/serve/loader.cjs); every other
// command, from dist/'s modules. This file is CommonJS (bin/package.json) so
// that serve starts without Node's ES module loader (~4 ms of CPU); the other
// commands import dist/'s ES modules.
"use strict";

/** The serve bundle's entry, or null when there is no bundle (the build made none) or it must not run. */
function serveBundle() {
  let loader;
  try {
    loader = require("../dist/serve/loader.cjs");
  } catch (e) {
    if (e.code === "MODULE_NOT_FOUND" && String(e.message).includes("loader.cjs")) {
      // As the loader says of a missing bundle (the build makes both or neither).
      if (process.env.CAPGATE_DEBUG) process.stderr.write("capgate: serve bundle not built: serving from dist/'s modules\n");
      return null;
    }
    throw e;
  }
  return loader.loadServeBundle();
}

const serve = process.argv[2] === "serve" ? serveBundle() : null;
if (serve !== null) void serve.run(process.argv);
else void import("../dist/cli/main.js").then((m) => m.main(process.argv));
