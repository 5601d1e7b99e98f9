import Foundation

/// Which tests one check runs: every test, or (selection) only those that executed at the base a
/// function the patch changes. The safety net runs every test whenever the selection could be wrong.
struct TestChoice: Sendable, Equatable, Error {
    /// The node ids to run; nil: every test.
    var selected: [String]?
    /// Why every test runs, or what the selection was based on.
    var reason: String
    /// Tests that ran at the base and are left out.
    var deselected = 0
    /// Every test runs only because the base has no map yet (a runner maps it after the check).
    var baseNotMapped = false

    static func all(_ reason: String) -> TestChoice { TestChoice(selected: nil, reason: reason) }

    static let notMappedYet = TestChoice(
        selected: nil,
        reason:
            "the base's tests are not mapped yet (a runner maps them after this check, or when the base first runs)",
        baseNotMapped: true)
    var used: Bool { selected != nil }
}

enum TestSelector {
    /// Reasons that do not need the map: what the patch touches.
    static func staticReason(files: [String], changes: [FileChanges]) -> String? {
        for file in files {
            guard file.hasSuffix(".py") else { return "the patch changes a file that is not Python code: \(file)" }
            let name = (file as NSString).lastPathComponent
            if TamperScan.isTestCode(file) || name == "conftest.py" || name.hasPrefix("test") || name == "setup.py" {
                return "the patch changes test code or test set-up: \(file)"
            }
        }
        for change in changes {
            if change.path.isEmpty || !files.contains(change.path) {
                return "the patch changes a file the selection cannot place: \(change.path)"
            }
            if let why = change.kindChange { return "\(change.path): \(why)" }
            // A changed line at column 0 is never inside a function body: known before any base run.
            for block in change.blocks {
                if let line = (block.removedText + block.added).first(where: {
                    !isBlankOrComment($0) && indentation($0) == 0
                }) {
                    return "\(change.path): a changed line is module-level code: \(line.prefix(80))"
                }
            }
        }
        if Set(changes.map(\.path)) != Set(files) { return "the diff and the patch's file list disagree" }
        return nil
    }

    /// The tests to run for `changes`, from the base's map and the base's outcomes.
    static func choose(
        changes: [FileChanges], map: TestMap, base: [TestOutcome], baseFile: (String) -> Data?
    ) -> TestChoice {
        if let broken = base.first(where: { $0.isCollectionError && $0.failed }) {
            return .all("a test module could not be imported at the base (\(broken.id)), so the map misses its tests")
        }
        var changed: [String: Set<Int>] = [:]
        for change in changes {
            switch changedFunctions(change, map: map, baseFile: baseFile) {
            case .failure(let choice): return choice
            case .success(let functions): changed[change.path] = functions
            }
        }
        for (file, functions) in changed where !functions.isDisjoint(with: map.shared[file] ?? []) {
            return .all("\(file): a changed function also runs outside a single test (collection or a shared fixture)")
        }
        let always = Set(map.always)
        var selected: [String] = []
        var deselected = 0
        for outcome in base where !outcome.isCollectionError {
            let ran = map.tests[outcome.id]
            let hits =
                ran.map { ran in
                    changed.contains { file, functions in
                        // -1: the test imported the module itself (a syntax error would show there).
                        !functions.union([-1]).isDisjoint(with: ran[file] ?? [])
                    }
                } ?? true  // a test the map does not know always runs
            if hits || always.contains(outcome.id) { selected.append(outcome.id) } else { deselected += 1 }
        }
        let names = changed.keys.sorted().map { "\($0) (\(changed[$0]?.count ?? 0) function(s))" }
        return TestChoice(
            selected: selected,
            reason: "the tests that executed the changed functions at the base: \(names.joined(separator: ", "))",
            deselected: deselected)
    }

    /// The map's indices of the functions a file's change blocks fall in; every test runs when a block
    /// is not plainly inside a function body.
    static func changedFunctions(
        _ change: FileChanges, map: TestMap, baseFile: (String) -> Data?
    ) -> Result<Set<Int>, TestChoice> {
        let file = change.path
        guard let entry = map.files[file] else {
            return .failure(.all("\(file) was not imported when the tests ran at the base"))
        }
        guard let content = baseFile(file), SHA1.hex(Array(content)) == entry.sha1.lowercased() else {
            return .failure(.all("the test map does not match \(file) at the base"))
        }
        let functions = entry.functions.enumerated().compactMap { index, raw in
            TestMap.function(raw).map { (index, $0) }
        }
        var found = Set<Int>()
        for block in change.blocks {
            if let why = unsafeText(block.removedText + block.added) {
                return .failure(.all("\(file): a change \(why)"))
            }
            let anchors = block.removed.isEmpty ? [block.before, block.after] : block.removed
            let inBody = { (line: Int) in functions.filter { $0.1.bodyFirst <= line && line <= $0.1.last } }
            if !block.removed.isEmpty, let outside = block.removed.first(where: { inBody($0).isEmpty }) {
                return .failure(
                    .all("\(file):\(outside) is module-level code (imports, globals, class bodies, signatures)"))
            }
            let around = anchors.flatMap(inBody)
            guard let outermost = around.map(\.1.column).min() else {
                return .failure(.all("\(file): lines added at \(block.after) are module-level code"))
            }
            for line in block.added where !isBlankOrComment(line) && indentation(line) <= outermost {
                return .failure(.all("\(file): an added line is not indented into the function: \(line.prefix(80))"))
            }
            found.formUnion(around.map(\.0))
        }
        return .success(found)
    }

    /// Text whose meaning can reach past its own lines: a string or bracket left open, a line
    /// continuation, tabs in indentation, or characters Python and the diff count lines by differently.
    static func unsafeText(_ lines: [String]) -> String? {
        var depth = 0
        for line in lines {
            if line.unicodeScalars.contains(where: { $0.value < 32 && $0 != "\t" }) {
                return "holds a control character"
            }
            if line.prefix(while: { $0 == " " || $0 == "\t" }).contains("\t") { return "indents with tabs" }
            if line.hasSuffix("\\") { return "continues a line with a backslash" }
            for quotes in ["\"\"\"", "'''"] where line.components(separatedBy: quotes).count % 2 == 0 {
                return "opens or closes a multi-line string"
            }
            for character in line {
                if "([{".contains(character) { depth += 1 }
                if ")]}".contains(character) { depth -= 1 }
            }
        }
        return depth == 0 ? nil : "leaves a bracket open or closes one it did not open"
    }

    static func isBlankOrComment(_ line: String) -> Bool {
        let text = line.trimmingCharacters(in: .whitespaces)
        return text.isEmpty || text.hasPrefix("#")
    }

    static func indentation(_ line: String) -> Int { line.prefix(while: { $0 == " " }).utf8.count }
}
