/** How a shape instance is painted: solid (lightly shaded), outline, or a two-colour texture. */
import type {Random} from "../../src/lib/random.js";
import type {Rgb} from "./colour.js";
import {vectorLength} from "./geometry.js";
import type {Paint} from "./scene.js";

export type FillKind = "solid" | "outline" | "stripes" | "dots" | "checks";

export interface FillContext {
  cx: number;
  cy: number;
  /** Object radius in pixels; texture periods scale with it so small objects keep their silhouette. */
  radius: number;
  primary: Rgb;
  secondary: Rgb;
}

export function fillPaint(rng: Random, kind: FillKind, ctx: FillContext): Paint {
  const {cx, cy, radius, primary, secondary} = ctx;
  const angle = rng.uniform(0, Math.PI);
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const along = (x: number, y: number) => (x - cx) * cos + (y - cy) * sin;
  const across = (x: number, y: number) => -(x - cx) * sin + (y - cy) * cos;
  switch (kind) {
    case "solid":
    case "outline": {
      // A gentle brightness ramp across the object, like simple lighting.
      const shade = rng.uniform(0, 0.15);
      return {
        mode: "over",
        colour: (x, y) => {
          const k = 1 + (shade * along(x, y)) / radius;
          return [primary[0] * k, primary[1] * k, primary[2] * k];
        }
      };
    }
    case "stripes": {
      const period = Math.max(3.2, radius * rng.uniform(0.28, 0.42));
      return {mode: "over", colour: (x, y) => (positiveMod(along(x, y), period) < period / 2 ? primary : secondary)};
    }
    case "dots": {
      const spacing = Math.max(3.6, radius * rng.uniform(0.3, 0.42));
      const dotRadius = spacing * rng.uniform(0.26, 0.36);
      return {
        mode: "over",
        colour: (x, y) => {
          const u = positiveMod(along(x, y), spacing) - spacing / 2;
          const v = positiveMod(across(x, y), spacing) - spacing / 2;
          return vectorLength(u, v) <= dotRadius ? secondary : primary;
        }
      };
    }
    case "checks": {
      const cell = Math.max(2.6, radius * rng.uniform(0.2, 0.3));
      return {
        mode: "over",
        colour: (x, y) => ((Math.floor(along(x, y) / cell) + Math.floor(across(x, y) / cell)) % 2 === 0 ? primary : secondary)
      };
    }
  }
}

function positiveMod(value: number, period: number): number {
  return ((value % period) + period) % period;
}
