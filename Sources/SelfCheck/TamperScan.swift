import Contracts
import Foundation

/// Static tamper findings: what the patch's added lines do to the test infrastructure, read from the
/// diff on the runner (no repository code runs). The pytest entry point's runtime records catch what a
/// patch hides from this scan (hooks registered under computed names, internals patched at run time).
enum TamperScan {
    /// Top-level names that would shadow the check tools if the workspace were on their import path.
    static let toolNames: Set<String> = [
        "pytest", "_pytest", "black", "blib2to3", "ruff", "pluggy", "py", "iniconfig",
        "selfcheck_pytest", "sitecustomize", "usercustomize",
    ]

    /// pytest hooks that change what is collected, how a test runs, or what is reported.
    static let sensitiveHooks = [
        "pytest_runtest_makereport", "pytest_report_teststatus", "pytest_runtest_logreport",
        "pytest_collection_modifyitems",
        "pytest_runtest_protocol", "pytest_runtest_call", "pytest_pyfunc_call", "pytest_terminal_summary",
        "pytest_sessionfinish", "pytest_collection", "pytest_collectreport", "pytest_make_collect_report",
        "pytest_pycollect_makeitem", "pytest_ignore_collect", "pytest_runtestloop", "pytest_exception_interact",
        "pytest_report_to_serializable", "pytest_report_from_serializable", "pytest_unconfigure",
    ]

    static func findings(diff: String, files: [String]) -> [Finding] {
        var findings: [Finding] = []
        func add(_ key: String, _ message: String) {
            findings.append(
                .with {
                    $0.kind = .tamper
                    $0.key = key
                    $0.message = message
                })
        }
        for file in files {
            var components = file.split(separator: "/").map(String.init)
            if components.first == "src" && components.count > 1 { components.removeFirst() }
            let top = components.first.map { $0.hasSuffix(".py") ? String($0.dropLast(3)) : $0 } ?? ""
            if toolNames.contains(top) && (components.count > 1 || file.hasSuffix(".py") || top == "ruff") {
                add(file, "the patch adds `\(top)` at the top of the repository, where it would shadow a check tool")
            }
        }
        for (file, lines) in addedText(diff) {
            let name = (file as NSString).lastPathComponent
            let isPython = file.hasSuffix(".py")
            let testCode = isTestCode(file)
            for line in lines {
                let code = line.trimmingCharacters(in: .whitespaces)
                if isPython, code.hasPrefix("def ") || code.hasPrefix("async def "),
                    let hook = sensitiveHooks.first(where: { code.contains(" \($0)(") })
                {
                    add(
                        "\(file)::\(hook)",
                        "the patch defines pytest's \(hook) hook, which can change what is collected, run or reported")
                }
                if isPython, code.hasPrefix("pytest_plugins") {
                    add(file, "the patch loads pytest plugins (`pytest_plugins`)")
                }
                if isPython, code.contains("pluginmanager") || name == "conftest.py",
                    code.contains(".unregister(") || code.contains("set_blocked(")
                {
                    add(file, "the patch unregisters or blocks pytest plugins: \(code.prefix(120))")
                }
                if isPython,
                    code.contains("selfcheck")
                        || code.range(of: #"import\s+__main__|modules\[["']__main__"#, options: .regularExpression)
                            != nil
                {
                    add(file, "the patch reaches for the runner's pytest entry point: \(code.prefix(120))")
                }
                if isPython && !testCode {
                    if code.range(of: #"^(import|from)\s+_?pytest\b"#, options: .regularExpression) != nil
                        || code.contains("sys.modules[\"pytest") || code.contains("sys.modules['pytest")
                        || code.contains("sys.modules[\"_pytest") || code.contains("sys.modules['_pytest")
                    {
                        add(file, "package code imports pytest or its internals: \(code.prefix(120))")
                    }
                    if code.contains("atexit") || code.contains("os._exit(") {
                        add(file, "package code changes how the test process exits: \(code.prefix(120))")
                    }
                }
                if ["pyproject.toml", "setup.cfg", "setup.py", "tox.ini", "pytest.ini"].contains(name) {
                    if code.contains("pytest11") {
                        add(file, "the patch declares a pytest plugin entry point (pytest11)")
                    }
                    if code.range(of: #"^addopts.*(^|\s)-p\s*\S"#, options: .regularExpression) != nil {
                        add(file, "the patch loads or blocks a pytest plugin through addopts: \(code.prefix(120))")
                    }
                }
            }
        }
        return findings
    }

    /// Test code may use pytest freely: test modules, conftest.py, and anything under a tests folder.
    static func isTestCode(_ file: String) -> Bool {
        let name = (file as NSString).lastPathComponent
        let folders = file.split(separator: "/").dropLast()
        return name.hasPrefix("test_") || name.hasSuffix("_test.py") || name == "conftest.py"
            || folders.contains { ["tests", "test", "testing"].contains($0) }
    }

    /// The added lines' text, by file (new-side path).
    static func addedText(_ diff: String) -> [(String, [String])] {
        var result: [(String, [String])] = []
        var file: String?
        for line in diff.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("+++ ") {
                let path = line.dropFirst(4).split(separator: "\t").first.map(String.init) ?? ""
                file = path == "/dev/null" ? nil : (path.hasPrefix("b/") ? String(path.dropFirst(2)) : path)
                if let file { result.append((file, [])) }
            } else if line.hasPrefix("+"), file != nil, !result.isEmpty {
                result[result.count - 1].1.append(String(line.dropFirst()))
            }
        }
        return result
    }
}
