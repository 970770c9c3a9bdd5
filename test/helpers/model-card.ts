/** The card of a model trained here, read through the model catalogue; a missing card is an error. */
import {readModelCard} from "../../loaders/models/catalogue.js";
import {CARD_JSON, type ModelCard} from "../../loaders/models/card.js";

export function readCard(dir: string): ModelCard {
  const card = readModelCard(dir);
  if (card === null) throw new Error(`${dir} has no ${CARD_JSON}`);
  return card as unknown as ModelCard;
}
