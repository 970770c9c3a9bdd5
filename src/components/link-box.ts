/**
 * "Cite / link this view": the page's exact address (every setting is in it, see controls.ts),
 * kept up to date as controls change, with a Copy button, a citation line to paste, and the
 * `<iframe>` snippet that embeds the view's figure alone (./embed.ts).
 *
 *   display(linkBox({title: "Integrated Grad-CAM"}))
 */
import {URL_CHANGE_EVENT} from "./controls.js";
import {iframeSnippet} from "./embed.js";

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
  const embedLabel = document.createElement("label");
  embedLabel.className = "sx-small";
  embedLabel.textContent = "Embed the figure in an HTML paper or a blog";
  const embed = document.createElement("textarea");
  embed.readOnly = true;
  embed.rows = 3;
  embed.className = "sx-link-embed";
  embed.setAttribute("aria-label", "HTML to embed this view's figure");
  const copyEmbed = document.createElement("button");
  copyEmbed.type = "button";
  copyEmbed.textContent = "Copy embed";
  const embedRow = document.createElement("div");
  embedRow.className = "sx-link-row";
  embedRow.append(embed, copyEmbed);
  root.append(summary, row, citation, embedLabel, embedRow);
  const update = () => {
    field.value = location.href;
    const date = new Date().toISOString().slice(0, 10);
    citation.textContent = `${site}: ${options.title}. ${location.href} (accessed ${date}).`;
    embed.value = iframeSnippet(location.href, `${site}: ${options.title}`);
  };
  const copier = (button: HTMLButtonElement, text: HTMLInputElement | HTMLTextAreaElement, label: string) =>
    button.addEventListener("click", async () => {
      update();
      text.select();
      try {
        await navigator.clipboard.writeText(text.value);
        button.textContent = "Copied";
      } catch {
        // No clipboard permission: the text is selected for Ctrl+C.
        button.textContent = "Selected: press Ctrl+C";
      }
      setTimeout(() => (button.textContent = label), 2000);
    });
  copier(copy, field, "Copy link");
  copier(copyEmbed, embed, "Copy embed");
  window.addEventListener(URL_CHANGE_EVENT, update);
  update();
  return root;
}
