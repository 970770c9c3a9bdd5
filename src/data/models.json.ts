// The models the site offers (data/models/*), with their slot numbers. Logic: loaders/site/models.ts.
import {modelEntries} from "../../loaders/site/models.js";

process.stdout.write(JSON.stringify(modelEntries()));
