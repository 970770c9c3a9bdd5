/**
 * Live from the camera: the reader's webcam frame → the largest face (face-api's Tiny Face
 * Detector) → its crop explained by the page's current method → the map drawn on the frame; then
 * the next frame, for as long as the camera runs. The explanation is whatever the page set last
 * (setRun), so a slider moved on the page changes the next map without restarting anything.
 * Nothing leaves the browser: frames go from the camera to a canvas in this tab and nowhere else.
 */
import type {Explanation} from "../lib/explain/types.js";
import {isSmallFace, type FaceCrop} from "../lib/model/face-crop.js";
import {rgbaToRgb, viewPixels, type DrawColormap} from "./draw.js";
import {detectFaces, faceCropImage, largestFace, mapOnPhoto, type FaceApiFiles} from "./faces.js";
import type {NamedImage} from "./images.js";
import {publishResult, formatMs} from "./live.js";

/** What the camera explains each frame with: the page's method and settings, as a function of the image. */
export interface CameraRun {
  explain: (image: NamedImage, signal: AbortSignal) => Promise<Explanation>;
  /** For the status line ("Integrated Grad-CAM, m = 8"). */
  label: string;
}

export interface CameraElement extends HTMLElement {
  setRun(run: CameraRun): void;
  setColormap(colormap: DrawColormap): void;
  stop(): void;
}

/** Longest side of the frames explained (the face crop is cut from this). */
const FRAME_SIDE = 320;

function grabFrame(video: HTMLVideoElement, scratch: HTMLCanvasElement): NamedImage {
  const scale = Math.min(1, FRAME_SIDE / Math.max(video.videoWidth, video.videoHeight));
  const width = Math.max(1, Math.round(video.videoWidth * scale));
  const height = Math.max(1, Math.round(video.videoHeight * scale));
  scratch.width = width;
  scratch.height = height;
  const context = scratch.getContext("2d", {willReadFrequently: true})!;
  context.drawImage(video, 0, 0, width, height);
  const rgba = context.getImageData(0, 0, width, height).data;
  const rgb = rgbaToRgb(rgba, width, height);
  return {name: "camera frame", width, height, rgb};
}

function cameraError(error: unknown): string {
  const name = (error as Error)?.name;
  if (name === "NotAllowedError") return "The browser or you refused the camera. Allow it for this site and press Start again.";
  if (name === "NotFoundError" || name === "OverconstrainedError") return "No camera was found on this device.";
  if (name === "NotReadableError") return "The camera is in use by another program.";
  return `The camera could not be started: ${(error as Error)?.message ?? String(error)}`;
}

/**
 * The camera panel: Start / Stop, the statement that nothing leaves the browser, the frame with
 * its map, and a status line. `faceCrops`: explain the largest face's crop (the face model);
 * otherwise the whole frame. Each finished map is published under `key` for the tests.
 */
