"""Which tests execute which functions: recorded in the base run, read by the runner to select tests.

Loaded by selfcheck_pytest.py (by path, from the tool environment) when the runner asks for a map. A
global trace function (call events only, no line tracing) adds each called code object to the bucket
of the test that is running; code run outside a test (collection, shared fixtures) goes to a shared
bucket. At the end every repository file that ran is parsed (ast, never executed again) for its
functions' line ranges, and the map is written to .selfcheck/testmap.json:

    {"version": 1, "lost": null | why the map cannot be trusted,
     "files": {path: {"sha1": hex, "functions": [[first, body_first, last, column], ...]}},
     "shared": {path: [function index, ...]}, "tests": {node id: {path: [function index, ...]}},
     "always": [node id, ...]}

Index -1 is the module's own code (a test that imported it). A test that starts a process (the child
is not traced) is in "always". See docs/selfcheck.md, "Selecting tests".
"""
import ast
import hashlib
import json
import os
import sys
import threading

import pytest

VERSION = 1
# A child process runs code the tracer cannot see.
_PROCESS_EVENTS = frozenset(
    ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty", "pty.spawn")
)


class TestMap:
    def __init__(self, root, excluded):
        self.root = os.path.realpath(root) + os.sep
        self.excluded = tuple(p + os.sep for p in excluded)
        self.shared = set()
        self.tests = {}
        self.always = set()
        self.lost = None
        self.test = None
        bucket = [self.shared]
        self.bucket = bucket

        def trace(frame, event, arg):
            bucket[0].add(frame.f_code)

        self.trace = trace

    def start(self):
        sys.settrace(self.trace)
        threading.settrace(self.trace)
        sys.addaudithook(self._audit)

    def _audit(self, event, args):
        if event in _PROCESS_EVENTS:
            if self.test is None:
                self.lost = self.lost or "a process was started outside a test (%s)" % event
            else:
                self.always.add(self.test)

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_protocol(self, item, nextitem):
        self.test = item.nodeid
        self.bucket[0] = self.tests.setdefault(item.nodeid, set())
        try:
            yield
        finally:
            self.bucket[0] = self.shared
            self.test = None
            if sys.gettrace() is not self.trace:
                self.lost = self.lost or "%s replaced the trace function" % item.nodeid
                sys.settrace(self.trace)

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_fixture_setup(self, fixturedef, request):
        # A fixture shared by several tests: what it runs belongs to all of them, so to none alone.
        if fixturedef.scope == "function":
            yield
            return
        outer, self.bucket[0] = self.bucket[0], self.shared
        try:
            yield
        finally:
            self.bucket[0] = outer

    def write(self):
        sys.settrace(None)
        threading.settrace(None)
        try:
            data = self._build()
        except Exception as error:  # a map that cannot be built is no map: every test runs
            data = {"version": VERSION, "lost": "the map could not be built: %r" % (error,)}
        try:
            os.makedirs(".selfcheck", exist_ok=True)
            with open(".selfcheck/testmap.json", "w", encoding="utf-8") as out:
                json.dump(data, out, separators=(",", ":"))
        except OSError:
            pass  # no map: the runner runs every test

    def _build(self):
        files = {}
        resolved = {}

        def relative_path(path):
            if path not in resolved:
                real = os.path.realpath(path) if path and not path.startswith("<") else ""
                inside = real.startswith(self.root) and not real.startswith(self.excluded)
                resolved[path] = real[len(self.root) :] if inside and real.endswith(".py") else None
            return resolved[path]

        for module in list(sys.modules.values()):
            path = getattr(module, "__file__", None)
            if isinstance(path, str):
                relative = relative_path(path)
                if relative is not None:
                    files.setdefault(relative, None)
        every = set(self.shared).union(*self.tests.values()) if self.tests else set(self.shared)
        for code in every:
            relative = relative_path(code.co_filename)
            if relative is not None:
                files.setdefault(relative, None)
        for relative in files:
            files[relative] = _functions(os.path.join(self.root, relative))
        files = {path: table for path, table in files.items() if table is not None}

        attributed = {}

        def indices(code):
            if code not in attributed:
                relative = relative_path(code.co_filename)
                table = files.get(relative)
                if table is None:
                    attributed[code] = None
                elif code.co_name == "<module>":
                    attributed[code] = (relative, (-1,))
                else:
                    line = code.co_firstlineno
                    found = tuple(i for i, f in enumerate(table["functions"]) if f[0] <= line <= f[2])
                    attributed[code] = (relative, found)
            return attributed[code]

        def bucket_map(codes):
            result = {}
            for code in codes:
                hit = indices(code)
                if hit:
                    result.setdefault(hit[0], set()).update(hit[1])
            return {path: sorted(found) for path, found in result.items() if found}

        return {
            "version": VERSION,
            "lost": self.lost,
            "files": files,
            "shared": bucket_map(self.shared),
            "tests": {test: bucket_map(codes) for test, codes in self.tests.items()},
            "always": sorted(self.always),
        }


def _functions(path):
    """The file's functions as [first line, first body line, last line, column]; None when its lines
    might not be the diff's lines (a lone carriage return or a form feed) or it does not parse."""
    try:
        with open(path, "rb") as source:
            data = source.read()
        if b"\r" in data or b"\x0c" in data:
            return None
        tree = ast.parse(data, filename=path)
    except (OSError, SyntaxError, ValueError):
        return None
    functions = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        header = [node.args, *node.decorator_list] + ([node.returns] if node.returns else [])
        first = min([node.lineno] + [d.lineno for d in node.decorator_list])
        header_last = max([node.lineno] + [getattr(n, "end_lineno", None) or 0 for h in header for n in ast.walk(h)])
        body_first = node.body[0].lineno
        if body_first <= header_last:  # a body on the header's line: no line of it is the body alone
            body_first = node.end_lineno + 1
        functions.append([first, body_first, node.end_lineno, node.col_offset])
    functions.sort()
    return {"sha1": hashlib.sha1(data).hexdigest(), "functions": functions}
