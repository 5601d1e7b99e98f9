import Contracts
import Foundation

/// What pytest ran at the base and after the patch, told honestly: counts, the test modules that could
/// not be imported, and whether the check can say anything at all (`inconclusive` when the tests the
/// patch affects could not run at the base).
struct TestsThatRan {
    let patched: [TestOutcome]
    let base: [TestOutcome]?

    static func executed(_ outcomes: [TestOutcome]) -> Int { outcomes.filter { $0.ran && !$0.isCollectionError }.count }
    static func unimportable(_ outcomes: [TestOutcome]) -> [TestOutcome] {
        outcomes.filter { $0.isCollectionError && $0.failed }
    }

    var notes: [String] {
        var notes = [
            "pytest: tests run: \(Self.executed(patched)) after the patch, "
                + (base.map { "\(Self.executed($0)) at the base" } ?? "not run at the base (nothing failed)")
        ]
        for (when, outcomes) in [("after the patch", patched), ("at the base", base ?? [])] {
            let broken = Self.unimportable(outcomes)
            guard let first = broken.first else { continue }
            let names = broken.prefix(5).map(\.id).joined(separator: ", ") + (broken.count > 5 ? ", …" : "")
            notes.append(
                "pytest: \(broken.count) test module(s) could not be imported \(when): \(names); first error: \(first.message)"
            )
        }
        return notes
    }

    /// Why the check is inconclusive, with the fix; nil when the base ran the tests that matter.
    func inconclusive(touched: [String], checkout: URL) -> String? {
        guard let base else { return nil }
        let broken = Self.unimportable(base)
        if Self.executed(base) == 0 && !base.isEmpty {
            let why = broken.first.map { Self.explain($0) } ?? "every test was skipped at the base"
            return "no test could run at the base: \(why)"
        }
        let modules = touched.compactMap(Self.moduleName)
        let relevant = broken.filter { outcome in
            touched.contains(outcome.id) || Self.imports(checkout.appendingPathComponent(outcome.id), anyOf: modules)
        }
        guard let first = relevant.first else { return nil }
        return
            "\(relevant.count) test module(s) that cover the patched code could not be imported at the base: \(Self.explain(first))"
    }

    /// "the tests cannot import `yaml`: build or name the project's environment" when the error says so.
    static func explain(_ outcome: TestOutcome) -> String {
        if let range = outcome.message.range(of: #"No module named '[^']+'"#, options: .regularExpression) {
            let module = outcome.message[range].dropFirst("No module named '".count).dropLast()
            let top = module.split(separator: ".").first.map(String.init) ?? String(module)
            return "the tests cannot import `\(top)` (\(outcome.id)): build or name the project's environment"
        }
        return "\(outcome.id): \(outcome.message)"
    }

    /// `src/pkg/mod.py` → `pkg.mod`; `pkg/__init__.py` → `pkg`.
    static func moduleName(_ file: String) -> String? {
        guard file.hasSuffix(".py") else { return nil }
        var parts = file.dropLast(3).split(separator: "/").map(String.init)
        if parts.first == "src" && parts.count > 1 { parts.removeFirst() }
        if parts.last == "__init__" { parts.removeLast() }
        return parts.isEmpty ? nil : parts.joined(separator: ".")
    }

    /// Whether a test module's import lines name one of the modules (or its last component, for
    /// `from pkg import mod`). A text match: the module is never imported on the host.
    static func imports(_ url: URL, anyOf modules: [String]) -> Bool {
        guard !modules.isEmpty, let text = try? String(contentsOf: url, encoding: .utf8) else { return false }
        let importLines = text.split(separator: "\n").filter {
            let line = $0.trimmingCharacters(in: .whitespaces)
            return line.hasPrefix("import ") || line.hasPrefix("from ")
        }
        return importLines.contains { line in
            let words = Set(line.split(whereSeparator: { " ,()".contains($0) }).map(String.init))
            return modules.contains { module in
                words.contains(module) || words.contains(String(module.split(separator: ".").last ?? ""))
                    || words.contains { $0.hasPrefix(module + ".") }
            }
        }
    }
}
