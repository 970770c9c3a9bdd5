// The tfjs wasm backend as a module the browser can import from a URL. Logic: loaders/site/wasm-backend.ts.
import {browserWasmBackendModule} from "../../loaders/site/wasm-backend.js";

process.stdout.write(browserWasmBackendModule());
