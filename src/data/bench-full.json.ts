// results/bench-full.json for the Benchmark page, or a "no results yet" record. Logic: loaders/site/bench.ts.
import {benchFullFile} from "../../loaders/site/bench.js";

process.stdout.write(JSON.stringify(benchFullFile()));
