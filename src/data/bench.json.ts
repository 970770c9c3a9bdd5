// The benchmark results (results/bench.json) or a "no results yet" record. Logic: loaders/site/bench.ts.
import {benchFile} from "../../loaders/site/bench.js";

process.stdout.write(JSON.stringify(benchFile()));
