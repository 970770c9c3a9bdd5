/**
 * The embed address and snippet (src/components/embed.ts): `embed` is added to the view's own
 * parameters (kept in their order, never twice), and the snippet quotes the address for HTML.
 */
import {describe, expect, it} from "vitest";
import {embedUrl, iframeSnippet, isEmbed} from "../src/components/embed.js";

describe("embeds", () => {
  it("reads ?embed in any position, with no value or a true one", () => {
    expect(isEmbed("?embed")).toBe(true);
    expect(isEmbed("?model=vgg-shapes&embed&mu=0.5")).toBe(true);
    expect(isEmbed("?embed=1")).toBe(true);
    expect(isEmbed("?embed=0")).toBe(false);
    expect(isEmbed("?embed=false")).toBe(false);
    expect(isEmbed("?model=embed")).toBe(false);
    expect(isEmbed("")).toBe(false);
  });

  it("adds embed after the view's parameters, once", () => {
    expect(embedUrl("https://example.org/sise?model=vgg-shapes&mu=0.5#result")).toBe("https://example.org/sise?model=vgg-shapes&mu=0.5&embed#result");
    expect(embedUrl("https://example.org/sise")).toBe("https://example.org/sise?embed");
    expect(embedUrl("https://example.org/sise?embed&layers=a%2Cb")).toBe("https://example.org/sise?layers=a%2Cb&embed");
  });

  it("gives an iframe with the address escaped for an HTML attribute", () => {
    expect(iframeSnippet("https://example.org/sise?model=m&mu=0.5", 'SISE "demo"', {width: 640, height: 400})).toBe(
      '<iframe src="https://example.org/sise?model=m&amp;mu=0.5&amp;embed" width="640" height="400" style="border: 0; max-width: 100%" title="SISE &quot;demo&quot;" loading="lazy"></iframe>'
    );
  });
});
