"""The runner's pytest entry point, installed read-only in the check-tool environment.

    python -P -s <tool env>/selfcheck/selfcheck_pytest.py PYTEST_ARGS...   (stdin: one JSON line)

It imports pytest from the tool environment before any repository code can run, then reports every
result to the runner as it happens: one line per record, written with a single os.write to a copy of
the job's original stdout taken here, each line carrying the per-run token the runner sends on stdin
(which is then closed). Records: start, hooks, collect, test, internals, finish. The runner judges
from these records, never from a file in the workspace. See docs/selfcheck.md, "Threat model".
"""
import json
import os
import sys

_ENV = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_PREFIXES = tuple(os.path.realpath(p) for p in {sys.prefix, sys.base_prefix, sys.exec_prefix})


def _tools_first():
    """sys.path with the interpreter's and the tool environment's own entries first (PYTHONPATH
    entries, e.g. a project environment, come last while the tools are imported)."""
    own = [p for p in sys.path if os.path.realpath(p or ".").startswith(_PREFIXES)]
    return own + [p for p in sys.path if p not in own]


_saved_path = list(sys.path)
sys.path[:] = _tools_first()
import _pytest.reports  # noqa: E402
import _pytest.runner  # noqa: E402
import _pytest.python  # noqa: E402
import pytest  # noqa: E402

sys.path[:] = _saved_path

_request = json.loads(sys.stdin.buffer.readline() or b"{}")
_TOKEN = _request.get("token", "")
_TOUCHED = set(_request.get("files", []))
# Test selection (docs/selfcheck.md, "Selecting tests"): the node ids to run, or None for every test;
# and whether to record which tests execute which code (the base run only).
_SELECT = _request.get("select")
_SELECT = set(_SELECT) if isinstance(_SELECT, list) else None
_RECORD_MAP = _request.get("map") is True
_devnull = os.open(os.devnull, os.O_RDONLY)
os.dup2(_devnull, 0)
os.close(_devnull)
_OUT = os.dup(1)  # not inheritable: subprocesses of the tests never get it
_MARK = ("\n@@selfcheck:" + _TOKEN + " ").encode()

# Hooks through which a conftest or plugin can change what is collected, how a test runs or what is
# reported. Implementations of these in files the patch touched are tamper.
SENSITIVE_HOOKS = (
    "pytest_runtest_makereport", "pytest_report_teststatus", "pytest_runtest_logreport",
    "pytest_collection_modifyitems", "pytest_runtest_protocol", "pytest_runtest_call", "pytest_pyfunc_call",
    "pytest_runtest_setup", "pytest_runtest_teardown", "pytest_terminal_summary", "pytest_sessionfinish",
    "pytest_sessionstart", "pytest_configure", "pytest_unconfigure", "pytest_collection", "pytest_collectreport",
    "pytest_make_collect_report", "pytest_pycollect_makeitem", "pytest_ignore_collect", "pytest_deselected",
    "pytest_exception_interact", "pytest_report_to_serializable", "pytest_report_from_serializable",
    "pytest_collect_file", "pytest_itemcollected", "pytest_runtestloop", "pytest_plugin_registered",
)

# pytest internals a repository could patch to rewrite outcomes; their identity is recorded before any
# repository code runs and compared as the tests run.
_INTERNALS = {
    "_pytest.runner.CallInfo.from_call": lambda: _pytest.runner.CallInfo.__dict__["from_call"].__func__,
    "_pytest.runner.call_and_report": lambda: _pytest.runner.call_and_report,
    "_pytest.runner.pytest_runtest_call": lambda: _pytest.runner.pytest_runtest_call,
    "_pytest.runner.runtestprotocol": lambda: _pytest.runner.runtestprotocol,
    "_pytest.runner.pytest_runtest_makereport": lambda: _pytest.runner.pytest_runtest_makereport,
    "_pytest.reports.TestReport.__init__": lambda: _pytest.reports.TestReport.__init__,
    "_pytest.reports.TestReport.from_item_and_call": lambda: _pytest.reports.TestReport.__dict__["from_item_and_call"].__func__,
    "_pytest.reports.BaseReport.passed": lambda: _pytest.reports.BaseReport.__dict__["passed"],
    "_pytest.reports.BaseReport.failed": lambda: _pytest.reports.BaseReport.__dict__["failed"],
    "_pytest.reports.BaseReport.skipped": lambda: _pytest.reports.BaseReport.__dict__["skipped"],
    "_pytest.python.Function.runtest": lambda: _pytest.python.Function.runtest,
    "_pytest.python.pytest_pyfunc_call": lambda: _pytest.python.pytest_pyfunc_call,
    "sys.modules['pytest']": lambda: sys.modules.get("pytest"),
    "sys.modules['_pytest.runner']": lambda: sys.modules.get("_pytest.runner"),
    "sys.modules['_pytest.reports']": lambda: sys.modules.get("_pytest.reports"),
}
_SKIP_EXCEPTIONS = (pytest.skip.Exception, pytest.xfail.Exception)
_dumps = json.dumps
_write = os.write


