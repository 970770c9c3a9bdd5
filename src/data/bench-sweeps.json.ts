// results/bench-sweeps.csv (and the first line of bench-sweeps.txt) for the Benchmark page, or a "no results yet" record. Logic: loaders/site/bench.ts.
import {benchSweepsFile} from "../../loaders/site/bench.js";

process.stdout.write(JSON.stringify(benchSweepsFile()));
