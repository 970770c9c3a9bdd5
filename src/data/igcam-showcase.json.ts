// Where Integrated Grad-CAM's map differs most from Grad-CAM's over the gallery (the IG-CAM page's default view). Logic: loaders/showcase/igcam.ts.
import {igcamShowcaseFile} from "../../loaders/showcase/igcam.js";

process.stdout.write(await igcamShowcaseFile());
