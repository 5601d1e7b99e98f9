import Foundation
import Patch
import TestSupport
import Testing

/// Inputs scripts/fuzz found breaking the engine, kept as they were found (the reproducer's bytes).
@Suite struct FuzzRegressionTests {
    /// The fuzzer's property: a canonical diff is accepted again as is, with no repair.
    func expectFixedPoint(_ input: String, against base: URL, sourceLocation: SourceLocation = #_sourceLocation) throws
    {
        guard case .success(let first) = PatchEngine.prepare(input, against: base) else { return }
        let second = try PatchEngine.prepare(first.canonicalDiff, against: base).get()
        #expect(second.canonicalDiff == first.canonicalDiff, sourceLocation: sourceLocation)
        #expect(second.repairs.isEmpty, "\(second.repairs)", sourceLocation: sourceLocation)
        try expectUntouched(base, sourceLocation: sourceLocation)
    }

    /// A rename to a name with a space: the canonical `diff --git a/old "b/new name"` header was read back
    /// as lacking the a/ b/ prefixes, so the second pass reported a repair.
    @Test func renameToANameWithASpaceIsAFixedPoint() throws {
        let reproducer = """
            diff --git a/toolz/utils.py b/toolz/utils.py
            index 81d870f..e57d1f6 100644
            --- a/toolz/utils.py
            +++ b/toolz/utreturn True
             
             
            -no_default = '__no__default__'
            \\ No newline at end of file
            +no_default = '__no__default__'
            +no_pad = '__no__pad__'
            \\ No newline at end of file

            """
        try expectFixedPoint(reproducer, against: Bases.toolz())
    }

    /// A bare diff (not a model's reply, so no CRLF normalisation) whose added line ends in CR, in an LF
    /// file: the CR is the line's content, as `git apply` keeps it, and the canonical diff carries it.
    /// The fuzzer re-read that canonical diff as a model's reply, where CRLF is a line end, and saw it
    /// change. Each path's canonical diff is a fixed point of that path.
    @Test func aBareDiffsTrailingCarriageReturnIsContentAndStableOnItsOwnPath() throws {
        let reproducer = String(
            decoding: Data(
                base64Encoded:
                    "ZGlmZiAtLWdpdCBhL3Rvb2x6L2RpY3R0b29sei5weSBiL3Rvb2x6L2RpY3R0b29sei5weQppbmRleCA0NTdiYzI2Li4zZTgBZDllNTQgMTAwNjQ0Ci0tLSBhL3Rvb2x6L2RpY3R0b29sei5weQorKysgYi90b29sei9kaWN0dG9vbHoucHkKQEAgLTE2LDggKzE2LDYgQEAKICAgICByZXR1cm4gZmFjdG9yeQogCiAKLWRlZiBtZXJnZSgqZGljdHMsICoqa3dhcmdzKToKK2RlZiBtZXJnZSgqZGljdHMsICoqa3dhcmdzKTogICMgbm9xYTogRDQwMQogICAgICIiIiBNZXJnZSBhIGNvbGxlY3Rpb24gb2YgZGljdGlvbmFyaWVzCiAKICAgICA+Pj4gbWVyZ2UoezE6ICdvbmUnfSwgezI6ICd0d28nfSkKZGlmZiAtLWdpdCBhL3Rvb2x6L2l0ZXJ0b29sei5weSBiL3Rvb2x6L2l0ZXJ0b29sei5weQppbmRkaWZmIC0tZ2l0IGEvaW5mbGVjdGlvbi9fX2luZXggMDVjMzZjYy4uYWYxZDgxYiAxMDA2NDQKLS0tIGEvdG9vbHovaXRlcnRvb2x6LnB5CisrKyBiL3Rvb2x6L2l0ZXJ0b29sei5weQpAQCAtMjQsOCArMjQsNiBAQAogICAgID4+PiBsaXN0KHJlbW92ZShpc2V2ZW4sIFsxLCAyLCAzLCA0XSkpCiAgICAgWzEsIDNdCiAgICAgIiIiCi0gICAgcmV0dXJuIGZpbHRlcmZhbHNlKHByZWRpY2F0ZSwgc2VxKQorICAgIHJldHVybiBmaWx0ZXJmaXRfXy5weSBiL2luZmxlY3Rpb24vX19pbml0X18ucHkNCmluZGV4IGMxOGEwYjYuLmQ1NGZlZTYgMTAwNmFsczQ0DQplKHByZWRpY2F0ZSwgaXRlcihzZS1xKQ=="
            )!, as: UTF8.self)
        let base = try Bases.toolz()
        let patch = try PatchEngine.parse(reproducer)
        try PatchEngine.validate(patch, policy: PatchPolicy(), tree: base)
        let first = try PatchEngine.resolve(patch, against: base)
        #expect(
            first.canonicalDiff.contains("+    return filterfit__.py b/inflection/__init__.py\r\n"), "the CR is content"
        )
        let second = try PatchEngine.resolve(try PatchEngine.parse(first.canonicalDiff), against: base)
        #expect(second.canonicalDiff == first.canonicalDiff)
        #expect(second.repairs.isEmpty, "\(second.repairs)")
        // The same bytes as a model's reply: CRLF read as line ends, and stable on that path.
        try expectFixedPoint(reproducer, against: base)
        if case .success(let asReply) = PatchEngine.prepare(reproducer, against: base) {
            #expect(!asReply.canonicalDiff.utf8.contains(0x0D), "a model's CRLF is a line end")
        }
    }

