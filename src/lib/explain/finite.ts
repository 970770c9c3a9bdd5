/** Values read back from the network: NaN or infinities stop the run with a clear error. */
import {assertFinite} from "../maps/normalize.js";

export function assertModelFinite(values: ArrayLike<number>, what: string): void {
  assertFinite(values, what, "the model produced non-finite values");
}
