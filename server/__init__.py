"""The playground's backend: FastAPI, one websocket training session per browser tab."""
