import Foundation
import Patch
import Testing
import TestSupport

/// Inputs scripts/fuzz found breaking the engine, kept as they were found (the reproducer's bytes).
@Suite struct FuzzRegressionTests {
    /// The fuzzer's property: a canonical diff is accepted again as is, with no repair.
    func expectFixedPoint(_ input: String, against base: URL, sourceLocation: SourceLocation = #_sourceLocation) throws {
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
        var action = sigaction(), previous = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGALRM, &action, &previous)
        defer { sigaction(SIGALRM, &previous, nil) }
        // Test threads are dispatch workers, which block signals: let this one take SIGALRM meanwhile.
        var alarm = sigset_t(), previousMask = sigset_t()
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
