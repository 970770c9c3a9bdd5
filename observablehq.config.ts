// Observable Framework configuration for the Saliency Explorer site. The site builds offline:
// no CDN imports (pages import packages from node_modules by bare specifiers), no remote fonts.
export default {
  title: "Saliency Explorer",
  root: "src",
  // Tests build into their own folder (SALIENCY_SITE_OUTPUT) so they never touch dist/.
  output: process.env.SALIENCY_SITE_OUTPUT ?? "dist",
  pages: [
    {name: "Overview", path: "/"},
    {name: "Integrated Grad-CAM", path: "/igcam"},
    {name: "SISE", path: "/sise"},
    {name: "Ada-SISE vs SISE", path: "/adasise"},
    {name: "Compare methods", path: "/compare"},
    {name: "Benchmark", path: "/benchmark"},
    {name: "Playground", path: "/playground"},
    {name: "Write a companion page", path: "/companion"}
  ],
  // The default list loads a Google font; the site uses system fonts only.
  globalStylesheets: [],
  style: "assets/style.css",
  // Framework 1.13 writes <html> without a language; screen readers need one.
  // ?embed (src/components/embed.ts): mark the page before it draws, so the style sheet shows the figure alone.
  head: '<script>document.documentElement.lang = "en"; const sxEmbed = new URLSearchParams(location.search).get("embed"); if (sxEmbed !== null && sxEmbed !== "0" && sxEmbed !== "false") document.documentElement.classList.add("sx-embed");</script><link rel="icon" href="assets/favicon.svg" type="image/svg+xml">',
  header: "",
  footer: "Saliency Explorer · CNN explanations computed in your browser with TensorFlow.js · built with Observable Framework.",
  toc: true,
  pager: true,
  search: false,
  linkify: true
};
