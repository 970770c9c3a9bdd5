// Gallery images of every test split, packed with their annotations. Logic: loaders/site/gallery.ts.
import {galleryFile} from "../../loaders/site/gallery.js";

process.stdout.write(galleryFile());
