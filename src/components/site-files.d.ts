// Types of site-files.js (a JavaScript module: Framework finds its FileAttachment calls there), for
// the TypeScript components that import it.
interface SiteFile {
  arrayBuffer(): Promise<ArrayBuffer>;
  json(): Promise<unknown>;
  text(): Promise<string>;
  readonly href: string;
}

export const modelIndex: SiteFile;
export const modelSlots: SiteFile[];
export const galleryFile: SiteFile;
export const precomputedFile: SiteFile;
export const benchFile: SiteFile;
export const wasmBackend: {module: string; binaries: Record<string, string>};
