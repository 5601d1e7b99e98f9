import LLM
import Testing

struct PromptBuilderTests {
    let own = ContextSnippet(path: "pkg/greet.py", text: "def greet():\n    return 'hi'\n")
    func filler(_ name: String, _ size: Int) -> ContextSnippet {
        ContextSnippet(path: name, text: String(repeating: "x = 1\n", count: size / 6))
    }

    @Test func promptHasTheSeedSections() {
        let prompt = PromptBuilder().build(goal: "add greet()", path: "pkg/greet.py", snippets: [own])
        #expect(prompt.system.hasPrefix("You are Coding-Agent. Return JSON {diff, reasoning}"))
        #expect(
            prompt.user.hasPrefix(
                "TASK GOAL:\nadd greet()\n\nFILE PATH:\npkg/greet.py\n\nCONTEXT (read-only):\n### pkg/greet.py\ndef greet():"
            ))
        #expect(prompt.attempt == 1)
        #expect(prompt.path == "pkg/greet.py")
        #expect(!prompt.user.contains("PREVIOUS ATTEMPT"))
    }

    @Test func noPathAndNoContext() {
        let prompt = PromptBuilder().build(goal: "tidy", path: nil, snippets: [])
        #expect(prompt.user.contains("FILE PATH:\nN/A\n"))
        #expect(prompt.user.hasSuffix("CONTEXT (read-only):\n(none)"))
    }

    @Test func contextIsCutOnSnippetBoundariesWithTheTaskFileFirst() {
        let snippets = [filler("a.py", 1200), filler("b.py", 1200), own, filler("c.py", 1200), filler("d.py", 300)]
        let builder = PromptBuilder(contextBudget: 3000)
        let selected = builder.selectContext(snippets, taskPath: "./pkg/greet.py")
        #expect(selected.first == own)
        // Whole snippets only: each selected one is one of the inputs, unchanged.
        #expect(selected.allSatisfy { snippets.contains($0) })
        #expect(selected.map(\.path) == ["pkg/greet.py", "a.py", "b.py", "d.py"])
        let rendered = builder.renderContext(snippets, taskPath: "pkg/greet.py")
        let body = rendered.components(separatedBy: "(1 more snippet").first!
        #expect(body.count <= 3000)
        #expect(rendered.contains("(1 more snippet left out to fit the prompt budget)"))
    }

    @Test func anOversizedTaskFileIsCutOnALineBoundary() throws {
        let big = ContextSnippet(
            path: "big.py", text: (1...500).map { "line_\($0) = \($0)" }.joined(separator: "\n") + "\n")
        let builder = PromptBuilder(contextBudget: 1000)
        let selected = builder.selectContext([filler("other.py", 100), big], taskPath: "big.py")
        try #require(!selected.isEmpty)
        // The cut file fills the budget, so the other snippet no longer fits.
        #expect(selected.map(\.path) == ["big.py"])
        #expect(selected[0].text.hasPrefix("line_1 = 1\nline_2 = 2\n"))
        #expect(selected[0].text.contains("rest of file cut"))
        let lines = selected[0].text.split(separator: "\n")
        // Every kept line is whole.
        #expect(lines.dropLast().allSatisfy { $0.hasPrefix("line_") && $0.split(separator: " ").count == 3 })
        #expect(builder.renderContext([big], taskPath: "big.py").count <= 1000)
    }

    @Test func otherSnippetsAreNeverCut() {
        let selected = PromptBuilder(contextBudget: 500).selectContext(
            [filler("huge.py", 2000)], taskPath: "pkg/greet.py")
        #expect(selected.isEmpty)
    }

    @Test func retryPromptCarriesTheTrimmedFailure() {
        let output = (1...400).map { "FAILED tests/test_greet.py::test_\($0) - AssertionError" }.joined(separator: "\n")
        let failures = [
            AttemptFailure(attempt: 1, summary: "patch rejected: hunk 1 does not match pkg/greet.py"),
            AttemptFailure(
                attempt: 2, summary: "pytest: 2 new failures\ntests/test_greet.py::test_400", outputTail: output),
        ]
        let prompt = PromptBuilder().build(
            goal: "add greet()", path: "pkg/greet.py", snippets: [own], previousFailures: failures)
        #expect(prompt.attempt == 3)
        let parts = prompt.user.components(separatedBy: "\n\nPREVIOUS ATTEMPT FAILED")
        #expect(parts.count == 2)
        let retry = "PREVIOUS ATTEMPT FAILED" + parts[parts.count - 1]
        #expect(retry.count <= 1500)
        #expect(retry.contains("attempt 2"))
        #expect(retry.contains("- attempt 1: patch rejected: hunk 1 does not match pkg/greet.py"))
        #expect(retry.contains("pytest: 2 new failures"))
        // The tail of the output is kept, the head dropped.
        #expect(retry.contains("test_400 - AssertionError"))
        #expect(!retry.contains("test_1 - AssertionError"))
        #expect(
            retry.hasSuffix("Return a corrected diff against the original files (the failed diff was not applied)."))
    }

    @Test func aHugeSummaryStaysWithinTheBudget() {
        let failure = AttemptFailure(
            attempt: 1, summary: String(repeating: "ruff: E501 line too long\n", count: 500),
            outputTail: String(repeating: "y", count: 10_000))
        let section = PromptBuilder(failureBudget: 1500).retrySection([failure])
        #expect(section.count <= 1500)
        #expect(section.contains("ruff: E501"))
    }
}
