// face-api's tiny face detector: its weights manifest. Logic: loaders/site/face-api-browser.ts.
import {faceDetectorManifest} from "../../../loaders/site/face-api-browser.js";

process.stdout.write(faceDetectorManifest("tiny"));
