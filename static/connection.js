/**
 * The websocket to /ws/train: reconnection with backoff, and frame decoding.
 *
 * Every message is JSON text but frames: a frame is one binary message, its JSON part's length
 * (a little-endian uint32), its JSON part (padded to a multiple of 4 bytes) and little-endian
 * float32 arrays laid end to end as the JSON part's `arrays` manifest says (docs/protocol.md).
 * Frames are decoded here, so the rest of the page only ever sees complete frames.
 */

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 8000;
// A server that said it restarts is back within seconds: try every second meanwhile, rather
// than at the backoff's growing delays (up to 8 s late).
const RESTART_RETRY_MS = 1000;
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const HEAD_LENGTH_BYTES = 4;
const asciiText = new TextDecoder("ascii");

/** The bytes of `buffer` from `start` as float32 values, read little-endian whatever the
 * host's byte order. */
function float32Values(buffer, start) {
  if (LITTLE_ENDIAN_HOST) return new Float32Array(buffer, start);
  const view = new DataView(buffer, start);
  const values = new Float32Array(view.byteLength / 4);
  for (let i = 0; i < values.length; i++) values[i] = view.getFloat32(4 * i, true);
  return values;
}

const arrayKey = (name, layer) => `${name}:${layer ?? ""}`;

/** A frame's message: its JSON part, with `frame.values` mapping name:layer to {shape, data}
 * (views of the message's own bytes). */
function decodeFrame(buffer) {
  const headBytes = new DataView(buffer).getUint32(0, true);
  const head = new Uint8Array(buffer, HEAD_LENGTH_BYTES, headBytes);
  const frame = JSON.parse(asciiText.decode(head));
  const values = float32Values(buffer, HEAD_LENGTH_BYTES + headBytes);
  const arrays = new Map();
  for (const spec of frame.arrays) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    arrays.set(arrayKey(spec.name, spec.layer), {
      shape: spec.shape,
      data: values.subarray(spec.offset, spec.offset + count),
    });
  }
  return { ...frame, values: arrays };
}

/** One of the frame's arrays ({shape, data}), or undefined; `layer` null for network-wide. */
export function frameArray(frame, name, layer = null) {
  return frame.values.get(arrayKey(name, layer));
}

/** Layer sizes [n_x, hidden widths..., n_y], read from the frame's weight shapes. */
export function layerSizes(frame) {
  const sizes = [];
  for (let l = 0; ; l++) {
    const W = frameArray(frame, "W", l);
    if (!W) return sizes;
    if (l === 0) sizes.push(W.shape[1]);
    sizes.push(W.shape[0]);
  }
}

/**
 * A websocket that keeps itself open. `handlers`: open(), close(retryMs), and one function per
 * server message type (ready, frame, status, error), each given the decoded message.
 */
export class Connection {
  constructor(url, handlers) {
    this.url = url;
    this.handlers = handlers;
    this.socket = null;
    this.retryMs = FIRST_RETRY_MS;
    this.restarting = false;
  }

  /** The server said it stops to restart: reconnect every second until it is back. */
  expectRestart() {
    this.restarting = true;
  }

  connect() {
    const socket = new WebSocket(this.url);
    socket.binaryType = "arraybuffer";
    socket.addEventListener("open", () => {
      this.retryMs = FIRST_RETRY_MS;
      this.restarting = false;
      this.handlers.open();
    });
    socket.addEventListener("message", (event) => this.receive(event.data));
    socket.addEventListener("close", () => {
      const delay = this.restarting ? RESTART_RETRY_MS : this.retryMs;
      if (!this.restarting) this.retryMs = Math.min(2 * this.retryMs, MAX_RETRY_MS);
      this.handlers.close(delay);
      setTimeout(() => this.connect(), delay);
    });
    this.socket = socket;
  }

  /** Send a client message; false (and nothing sent) while the socket is not open. */
  send(message) {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  receive(data) {
    if (data instanceof ArrayBuffer) {
      this.handlers.frame(decodeFrame(data));
      return;
    }
    const message = JSON.parse(data);
    this.handlers[message.type]?.(message);
  }
}
