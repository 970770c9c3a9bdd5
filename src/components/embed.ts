/**
 * Embeds: any page's address with `embed` added (`?embed`, kept with the other URL parameters)
 * renders just the figure, without the sidebar, header, table of contents or controls, sized to
 * its container, for an `<iframe>` in an HTML paper or a blog post. Every setting of the view
 * comes from the rest of the address, as for a link.
 *
 * How: a script in the page's head (observablehq.config.ts) marks `<html class="sx-embed">`
 * before the page draws, the site's style sheet then hides the page's chrome, and
 * `figureButtons` (./figure.ts) shows the view's figure itself in place of its download buttons
 * (`embedFigure`). A page with no such figure (Compare, Benchmark) shows its content without the
 * chrome. The "Cite / link this view" box (./link-box.ts) offers the `<iframe>` snippet.
 *
 *   isEmbed()                                  // true under ?embed
 *   iframeSnippet(location.href, "SISE")      // '<iframe src="…&embed" …></iframe>'
 */
import {figureSvg, type FigureSpec} from "./figure.js";

/** The URL parameter that asks for the figure alone. */
export const EMBED_PARAM = "embed";

/** The class the head script puts on `<html>` under ?embed (the style sheet keys on it). */
export const EMBED_CLASS = "sx-embed";

/** Is this page open as an embed (`?embed`, any value but "0" or "false")? */
export function isEmbed(search: string = typeof location === "undefined" ? "" : location.search): boolean {
  const value = new URLSearchParams(search).get(EMBED_PARAM);
  return value !== null && value !== "0" && value !== "false";
}

/** `href` with the embed parameter added (its other parameters, the view's settings, kept). */
export function embedUrl(href: string): string {
  const url = new URL(href);
  url.searchParams.delete(EMBED_PARAM);
  const query = url.searchParams.toString();
  url.search = query ? `${query}&${EMBED_PARAM}` : EMBED_PARAM;
  return url.href;
}

const escapeAttribute = (text: string) => text.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

/** The HTML to paste into a paper or a blog: an iframe of the embed address. */
export function iframeSnippet(href: string, title: string, size: {width: number; height: number} = {width: 720, height: 420}): string {
  return `<iframe src="${escapeAttribute(embedUrl(href))}" width="${size.width}" height="${size.height}" style="border: 0; max-width: 100%" title="${escapeAttribute(title)}" loading="lazy"></iframe>`;
}

/**
 * The figure alone, filling its container (an iframe's viewport): the same SVG as the figure
 * export, scaled to fit. `spec` null: the view is still being computed (a short note shows).
 */
export function embedFigure(spec: FigureSpec | null): HTMLElement {
  const root = document.createElement("figure");
  root.className = "sx-embed-figure";
  if (spec === null) {
    root.setAttribute("aria-busy", "true");
    const note = document.createElement("p");
    note.className = "sx-embed-wait";
    note.textContent = "Computing the figure…";
    root.append(note);
    return root;
  }
  root.innerHTML = figureSvg(spec);
  const svg = root.querySelector("svg")!;
  // The viewBox keeps the proportions; the container decides the size.
  svg.removeAttribute("width");
  svg.removeAttribute("height");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", spec.title ?? "Saliency maps");
  return root;
}
