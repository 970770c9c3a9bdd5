/**
 * Inputs for the Playground: where the image comes from (a gallery thumbnail, a picked file or
 * a dropped one) and model files dropped or picked. Each is an element with `value` that
 * dispatches "input". A file that cannot be decoded sets `error` and keeps the last good image,
 * so the page goes on working.
 */
import {imageFromBlob, dropZone, type NamedImage} from "./images.js";
import {imagePicker} from "./picker.js";
import {errorBox} from "./run.js";
import type {GalleryImage} from "../lib/format/site-data.js";

export interface ImageSourceValue {
  kind: "gallery" | "upload";
  /** The image to explain (null when there is none yet). */
  image: (NamedImage & {galleryId?: string}) | null;
  /** The gallery image, when the image came from the gallery (for its ground truth). */
  galleryImage: GalleryImage | null;
  /** The last file that could not be used (shown inside the input; the image stays as it was). */
  error: Error | null;
}

export function imageSourceInput(options: {images: readonly GalleryImage[]; value?: string}): HTMLElement & {value: ImageSourceValue} {
  const root = document.createElement("div") as HTMLDivElement & {value: ImageSourceValue};
  root.className = "sx-image-source sx-row";
  const fromGallery = (id: string): ImageSourceValue => {
    const g = options.images.find((i) => i.id === id) ?? null;
    return {kind: "gallery", image: g && {name: g.id, width: g.width, height: g.height, rgb: g.rgb, galleryId: g.id}, galleryImage: g, error: null};
  };
  let value = fromGallery(options.images.find((i) => i.id === options.value)?.id ?? options.images[0]?.id ?? "");
  const emit = () => {
    root.classList.toggle("sx-uploaded", value.kind === "upload");
    root.dispatchEvent(new Event("input", {bubbles: true}));
  };

  const picker = imagePicker({images: options.images, value: value.galleryImage?.id, label: "A test image"});
  picker.addEventListener("input", (event) => {
    event.stopImmediatePropagation();
    problem.replaceChildren();
    value = fromGallery(picker.value);
    emit();
  });
  // Clicking the already-selected thumbnail after an upload should return to the gallery.
  picker.addEventListener("click", () => {
    if (value.kind === "upload" && value.galleryImage === null) {
      value = fromGallery(picker.value);
      emit();
    }
  });

  const upload = document.createElement("div");
  upload.className = "sx-upload";
  const title = document.createElement("div");
  title.className = "sx-picker-label";
  title.textContent = "…or your own image";
  const file = document.createElement("input");
  file.type = "file";
  file.accept = "image/*";
  file.id = "playground-image-file";
  file.setAttribute("aria-label", "Upload an image");
  const hint = document.createElement("div");
  hint.className = "sx-muted sx-small";
  hint.textContent = "PNG, JPEG, WebP… pick one or drop it here. It never leaves your browser.";
  const problem = document.createElement("div");
  upload.append(title, file, hint, problem);
  // A file that cannot be used is reported here; the value (and so the page) stays as it was.
  const accept = async (files: File[]) => {
    const first = files[0];
    if (!first) return;
    try {
      const image = await imageFromBlob(first, first.name);
      problem.replaceChildren();
      value = {kind: "upload", image, galleryImage: null, error: null};
      emit();
    } catch (error) {
      problem.replaceChildren(errorBox(error, "That file could not be used"));
      value = {...value, error: error as Error};
    }
  };
  file.addEventListener("change", (event) => {
    event.stopImmediatePropagation();
    void accept(Array.from(file.files ?? []));
  });
  file.addEventListener("input", (event) => event.stopImmediatePropagation());
  dropZone(upload, (files) => void accept(files));

  root.append(picker, upload);
  Object.defineProperty(root, "value", {get: () => value});
  return root;
}

/** Model files (model.json + shards [+ card.json]) from a file picker or a drop; value = the files. */
export function modelFilesInput(): HTMLElement & {value: File[]} {
  const root = document.createElement("div") as HTMLDivElement & {value: File[]};
  let value: File[] = [];
  const input = document.createElement("input");
  input.type = "file";
  input.multiple = true;
  input.accept = ".json,.bin,application/json,application/octet-stream";
  input.id = "playground-model-files";
  input.setAttribute("aria-label", "Model files");
  const hint = document.createElement("div");
  hint.className = "sx-muted sx-small";
  hint.textContent = "Select or drop model.json with its weight files (and card.json for class names).";
  root.append(input, hint);
  const set = (files: File[]) => {
    value = files;
    root.dispatchEvent(new Event("input", {bubbles: true}));
  };
  input.addEventListener("change", (event) => {
    event.stopImmediatePropagation();
    set(Array.from(input.files ?? []));
  });
  input.addEventListener("input", (event) => event.stopImmediatePropagation());
  dropZone(root, set);
  Object.defineProperty(root, "value", {get: () => value});
  return root;
}
