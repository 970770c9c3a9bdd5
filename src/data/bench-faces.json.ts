// results/bench-faces.json for the Benchmark page, or a "no results yet" record. Logic: loaders/site/bench.ts.
import {benchFacesFile} from "../../loaders/site/bench.js";

process.stdout.write(JSON.stringify(benchFacesFile()));
