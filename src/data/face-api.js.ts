// @vladmandic/face-api as a module the browser can import from a URL, on the page's tfjs. Logic: loaders/site/face-api-browser.ts.
import {browserFaceApiModule} from "../../loaders/site/face-api-browser.js";

process.stdout.write(browserFaceApiModule());
