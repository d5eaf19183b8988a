#!/usr/bin/env node
// The `capgate` command: a thin launcher for the compiled CLI in dist/.
import { main } from "../dist/cli/main.js";

await main(process.argv);
