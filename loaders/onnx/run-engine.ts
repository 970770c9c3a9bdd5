/**
 * The forward engine of a run (CLI explain, batch, evaluate, the bench's table, the site's
 * precompute, each pool worker): methods that score masked inputs — those that declare a forward
 * batch size (RISE, Score-CAM, SISE, Ada-SISE) — get a PassExecutor whose forward-only batches
 * run on ONNX Runtime; every other method, and every gradient pass, runs on tfjs exactly as
 * without an engine. The engine opens on the first such method, so a run of gradient methods
 * never converts the model, and stays open for the run: one session per model, reused.
 */
import {availableParallelism} from "node:os";
import type {Explanation, Method, PassExecutor, RgbImage} from "../../src/lib/explain/types.js";
import type {ExplainableModel} from "../../src/lib/model/adapter.js";
import {explainableModelToOnnx} from "./convert.js";
import {createForwardEngine, resolveEngineChoice, type EngineChoice, type ForwardEngine} from "./engine.js";
import {onnxPassExecutor} from "./executor.js";
import {loadOnnxRuntime, OnnxUnavailableError} from "./session.js";

/** Where a run's forward-only passes ran: ONNX Runtime, or the tfjs backend. */
export type ForwardEngineName = "onnx" | "tfjs";

/** An explanation with the engine that ran its forward-only passes ("tfjs" for a method without any). */
export type EngineExplanation = Explanation & {engine: ForwardEngineName};

/** True for the methods whose passes are forward-only batches of masked inputs (a forward batch size). */
export function makesForwardBatches(method: Method): boolean {
  return Object.values(method.params).some((spec) => spec.kind === "batch" && spec.pass === "forward");
}

const stderrNotice = (line: string) => void process.stderr.write(`${line}\n`);

/**
 * The choice (`value`, else SALIENCY_ENGINE, else auto), checked now: `onnx` without a loadable
 * onnxruntime-node is an error that says what to do.
 */
export function checkedEngineChoice(value?: string): EngineChoice {
  const choice = resolveEngineChoice(value);
  if (choice !== "onnx") return choice;
  try {
    loadOnnxRuntime();
  } catch (error) {
    const detail = error instanceof OnnxUnavailableError ? error.message.replace(/^.*?: /, "") : (error as Error).message;
    throw new Error(
      `engine "onnx" needs onnxruntime-node, which does not load here (${detail.split("\n")[0]}): ` +
        "install it (npm install onnxruntime-node) or choose the engine auto or tfjs (--engine, SALIENCY_ENGINE)"
    );
  }
  return choice;
}

/**
 * `auto` decided for a model without opening a session (a pool's workers open their own): onnx
 * when onnxruntime-node loads and the model converts, else tfjs with one notice line.
 */
export function decideForwardEngine(model: ExplainableModel, value?: string, onNotice: (line: string) => void = stderrNotice): ForwardEngineName {
  const choice = checkedEngineChoice(value);
  if (choice !== "auto") return choice;
  try {
    loadOnnxRuntime();
    explainableModelToOnnx(model);
    return "onnx";
  } catch (error) {
    onNotice(`engine auto: forward passes on tfjs (${(error as Error).message.split("\n")[0]})`);
    return "tfjs";
  }
}

export interface RunEngineOptions {
  /** auto | onnx | tfjs (default: SALIENCY_ENGINE, else auto). */
  engine?: string;
  /** ONNX Runtime intra-op threads (default: every core). */
  threads?: number;
  /** Receives the one-line notice when `auto` falls back to tfjs (default: stderr). */
  onNotice?: (line: string) => void;
}

export class RunEngine {
  readonly choice: EngineChoice;
  private opened: Promise<ForwardEngine> | null = null;
  private executor: PassExecutor | null = null;

  constructor(
    private readonly model: ExplainableModel,
    private readonly options: RunEngineOptions = {}
  ) {
    this.choice = checkedEngineChoice(options.engine);
  }

  private open(): Promise<ForwardEngine> {
    this.opened ??= createForwardEngine(this.model, {
      engine: this.choice,
      threads: this.options.threads ?? availableParallelism(),
      onNotice: this.options.onNotice ?? stderrNotice
    });
    return this.opened;
  }

  /** The executor for `method` (none: its own tfjs code) and the engine its forward-only passes run on. */
  async forMethod(method: Method): Promise<{executor?: PassExecutor; engine: ForwardEngineName}> {
    if (this.choice === "tfjs" || !makesForwardBatches(method)) return {engine: "tfjs"};
    const engine = await this.open();
    if (engine.engine !== "onnx") return {engine: "tfjs"};
    // One executor for the run: its runs go to the session one at a time, merged (executor.ts).
    this.executor ??= onnxPassExecutor(this.model, engine);
    return {executor: this.executor, engine: "onnx"};
  }

  /** `method.explain` with this engine's executor, and the engine recorded. */
  async explain(method: Method, image: RgbImage, options: Record<string, unknown> = {}): Promise<EngineExplanation> {
    const {executor, engine} = await this.forMethod(method);
    const explanation = await method.explain(this.model, image, executor ? {...options, executor} : options);
    return {...explanation, engine};
  }

  /**
   * The ONNX Runtime engine for the metrics' forward passes (Drop / Increase, deletion and
   * insertion curves), or undefined where the passes stay on tfjs.
   */
  async metricsEngine(): Promise<ForwardEngine | undefined> {
    if (this.choice === "tfjs") return undefined;
    const engine = await this.open();
    return engine.engine === "onnx" ? engine : undefined;
  }

  /** One line for logs: the engine as opened so far. */
  async describe(): Promise<string> {
    if (this.choice === "tfjs") return "tfjs";
    if (!this.opened) return `${this.choice} (not opened yet: no forward-only method ran)`;
    return (await this.opened).description;
  }

  /** Releases the session (shared sessions stay open while another handle holds them). */
  async dispose(): Promise<void> {
    const opened = this.opened;
    this.opened = null;
    this.executor = null;
    await (await opened?.catch(() => null))?.dispose();
  }
}
