// face-api's ssd face detector: its weights manifest. Logic: loaders/site/face-api-browser.ts.
import {faceDetectorManifest} from "../../../loaders/site/face-api-browser.js";

process.stdout.write(faceDetectorManifest("ssd"));
