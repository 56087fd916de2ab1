/**
 * The websocket to /ws/train: reconnection with backoff, and frame decoding.
 *
 * Each `frame` JSON message is followed by exactly one binary message: little-endian float32
 * arrays laid end to end as the frame's `arrays` manifest says. The two are joined here, so the
 * rest of the page only ever sees complete frames.
 */

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 8000;
// A server that said it restarts is back within seconds: try every second meanwhile, rather
// than at the backoff's growing delays (up to 8 s late).
const RESTART_RETRY_MS = 1000;
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The payload as float32 values, read little-endian whatever the host's byte order. */
function float32Values(buffer) {
  if (LITTLE_ENDIAN_HOST) return new Float32Array(buffer);
  const view = new DataView(buffer);
  const values = new Float32Array(buffer.byteLength / 4);
  for (let i = 0; i < values.length; i++) values[i] = view.getFloat32(4 * i, true);
  return values;
}

const arrayKey = (name, layer) => `${name}:${layer ?? ""}`;

/** Attach the binary payload to its frame: `frame.values` maps name:layer to {shape, data}. */
function decodeFrame(frame, buffer) {
  const values = float32Values(buffer);
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
    this.pendingFrame = null;
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
      this.pendingFrame = null;
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
      if (this.pendingFrame) this.handlers.frame(decodeFrame(this.pendingFrame, data));
      this.pendingFrame = null;
      return;
    }
    const message = JSON.parse(data);
    if (message.type === "frame") {
      this.pendingFrame = message;
    } else {
      this.handlers[message.type]?.(message);
    }
  }
}