def _send(record):
    line = _dumps(record, separators=(",", ":"))
    _write(_OUT, _MARK + line.encode("utf-8", "replace")[:3800] + b"\n")


def _first_line(text):
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("E ")]
    return (errors[0][1:].strip() if errors else lines[-1] if lines else "")[:300]


class SelfCheckPlugin:
    def __init__(self):
        # Its own reference: replacing the module's _send (reachable as __main__._send) does not mute it.
        self.send = _send
        self.reported_internals = set()
        self.finished = False
        # The test whose call phase is running: a makereport for it meanwhile is a subtest's
        # (pytest's `subtests` fixture, unittest's subTest), one record each, numbered.
        self.calling = None
        self.subtests = 0

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_call(self, item):
        self.calling, self.subtests = item.nodeid, 0
        try:
            yield
        finally:
            self.calling = None

    def _check_internals(self):
        for name, get in _INTERNALS.items():
            try:
                same = get() is _ORIGINAL[name]
            except Exception:
                same = False
            if not same and name not in self.reported_internals:
                self.reported_internals.add(name)
                self.send({"e": "internals", "name": name})

    def _report_hooks(self, config):
        impls = []
        for hook in SENSITIVE_HOOKS:
            caller = getattr(config.pluginmanager.hook, hook, None)
            for impl in caller.get_hookimpls() if caller else []:
                code = getattr(impl.function, "__code__", None)
                path = os.path.relpath(code.co_filename) if code else ""
                if path in _TOUCHED:
                    last = max([line for _, _, line in code.co_lines() if line] or [code.co_firstlineno])
                    impls.append({"hook": hook, "file": path, "first": code.co_firstlineno, "last": last})
        self.send({"e": "hooks", "impls": impls, "self": config.pluginmanager.is_registered(self)})

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config, items):
        if _SELECT is None:
            return
        kept = [item for item in items if item.nodeid in _SELECT]
        dropped = [item for item in items if item.nodeid not in _SELECT]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
        items[:] = kept

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_finish(self, session):
        self._report_hooks(session.config)
        self._check_internals()

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_collectreport(self, report):
        if report.failed:
            self.send({"e": "collect", "id": report.nodeid, "error": _first_line(report.longreprtext)})
        elif report.skipped:  # e.g. pytest.importorskip at module level
            self.send({"e": "collect", "id": report.nodeid, "skipped": True, "error": _first_line(report.longreprtext)})
        yield

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_makereport(self, item, call):
        # What happened, taken before any other implementation of this hook runs.
        excinfo = call.excinfo
        if excinfo is None:
            derived = "passed"
        elif isinstance(excinfo.value, _SKIP_EXCEPTIONS):
            derived = "skipped"
        elif call.when == "call" and item.get_closest_marker("xfail") is not None:
            derived = "xfail"
        else:
            derived = "failed"
        outcome = yield
        try:
            report = outcome.get_result()
            reported = report.outcome
            message = _first_line(report.longreprtext) if report.failed else ""
        except BaseException as error:  # a hook that raised instead of reporting
            reported, message = "failed", repr(error)[:300]
        if derived == "failed" and not message and excinfo is not None:
            message = _first_line(excinfo.exconly())
        when = call.when
        if when == "call" and self.calling == item.nodeid:
            self.subtests += 1
            when = "subtest %d" % self.subtests
        if call.when == "call" or derived != "passed" or reported != "passed":
            self.send({"e": "test", "id": item.nodeid, "when": when, "derived": derived, "reported": reported, "msg": message})
        if when == "call":
            self._check_internals()

    @pytest.hookimpl(hookwrapper=True, trylast=True)
    def pytest_sessionfinish(self, session, exitstatus):
        yield
        self._report_hooks(session.config)
        self._check_internals()
        if _MAP is not None:
            _MAP.write()
        self.finished = True
        self.send({"e": "finish", "exitstatus": int(session.exitstatus), "collected": session.testscollected})


# This entry point's own functions too: test code can reach them as `__main__` (see the threat model).
_INTERNALS.update({
    "selfcheck _send": lambda: globals().get("_send"),
    "selfcheck _write": lambda: globals().get("_write"),
    "os.write": lambda: os.write,
    "selfcheck makereport": lambda: SelfCheckPlugin.__dict__.get("pytest_runtest_makereport"),
    "selfcheck sessionfinish": lambda: SelfCheckPlugin.__dict__.get("pytest_sessionfinish"),
})
_ORIGINAL = {name: get() for name, get in _INTERNALS.items()}
_send({"e": "start", "pytest": pytest.__version__})
_plugins = [SelfCheckPlugin()]
_MAP = None
if _RECORD_MAP:
    import importlib.util  # noqa: E402

    _spec = importlib.util.spec_from_file_location(
        "selfcheck_testmap", os.path.join(os.path.dirname(os.path.abspath(__file__)), "selfcheck_testmap.py"))
    _testmap = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_testmap)
    _MAP = _testmap.TestMap(os.getcwd(), _PREFIXES + (os.path.realpath(_ENV),))
    _plugins.append(_MAP)
    _MAP.start()
sys.exit(pytest.main(sys.argv[1:], plugins=_plugins))
