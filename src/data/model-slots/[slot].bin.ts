// One packed model per slot (empty when no model fills it). Logic: loaders/site/models.ts.
import {parseArgs} from "node:util";
import {modelSlotFile} from "../../../loaders/site/models.js";

const {values} = parseArgs({options: {slot: {type: "string"}}});
process.stdout.write(modelSlotFile(Number(values.slot)));
