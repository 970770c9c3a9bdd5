// Gallery images of every test split and the face crops of the photos, packed with their annotations. Logic: loaders/site/gallery.ts.
import {galleryFile} from "../../loaders/site/gallery.js";

process.stdout.write(await galleryFile());
