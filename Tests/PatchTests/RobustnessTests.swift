import Foundation
import Patch
import TestSupport
import Testing

/// The diff is attacker-controlled: mangled input must give a clean answer, never a crash, and never a
/// "canonical" diff that git then refuses.
@Suite(.timeLimit(.minutes(2))) struct RobustnessTests {
    static let garbage = [
        "@@ -99999999999999999999,1 +1 @@", "@@ -9223372036854775807,2 +1,2 @@", "@@ -0,0 +0,0 @@",
        "\\ No newline at end of file", "--- /dev/null", "+++ /dev/null", "diff --git a/ b/",
        "rename from ../x", "new file mode 120000", "GIT binary patch", "```", "+", "-", " ", "",
        "--- a/toolz/utils.py", "+++ b/toolz/utils.py", "@@ @@", "\u{0}", "-\r", "+ünïcødé ☃",
    ]

    /// One random mutation of a diff's lines.
    static func mutate(_ lines: inout [String], using random: inout PropertyTests.SeededGenerator) {
        guard !lines.isEmpty else {
            lines.append(garbage.randomElement(using: &random)!)
            return
        }
        let index = Int.random(in: 0..<lines.count, using: &random)
        switch Int.random(in: 0..<7, using: &random) {
        case 0: lines.remove(at: index)
        case 1: lines.insert(lines[index], at: index)
        case 2: lines.swapAt(index, Int.random(in: 0..<lines.count, using: &random))
        case 3: lines.insert(garbage.randomElement(using: &random)!, at: index)
        case 4:
            lines[index] = String(["+", "-", " ", "@", "\\"].randomElement(using: &random)!) + lines[index].dropFirst()
        case 5: lines = Array(lines.prefix(index))
        default:
            if lines[index].hasPrefix("@@") {
                let number = Int.random(in: -5...3000, using: &random)
                lines[index] =
                    "@@ -\(number),\(Int.random(in: 0...9, using: &random)) +\(number),\(Int.random(in: 0...9, using: &random)) @@"
            }
        }
    }

    @Test func mangledDiffsNeverCrashOrYieldUnapplicableDiffs() throws {
        let scenarios = try PropertyTests.scenarios()
        var random = PropertyTests.SeededGenerator(state: 42)
        var accepted = 0
        var refused: [String: Int] = [:]
        for iteration in 0..<150 {
            let scenario = scenarios[iteration % scenarios.count]
            var lines = scenario.diff.components(separatedBy: "\n")
            for _ in 0..<Int.random(in: 1...4, using: &random) { Self.mutate(&lines, using: &random) }
            switch PatchEngine.prepare(lines.joined(separator: "\n"), against: scenario.base) {
            case .success: accepted += 1
            case .failure(let error):
                refused[error.rule, default: 0] += 1
                #expect(error.rule != "apply-check", "iteration \(iteration): \(error)")
                #expect(PatchRule(rawValue: error.rule) != nil)
            }
        }
        // Both outcomes occur, so the loop really exercised the ladder and the refusals.
        #expect(accepted > 0 && !refused.isEmpty, "accepted \(accepted), refused \(refused)")
        try expectUntouched(Bases.toolz())
    }
}
