"""`mlp-playground [--host 127.0.0.1] [--port 8000] [--no-browser]`: start the playground."""

import argparse
import threading
import webbrowser

import uvicorn

from mlp_engine import kernels


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="mlp-playground", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    args = parser.parse_args(argv)
    threading.Thread(target=kernels.warm_up, name="compile-kernels", daemon=True).start()
    url = f"http://{args.host}:{args.port}/"
    print(f"MLP Playground: {url}", flush=True)
    if not args.no_browser:
        threading.Timer(1.0, webbrowser.open, [url]).start()
    uvicorn.run("server.app:app", host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
