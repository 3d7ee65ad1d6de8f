"""A local stand-in for an OpenAI-compatible chat-completions service: canned answers, told to be slow or to fail,
and a record of every request it received, so tests can read exactly what the desk sent a model.

    with assist_server() as server:
        app.config["ASSIST_API_URL"] = server.url
        server.answers.append("Try turning it off and on again.")
        ...
        server.requests[-1]["messages"]
"""
import json
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_ANSWER = "Thank you for writing. Here is what to try first."


class AssistServer:
    """State shared with the handler: what to answer next, how, and what was asked."""

    def __init__(self):
        self.answers = []  # answered in order; DEFAULT_ANSWER once they run out
        self.status = 200  # another status answers with an error body instead
        self.delay = 0.0  # seconds to wait before answering
        self.requests = []  # each: {"path", "headers", "body" (the parsed JSON), "messages"}
        self.url = None
        self._lock = threading.Lock()

    def next_answer(self):
        with self._lock:
            return self.answers.pop(0) if self.answers else DEFAULT_ANSWER

    def prompt_text(self, index=-1):
        """Everything one request put in front of the model, as one string."""
        return "\n".join(m["content"] for m in self.requests[index]["messages"])


def _handler_for(state):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # keep test output quiet
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            state.requests.append({"path": self.path, "headers": dict(self.headers), "body": body,
                                   "messages": (body or {}).get("messages", [])})
            if state.delay:
                time.sleep(state.delay)
            if not self.path.endswith("/chat/completions"):
                return self._send(404, {"error": {"message": "unknown path"}})
            if state.status != 200:
                return self._send(state.status, {"error": {"message": "the stand-in was told to fail"}})
            answer = state.next_answer()
            return self._send(200, {
                "id": f"chatcmpl-{len(state.requests)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": (body or {}).get("model", "stand-in"),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": answer},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            })

        def _send(self, status, payload):
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the desk gave up waiting (timeout tests)

    return Handler


@contextmanager
def assist_server():
    """Serve a stand-in on a free port of 127.0.0.1 for the block; yields its state (`.url` is the base URL)."""
    state = AssistServer()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}/v1"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
