// Child process for the kill test: loads the built capgate, says "ready", then
// applies one snapshot, so the parent can SIGKILL it at a random point of the apply.
import { applySnapshot } from "../../dist/snapshot/index.js";

const [file, replica] = process.argv.slice(2);
process.stdout.write("ready\n");
await applySnapshot(file, replica, { force: true });
process.stdout.write("done\n");
