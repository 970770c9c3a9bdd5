/**
 * How a method declares its parameters, once: name (the key), kind, range, default, choices
 * and a one-line help. The engine's checks, the CLI's flags and `--help`, the page controls and
 * the bench's settings are all read from these declarations.
 */
import type {ScoreMode} from "../model/score.js";

interface Common {
  /** One line of help, shown by `--help` and as the control's note. */
  help: string;
  /** CLI flag without the dashes; default: the name in kebab-case. */
  flag?: string;
  /** Word used in error messages and labels; default: the name. */
  label?: string;
}

/** Slider hints for pages (the range a reader explores), inside the valid range. */
export interface SliderHint {
  min?: number;
  max?: number;
  step?: number;
}

export interface IntParam extends Common {
  kind: "int";
  min: number;
  max: number;
  /** Absent: the parameter is optional and unset means "not applied" (e.g. no cap). */
  default?: number;
  slider?: SliderHint;
  /** A cheaper value for smoke runs (`npm run bench -- --quick`, `bench:gpu --quick`, tests). */
  quick?: number;
}

export interface NumberParam extends Common {
  kind: "number";
  min: number;
  max: number;
  /** The lower end is open (a probability > 0). */
  exclusiveMin?: boolean;
  default: number;
  slider?: SliderHint;
}

export interface ChoiceParam<C extends string = string> extends Common {
  kind: "choice";
  choices: readonly C[];
  default: C;
  /** Longer names for page controls. */
  labels?: Partial<Record<C, string>>;
}

/** One layer usable for CAMs; default: the model's deepest block end. */
export interface LayerParam extends Common {
  kind: "layer";
}

/** Several layers (SISE), de-duplicated and ordered shallow to deep; default: the block ends. */
export interface LayersParam extends Common {
  kind: "layers";
}

/** The class to explain; default: the top prediction. */
export interface ClassParam extends Common {
  kind: "class";
}

/** The score explained: logit, softmax or sigmoid. */
export interface ScoreParam extends Common {
  kind: "score";
  default: ScoreMode;
}

/** Images per batch; default from the model's activation size for this kind of pass. */
export interface BatchParam extends Common {
  kind: "batch";
  pass: "forward" | "backward";
  max: number;
}

export type ParamSpec = IntParam | NumberParam | ChoiceParam | LayerParam | LayersParam | ClassParam | ScoreParam | BatchParam;
export type ParamSchema = Record<string, ParamSpec>;

/** The value a parameter has once defaults are filled in. */
export type ParamValue<P extends ParamSpec> =
  P extends ChoiceParam<infer C>
    ? C
    : P extends IntParam
      ? P extends {default: number}
        ? number
        : number | undefined
      : P extends NumberParam | BatchParam
        ? number
        : P extends LayerParam
          ? string
          : P extends LayersParam
            ? string[]
            : P extends ClassParam
              ? number | undefined
              : P extends ScoreParam
                ? ScoreMode
                : never;

export type ParamValues<S extends ParamSchema> = {[K in keyof S]: ParamValue<S[K]>};