export function liveCamera(options: {
  files: FaceApiFiles;
  faceCrops: boolean;
  inputSize: number;
  run: CameraRun;
  key: string;
  id: string;
  colormap?: DrawColormap;
}): CameraElement {
  const root = document.createElement("div") as unknown as CameraElement;
  root.className = "sx-camera";
  root.id = options.id;
  let run = options.run;
  let colormap: DrawColormap = options.colormap ?? "turbo";
  let running = false;
  let stream: MediaStream | null = null;
  let controller: AbortController | null = null;

  const privacy = document.createElement("div");
  privacy.className = "sx-muted sx-small sx-camera-privacy";
  privacy.textContent =
    "Nothing leaves this browser: the camera's frames are read into this tab, explained here, and never sent or stored anywhere. The camera stays off until you press Start.";
  const buttons = document.createElement("div");
  buttons.className = "sx-row";
  buttons.style.gap = "0.5rem";
  const start = document.createElement("button");
  start.type = "button";
  start.className = "sx-camera-start";
  start.textContent = "Start camera";
  const stopButton = document.createElement("button");
  stopButton.type = "button";
  stopButton.className = "sx-camera-stop";
  stopButton.textContent = "Stop";
  stopButton.disabled = true;
  buttons.append(start, stopButton);
  const video = document.createElement("video");
  video.muted = true;
  video.playsInline = true;
  video.setAttribute("aria-hidden", "true");
  // The video only feeds the canvas below (the frame with its map); it is not shown itself.
  video.style.display = "none";
  const view = document.createElement("canvas");
  view.width = FRAME_SIDE;
  view.height = Math.round((FRAME_SIDE * 3) / 4);
  view.setAttribute("role", "img");
  view.setAttribute("aria-label", "The camera frame with the saliency map of the face");
  view.style.width = `${FRAME_SIDE}px`;
  view.style.maxWidth = "100%";
  view.hidden = true;
  const status = document.createElement("div");
  status.className = "sx-status sx-camera-status";
  status.setAttribute("aria-live", "polite");
  status.textContent = "Camera off.";
  const scratch = document.createElement("canvas");
  root.append(privacy, buttons, view, video, status);

  const draw = (frame: NamedImage, crop: FaceCrop | null, explanation: Explanation | null, boxes: {x: number; y: number; width: number; height: number}[]) => {
    view.width = frame.width;
    view.height = frame.height;
    const context = view.getContext("2d")!;
    let rgba = viewPixels({image: frame.rgb, width: frame.width, height: frame.height});
    if (explanation) {
      const full = crop ? mapOnPhoto(crop, explanation.map) : explanation.map;
      const over = viewPixels({image: frame.rgb, map: full, width: frame.width, height: frame.height, colormap, alpha: 0.55});
      if (crop) {
        for (let y = crop.y; y < crop.y + crop.size; y++) {
          const from = 4 * (y * frame.width + crop.x);
          rgba.set(over.subarray(from, from + 4 * crop.size), from);
        }
      } else rgba = over;
    }
    context.putImageData(new ImageData(rgba as Uint8ClampedArray<ArrayBuffer>, frame.width, frame.height), 0, 0);
    context.lineWidth = 2;
    for (const box of boxes) {
      context.strokeStyle = "#f59e0b";
      context.strokeRect(box.x, box.y, box.width, box.height);
    }
    if (crop) {
      context.strokeStyle = "white";
      context.setLineDash([4, 3]);
      context.strokeRect(crop.x + 0.5, crop.y + 0.5, crop.size - 1, crop.size - 1);
      context.setLineDash([]);
    }
  };

  const loop = async () => {
    let maps = 0;
    const started = performance.now();
    while (running && controller && !controller.signal.aborted) {
      if (video.readyState < 2 || video.videoWidth === 0) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      const frame = grabFrame(video, scratch);
      try {
        const t0 = performance.now();
        const faces = options.faceCrops ? await detectFaces(options.files, frame, {detector: "tiny", inputSize: 224}) : [];
        if (!running) break;
        if (options.faceCrops && faces.length === 0) {
          draw(frame, null, null, []);
          status.textContent = "No face in view: face the camera (and some light).";
          await new Promise((resolve) => setTimeout(resolve, 150));
          continue;
        }
        const index = faces.length ? largestFace(faces) : -1;
        const {image, crop} = index >= 0 ? faceCropImage(frame, faces[index]!, index, options.inputSize) : {image: frame, crop: null};
        const current = run;
        const explanation = await current.explain(image, controller.signal);
        if (!running) break;
        maps++;
        draw(
          frame,
          crop,
          explanation,
          faces.map((f) => f.box)
        );
        view.hidden = false;
        publishResult(options.key, explanation);
        const face = index >= 0 ? faces[index]! : null;
        status.textContent = `${current.label} for “${explanation.className}” (${explanation.score.mode} ${explanation.score.value.toFixed(2)}) · ${formatMs(performance.now() - t0)} per frame on ${explanation.backend} · ${maps} maps in ${formatMs(performance.now() - started)}${face && isSmallFace(face.box) ? " · ⚠ the face is small: move closer" : ""}`;
      } catch (error) {
        if ((error as Error).name === "AbortError" || !running) break;
        status.textContent = `The live map stopped: ${(error as Error).message}`;
        status.classList.add("sx-error");
        halt();
        return;
      }
    }
  };

  const halt = () => {
    running = false;
    controller?.abort();
    controller = null;
    for (const track of stream?.getTracks() ?? []) track.stop();
    stream = null;
    video.srcObject = null;
    start.disabled = false;
    stopButton.disabled = true;
  };

  start.addEventListener("click", async () => {
    if (running) return;
    status.classList.remove("sx-error");
    if (!navigator.mediaDevices?.getUserMedia) {
      status.textContent = "This browser gives no camera access here (it needs https or localhost).";
      return;
    }
    start.disabled = true;
    status.textContent = "Asking for the camera…";
    try {
      stream = await navigator.mediaDevices.getUserMedia({video: {width: {ideal: 640}, height: {ideal: 480}}, audio: false});
      video.srcObject = stream;
      await video.play();
    } catch (error) {
      status.textContent = cameraError(error);
      halt();
      return;
    }
    running = true;
    controller = new AbortController();
    stopButton.disabled = false;
    status.textContent = options.faceCrops ? "Camera on: looking for a face…" : "Camera on…";
    void loop();
  });
  stopButton.addEventListener("click", () => {
    halt();
    status.textContent = "Camera off.";
  });

  root.setRun = (next: CameraRun) => {
    run = next;
  };
  root.setColormap = (next: DrawColormap) => {
    colormap = next;
  };
  root.stop = halt;
  return root;
}
