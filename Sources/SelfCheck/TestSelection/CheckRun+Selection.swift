import Contracts
import Foundation

extension CheckRun {
    /// The pytest step: the tests the patch can affect (every test when the selection could be wrong).
    /// A new failure among selected tests is confirmed with every test, so the selection never turns a
    /// pass into a fail (a test that needed a left-out test to run first, say).
    mutating func pytestStep() async -> StepResult {
        var choice = await chooseTests()
        let before = (tamper, notes)
        var result = await pytestStep(choice)
        if choice.used && !result.newFailures.isEmpty {
            (tamper, notes) = before
            let count = result.newFailures.count
            choice = .all("\(count) new failure(s) among the selected tests, confirmed with every test")
            result = await pytestStep(choice)
        }
        selection = choice
        notes.append(Self.note(choice))
        return result
    }

    /// Whether this check ran every test only because its base was not mapped, and did not map it by
    /// running the base: the runner maps it after the report (BaseMapper).
    var mapsBaseLater: Bool { selection?.baseNotMapped == true && baseMap == nil }

    static func note(_ choice: TestChoice) -> String {
        guard let selected = choice.selected else { return "pytest: every test ran: \(choice.reason)" }
        return "pytest: selection ran \(selected.count) test(s), left out \(choice.deselected): \(choice.reason)"
    }

    var selectionReport: Contracts.TestSelection? {
        guard let selection else { return nil }
        return .with {
            $0.used = selection.used
            $0.reason = selection.reason
            $0.selected = selection.selected ?? []
            $0.deselected = UInt32(selection.deselected)
        }
    }

    private mutating func chooseTests() async -> TestChoice {
        if request.allTests { return .all("selection is off (--all-tests)") }
        let changes = FileChanges.parse(patch.canonicalDiff)
        if let why = TestSelector.staticReason(files: patch.files, changes: changes) { return .all(why) }
        guard cache.directory != nil else { return .all("the baseline cache is off, so no test map is kept") }
        guard facts.testKey != nil else {
            return .all("the checkout has uncommitted changes, so its tests are not mapped")
        }
        let cached = cache.load(facts.testKey)
        guard pipeline.configuration.mapBaseBeforeSelecting || cached?.testMap != nil || cached?.testMapProblem != nil
        else {
            return .notMappedYet
        }
        guard let base = await baseTests(facts.pytestArguments, needMap: true) else {
            return .all("the tests could not be run at the base to map them")
        }
        switch baseMap {
        case .success(let map)?:
            let checkout = self.checkout
            return TestSelector.choose(
                changes: changes, map: map, base: base, baseFile: { BaseFile.read(checkout, $0) })
        case .failure(let why)?: return why
        case nil: return .all("no test map of the base")
        }
    }
}
