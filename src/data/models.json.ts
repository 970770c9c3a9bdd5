// The models the site offers (site.config.json: every data/models/* by default), with their slot numbers,
// each opened once in tfjs so that a model that does not load stops the build. Logic: loaders/site/models.ts.
import {checkedModelEntries} from "../../loaders/site/models.js";

process.stdout.write(JSON.stringify(await checkedModelEntries()));
