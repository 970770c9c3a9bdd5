/**
 * Rebuilds data/photos/ from the Debian packages the photographs come from:
 *
 *   npx tsx loaders/faces/import-photos.ts
 *
 * It downloads each package with `apt-get download` (run `apt-get update` first) into a temp
 * folder, unpacks it with `dpkg -x`, converts the original to sRGB JPEG (quality 90, long side
 * at most 1024 px; sharp), counts the faces face-api's SSD MobileNetV1 finds, and writes
 * data/photos/<file>.jpg and sources.json atomically. Development tool: the committed photos
 * are what the tests read; this records how they were made.
 */
import {execFileSync} from "node:child_process";
import {mkdtempSync, readdirSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import sharp from "sharp";
import {selectNodeBackend} from "../backend.js";
import {writeFileAtomic} from "../models/save.js";
import {decodeImage} from "../image-io.js";
import {detectFaces} from "./detect.js";
import {PHOTOS_DIR, type PhotoSource} from "./photos.js";

const MAX_SIDE = 1024;
const JPEG_QUALITY = 90;

type Wanted = Omit<PhotoSource, "faces" | "processing" | "package"> & {debian: string};

/** Every photograph with faces found in the Debian packages searched (see data/README.md). */
const WANTED: Wanted[] = [
  {
    file: "astronaut.jpg",
    title: "Astronaut Eileen Collins (NASA portrait, smiling)",
    debian: "python3-skimage",
    original: "/usr/lib/python3/dist-packages/skimage/data/astronaut.png",
    licence: "public domain (NASA photograph; 'No known copyright restrictions, released into the public domain')",
    licenceSource: "docstring of skimage.data.astronaut in the package (skimage/data/_fetchers.py)"
  },
  {
    file: "grace-hopper.jpg",
    title: "Commodore Grace M. Hopper, USN (official U.S. Navy portrait)",
    debian: "python-matplotlib-data",
    original: "/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg",
    licence:
      "public domain (official U.S. Navy photograph, a work of the U.S. federal government); shipped by matplotlib as sample data under its PSF-based licence",
    licenceSource: "/usr/share/doc/python-matplotlib-data/copyright (Files: *); the portrait's U.S. Navy origin is recorded with the photograph's public copies"
  },
  {
    file: "cameraman.jpg",
    title: "Cameraman (photographer at a tripod camera, grey-level)",
    debian: "python3-skimage",
    original: "/usr/lib/python3/dist-packages/skimage/data/camera.png",
    licence: "CC0 1.0 (by the photographer, Lav Varshney)",
    licenceSource:
      "docstring of skimage.data.camera in the package (skimage/data/_fetchers.py): 'No copyright restrictions. CC0 by the photographer (Lav Varshney).'"
  },
  {
    file: "reenactors.jpg",
    title: "Historical re-enactors in red uniforms on a parade ground (GIMP manual's flip tutorial; four to five small faces)",
    debian: "gimp-help-en",
    original: "/usr/share/gimp/2.0/help/en/images/tutorials/quickie-flip-example-source.jpg",
    licence:
      "GFDL-1.2+ with no Invariant Sections, no Front-Cover Texts and no Back-Cover Texts (The GIMP Documentation Team); licence text in data/photos/LICENSE-GFDL-1.2.txt",
    licenceSource: "/usr/share/doc/gimp-help-common/copyright (Files: *), Debian gimp-help-common, the common part of gimp-help-en"
  }
];

function debianVersion(pkg: string): string {
  return execFileSync("apt-cache", ["show", "--no-all-versions", pkg], {encoding: "utf8"}).match(/^Version: (.+)$/m)?.[1] ?? "unknown";
}

async function main(): Promise<void> {
  await selectNodeBackend("wasm");
  const work = mkdtempSync(join(tmpdir(), "photos-"));
  try {
    const unpacked = new Map<string, string>();
    const sources: PhotoSource[] = [];
    for (const w of WANTED) {
      let root = unpacked.get(w.debian);
      if (!root) {
        execFileSync("apt-get", ["download", w.debian], {cwd: work, stdio: "inherit"});
        const deb = readdirSync(work).find((f) => f.startsWith(`${w.debian}_`) && f.endsWith(".deb"));
        if (!deb) throw new Error(`apt-get download ${w.debian} left no .deb`);
        root = join(work, w.debian);
        execFileSync("dpkg", ["-x", join(work, deb), root]);
        unpacked.set(w.debian, root);
      }
      const jpeg = await sharp(join(root, w.original))
        .flatten({background: "#ffffff"})
        .toColourspace("srgb")
        .resize({width: MAX_SIDE, height: MAX_SIDE, fit: "inside", withoutEnlargement: true})
        .jpeg({quality: JPEG_QUALITY, chromaSubsampling: "4:4:4"})
        .toBuffer();
      const faces = await detectFaces(await decodeImage(new Uint8Array(jpeg), w.file));
      const {debian, ...rest} = w;
      sources.push({
        ...rest,
        package: `Debian ${debian} ${debianVersion(debian)}`,
        faces: faces.length,
        processing: `sharp ${sharp.versions.sharp}: flattened on white, sRGB, long side <= ${MAX_SIDE} px (never enlarged), JPEG quality ${JPEG_QUALITY}, 4:4:4`
      });
      await writeFileAtomic(join(PHOTOS_DIR, w.file), jpeg);
      console.log(`${w.file}: ${faces.length} face(s)`);
    }
    await writeFileAtomic(join(PHOTOS_DIR, "sources.json"), JSON.stringify({photos: sources}, null, 2) + "\n");
  } finally {
    rmSync(work, {recursive: true, force: true});
  }
}

main().catch((error: unknown) => {
  console.error(`import-photos: ${(error as Error).message}`);
  process.exit(1);
});
