// face-api's tiny face detector: its weights (uint8-quantised, as in the package). Logic: loaders/site/face-api-browser.ts.
import {faceDetectorWeights} from "../../../loaders/site/face-api-browser.js";

process.stdout.write(faceDetectorWeights("tiny"));
