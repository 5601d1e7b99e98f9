"""A scripted OpenAI-compatible model for scripts/deploy-check (POST /v1/chat/completions).

Every agent replica asks this one server, so a task's script follows the task, not the replica. The
task's goal carries its case as "[deploy-check case=CASE id=ID]":
  ok     a function appended to toolz/itertoolz.py, formatted as black wants: passes at once;
  retry  the first answer is badly formatted (black rejects it), every later one is the good one;
  soft   always the badly formatted one: the agent stops after the same failure twice (SOFT_FAIL).
Diffs are made against the fixture's toolz/itertoolz.py, which is what the git server serves.
"""

import difflib
import json
import re
import signal
import sys
import tarfile
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Lock

FIXTURE = "/fixtures/toolz-1.2.0.tar.gz"
PATH = "toolz/itertoolz.py"
CASE = re.compile(r"\[deploy-check case=(ok|retry|soft) id=([A-Za-z0-9_-]+)\]")

with tarfile.open(FIXTURE) as archive:
    BASE = archive.extractfile("toolz-1.2.0/" + PATH).read().decode()

calls = Counter()
lock = Lock()


def diff(name, formatted):
    signature = f"def {name}(seqs):" if formatted else f"def {name}( seqs ):"
    doc = '    """Sum of the lengths of the given sequences."""\n' if formatted else ""
    new = BASE + f"\n\n{signature}\n{doc}    return sum(len(s) for s in seqs)\n"
    lines = difflib.unified_diff(
        BASE.splitlines(True), new.splitlines(True), "a/" + PATH, "b/" + PATH
    )
    return f"diff --git a/{PATH} b/{PATH}\n" + "".join(lines)


def answer(prompt):
    match = CASE.search(prompt)
    if not match:
        return None
    case, task = match.groups()
    with lock:
        calls[task] += 1
        number = calls[task]
    name = "total_length_" + re.sub(r"\W", "_", task)
    formatted = case == "ok" or (case == "retry" and number > 1)
    print(f"model: task {task} case {case} call {number}: {'good' if formatted else 'bad'} diff", flush=True)
    return {"diff": diff(name, formatted), "reasoning": f"deploy-check {case} call {number}"}


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        prompt = "\n".join(m.get("content") or "" for m in body.get("messages", []))
        reply = answer(prompt)
        if reply is None:
            self.send(400, {"error": {"message": "no [deploy-check case=… id=…] in the prompt"}})
            return
        self.send(200, {
            "id": "deploy-check",
            "object": "chat.completion",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": json.dumps(reply)}}],
            "usage": {"prompt_tokens": len(prompt) // 4, "completion_tokens": 100, "total_tokens": len(prompt) // 4 + 100},
        })

    def send(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    server = ThreadingHTTPServer(("0.0.0.0", int(sys.argv[1]) if len(sys.argv) > 1 else 8000), Handler)
    # pid 1 ignores SIGTERM unless it handles it: stop at once, with status 0, on docker stop.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("model: scripted, listening on :8000", flush=True)
    server.serve_forever()
