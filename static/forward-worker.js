/**
 * The pictures of a frame's weights over the input plane (forward.js's computePlanePictures),
 * computed off the page's main thread, which only paints them. A message {id, layers, spec}
 * is answered with {id, shown}; the answer's arrays move to the page without a copy.
 */

import { computePlanePictures } from "./forward.js";

self.onmessage = ({ data: { id, layers, spec } }) => {
  const shown = computePlanePictures(layers, spec);
  const buffers = [shown.output, ...shown.neurons].map(({ data }) => data.buffer);
  self.postMessage({ id, shown }, buffers);
};