    /// A model's reply whose last line ends in a lone CR (CRLF cut before its LF): the CR is a line end
    /// there too, not content that a second pass would strip.
    @Test func aReplyEndingInALoneCarriageReturnIsAFixedPoint() throws {
        let reply = """
            diff --git a/toolz/dicttoolz.py b/toolz/dicttoolz.py
            --- a/toolz/dicttoolz.py
            +++ b/toolz/dicttoolz.py
            @@ -16,3 +16,4 @@
                 return factory
             
             
            +# a note
            """ + "\r"
        let base = try Bases.toolz()
        let first = try PatchEngine.prepare(reply, against: base).get()
        #expect(!first.canonicalDiff.utf8.contains(0x0D), "\(first.canonicalDiff)")
        try expectFixedPoint(reply, against: base)
    }

    /// `rename from` with no readable `rename to` (nor names in the header): the first pass rendered a
    /// rename to the same name, which the second pass refused as file-exists. Refused at once now.
    @Test(arguments: [
        String(
            decoding: Data(
                base64Encoded:
                    "ZGlmZiAtLWdpdCBhL3Rvb2x6L3JlY2lwZXMBAAB/Yi90b29sei91dGlscy5weQpzaW1pbGFyaXR5IGluZGV4IDEwMCUKcmVuYW1lIGZyb20gdG9vbHovcmVjaXBlcy5weQpyZW5hbWUgdG8AAAAAAAAATXRpbHMucHkK"
            )!, as: UTF8.self),
        "diff --git a/toolz/recipes.py b/toolz/recipes.py\nrename from toolz/recipes.py\nrename to toolz/recipes.py\n",
    ])
    func aRenameWithoutTwoDifferentNamesIsAParseError(_ diff: String) throws {
        let base = try Bases.toolz()
        #expect(throws: PatchError.self) { try PatchEngine.parse(diff) }
        do { _ = try PatchEngine.parse(diff) } catch {
            #expect(error.rule == "parse")
            #expect(error.message.contains("rename from OLD"), "\(error.message)")
        }
        guard case .failure(let error) = PatchEngine.prepare(diff, against: base) else {
            Issue.record("the rename was accepted")
            return
        }
        #expect(error.rule == "parse")
    }

    @Test func unquotedOldNameAndQuotedNewNameAreBothPrefixed() throws {
        let patch = try PatchEngine.parse("diff --git a/x.py \"b/y z.py\"\nrename from x.py\nrename to \"y z.py\"\n")
        try #require(patch.files.count == 1)
        #expect(patch.files[0].oldPath == "x.py")
        #expect(patch.files[0].newPath == "y z.py")
        #expect(patch.files[0].hadPrefixes)
    }
}

/// Under libFuzzer, whose timer signal interrupts system calls, reading git's output failed with EINTR
/// and Foundation's `readDataToEndOfFile` trapped. The engine now retries the read.
@Suite(.serialized) struct InterruptedReadTests {
    @Test func prepareSurvivesSignalsInterruptingGit() throws {
        let base = try Bases.toolz()
        let scenario = try Scenario(base: base) { try append("# note\n", to: "toolz/utils.py", in: $0) }
        // A handler without SA_RESTART, like libFuzzer's, and another thread signalling this one
        // every 100 µs while it prepares.
        var action = sigaction()
        var previous = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGALRM, &action, &previous)
        defer { sigaction(SIGALRM, &previous, nil) }
        // Test threads are dispatch workers, which block signals: let this one take SIGALRM meanwhile.
        var alarm = sigset_t()
        var previousMask = sigset_t()
        sigemptyset(&alarm)
        sigaddset(&alarm, SIGALRM)
        pthread_sigmask(SIG_UNBLOCK, &alarm, &previousMask)
        defer { pthread_sigmask(SIG_SETMASK, &previousMask, nil) }
        let signaller = Signaller(target: pthread_self())
        signaller.start()
        for _ in 0..<20 {
            #expect(throws: Never.self) { try PatchEngine.prepare(scenario.diff, against: base).get() }
        }
        signaller.stop()  // before the mask is restored: a pending SIGALRM would then stay pending
        #expect(signaller.sent > 0)
    }
}

/// Sends SIGALRM to one thread every 100 µs until stopped.
final class Signaller: @unchecked Sendable {
    private let target: pthread_t
    private let lock = NSLock()
    private var running = true
    private var count = 0
    private let done = DispatchSemaphore(value: 0)

    init(target: pthread_t) { self.target = target }

    var sent: Int { lock.withLock { count } }

    func start() {
        Thread.detachNewThread {
            while self.lock.withLock({ self.running }) {
                pthread_kill(self.target, SIGALRM)
                self.lock.withLock { self.count += 1 }
                usleep(100)
            }
            self.done.signal()
        }
    }

    func stop() {
        lock.withLock { running = false }
        done.wait()
    }
}
