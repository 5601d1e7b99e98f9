import LLM
import Testing

struct ReplyParserTests {
    @Test func parsesDiffAndReasoning() throws {
        let reply = try ReplyParser.parse(content: #"{"diff": "--- a/x\n+++ b/x\n", "reasoning": "ok"}"#)
        #expect(reply.diff == "--- a/x\n+++ b/x\n")
        #expect(reply.reasoning == "ok")
    }

    @Test func reasoningIsOptional() throws {
        let reply = try ReplyParser.parse(content: #"{"diff": "--- a/x\n"}"#)
        #expect(reply.reasoning == nil)
    }

    @Test func toleratesAMarkdownFenceAroundTheJSON() throws {
        let reply = try ReplyParser.parse(content: "```json\n{\"diff\": \"--- a/x\\n\"}\n```")
        #expect(reply.diff == "--- a/x\n")
    }

    @Test(arguments: [
        ("", "empty"),
        ("here is your diff: --- a/x", "not a JSON object"),
        ("[1, 2]", "not a JSON object"),
        (#"{"reasoning": "no diff"}"#, #"no "diff" field"#),
        (#"{"diff": 42}"#, "not a string"),
        (#"{"diff": "  \n"}"#, "is empty"),
    ])
    func rejectsWhatBreaksTheContract(content: String, expected: String) throws {
        do {
            _ = try ReplyParser.parse(content: content)
            Issue.record("parsed \(content)")
        } catch {
            #expect(error.kind == .badReply)
            #expect(error.message.contains(expected), "\(error.message)")
        }
    }

    @Test func aReplyCutAtTheTokenLimitSaysSo() {
        do {
            _ = try ReplyParser.parse(content: #"{"diff": "--- a/x\n+++ b/x\n@@ -1,40"#, finishReason: "length")
            Issue.record("parsed a truncated reply")
        } catch {
            #expect(error.kind == .badReply)
            #expect(error.message.contains("token limit"))
        }
    }
}
