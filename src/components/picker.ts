/**
 * Image picker: a row of thumbnail buttons (keyboard and screen-reader friendly), value = the
 * chosen image's id. Also the rules that pair gallery images with models.
 */
import {rgbaCanvas, rgbToRgba} from "./draw.js";
import type {Gallery, GalleryImage, SiteModelEntry} from "../lib/format/site-data.js";

export function imagePicker(options: {images: readonly GalleryImage[]; value?: string; label?: string; size?: number}): HTMLElement & {value: string} {
  const {images, size = 48} = options;
  let value = images.some((i) => i.id === options.value) ? options.value! : (images[0]?.id ?? "");
  const root = document.createElement("div") as HTMLDivElement & {value: string};
  root.className = "sx-picker";
  root.setAttribute("role", "radiogroup");
  if (options.label) {
    const label = document.createElement("div");
    label.className = "sx-picker-label";
    label.textContent = options.label;
    root.append(label);
    root.setAttribute("aria-label", options.label);
  }
  const row = document.createElement("div");
  row.className = "sx-picker-row";
  const buttons: HTMLButtonElement[] = [];
  const sync = () => {
    for (const b of buttons) {
      const on = b.dataset.id === value;
      b.setAttribute("aria-checked", String(on));
      b.tabIndex = on ? 0 : -1;
    }
  };
  images.forEach((image, i) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "sx-thumb";
    button.dataset.id = image.id;
    button.setAttribute("role", "radio");
    button.title = `${image.id}: ${image.labels.map((l) => image.instances.find((x) => x.classIndex === l)?.className ?? (l === image.label ? image.className : String(l))).join(" + ")}`;
    button.setAttribute("aria-label", button.title);
    const canvas = rgbaCanvas(rgbToRgba(image.rgb, image.width, image.height), image.width, image.height);
    canvas.style.width = canvas.style.height = `${size}px`;
    // The button carries the name; the thumbnail itself is decoration for screen readers.
    canvas.setAttribute("aria-hidden", "true");
    button.append(canvas);
    button.addEventListener("click", () => {
      if (value === image.id) return;
      value = image.id;
      sync();
      root.dispatchEvent(new Event("input", {bubbles: true}));
    });
    button.addEventListener("keydown", (event) => {
      const step = event.key === "ArrowRight" || event.key === "ArrowDown" ? 1 : event.key === "ArrowLeft" || event.key === "ArrowUp" ? -1 : 0;
      if (!step) return;
      event.preventDefault();
      const next = buttons[(i + step + buttons.length) % buttons.length]!;
      next.focus();
      next.click();
    });
    buttons.push(button);
    row.append(button);
  });
  root.append(row);
  Object.defineProperty(root, "value", {
    get: () => value,
    set: (v: string) => {
      if (images.some((i) => i.id === v)) {
        value = v;
        sync();
      }
    }
  });
  sync();
  return root;
}

const sameClasses = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((c, i) => c === b[i]);

/** Does the model explain images of this data set (trained on it, or the same classes)? */
export function modelFitsDataset(model: SiteModelEntry, dataset: {name: string; classes: readonly string[]}): boolean {
  return model.dataset === dataset.name || (model.classNames.length > 0 && sameClasses(model.classNames, dataset.classes));
}

/** Gallery images a model can explain. */
export function imagesForModel(gallery: Gallery, model: SiteModelEntry): GalleryImage[] {
  const datasets = gallery.datasets.filter((d) => modelFitsDataset(model, d)).map((d) => d.name);
  return gallery.images.filter((image) => datasets.includes(image.dataset));
}

/** The image a page opens on for a model: the first of the model's own data set (it was trained on those), else the first it fits. */
export function defaultImageId(images: readonly GalleryImage[], model: SiteModelEntry): string | undefined {
  return (images.find((image) => image.dataset === model.dataset) ?? images[0])?.id;
}

/** Class names of a gallery image (all labels, "heart + arrow" for pairs). */
export function imageTitle(gallery: Gallery, image: GalleryImage): string {
  const classes = gallery.datasets.find((d) => d.name === image.dataset)?.classes ?? [];
  return image.labels.map((l) => classes[l] ?? String(l)).join(" + ");
}
