// Maps of every method for the gallery (Compare and Overview pages). Logic: loaders/site/precompute.ts.
import {precomputedFile} from "../../loaders/site/precompute.js";

process.stdout.write(await precomputedFile());
