/**
 * "Cite / link this view": the page's exact address (every setting is in it, see controls.ts),
 * kept up to date as controls change, with a Copy button and a citation line to paste.
 *
 *   display(linkBox({title: "Integrated Grad-CAM"}))
 */
import {URL_CHANGE_EVENT} from "./controls.js";

export function linkBox(options: {title: string; site?: string}): HTMLElement {
  const site = options.site ?? "Saliency Explorer";
  const root = document.createElement("details");
  root.className = "sx-link-box";
  const summary = document.createElement("summary");
  summary.textContent = "Cite / link this view";
  const field = document.createElement("input");
  field.type = "text";
  field.readOnly = true;
  field.className = "sx-link-url";
  field.setAttribute("aria-label", "Link to this exact view");
  const copy = document.createElement("button");
  copy.type = "button";
  copy.textContent = "Copy link";
  const citation = document.createElement("p");
  citation.className = "sx-link-citation sx-small";
  const row = document.createElement("div");
  row.className = "sx-link-row";
  row.append(field, copy);
  root.append(summary, row, citation);
  const update = () => {
    field.value = location.href;
    const date = new Date().toISOString().slice(0, 10);
    citation.textContent = `${site}: ${options.title}. ${location.href} (accessed ${date}).`;
  };
  copy.addEventListener("click", async () => {
    update();
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
      copy.textContent = "Copied";
    } catch {
      // No clipboard permission: the text is selected for Ctrl+C.
      copy.textContent = "Selected: press Ctrl+C";
    }
    setTimeout(() => (copy.textContent = "Copy link"), 2000);
  });
  window.addEventListener(URL_CHANGE_EVENT, update);
  update();
  return root;
}
