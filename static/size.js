/**
 * Element sizes without forcing a layout in the middle of a frame.
 *
 * Reading clientWidth after another view has written to the DOM makes the browser lay the
 * page out again, several times a frame. A ResizeObserver keeps each watched element's size
 * instead; `onResize` is told when any of them changes, so the page can redraw.
 */

const sizes = new WeakMap();
let listener = () => {};

const observer = new ResizeObserver((entries) => {
  for (const entry of entries) {
    const box = entry.borderBoxSize?.[0];
    sizes.set(
      entry.target,
      box
        ? { width: box.inlineSize, height: box.blockSize }
        : { width: entry.contentRect.width, height: entry.contentRect.height },
    );
  }
  listener();
});

/** Call `callback` whenever a watched element changes size. */
export function onResize(callback) {
  listener = callback;
}

/** The element's {width, height} in CSS pixels; watched from the first call on. */
export function elementSize(element) {
  let size = sizes.get(element);
  if (!size) {
    size = { width: element.offsetWidth, height: element.offsetHeight };
    sizes.set(element, size);
    observer.observe(element);
  }
  return size;
}
