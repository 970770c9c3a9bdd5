// The tfjs wasm backend's binaries, attached so the built site serves them. Logic: loaders/site/wasm-backend.ts.
import {parseArgs} from "node:util";
import {wasmBinary} from "../../../loaders/site/wasm-backend.js";

const {values} = parseArgs({options: {file: {type: "string"}}});
process.stdout.write(wasmBinary(`${values.file}.wasm`));
