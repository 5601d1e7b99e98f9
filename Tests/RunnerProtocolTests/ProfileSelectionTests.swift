import Contracts
import RunnerProtocolServer
import Synchronization
import Testing

extension RunnerProtocolSuite {
    /// `CheckRequest.profile` picks one of the runner's allowed profiles; anything else is refused
    /// before any job runs.
    @Suite struct ProfileSelectionTests {
        /// Answers with its own name, and counts the requests it ran.
        final class Named: CheckExecutor {
            let name: String
            let runs = Mutex(0)
            init(_ name: String) { self.name = name }
            func execute(_ request: CheckRequest, events: @escaping @Sendable (CheckEvent) async -> Void) async
                -> CheckReport
            {
                runs.withLock { $0 += 1 }
                return .with {
                    $0.verdict = .pass
                    $0.reason = name
                }
            }
        }

        let standard = Named("python-selfcheck"), strict = Named("strict")
        var selector: ProfileSelectingExecutor {
            ProfileSelectingExecutor(
                executors: ["python-selfcheck": standard, "strict": strict], defaultProfile: "python-selfcheck")
        }

        func check(profile: String) async -> CheckReport {
            await selector.execute(
                CheckRequest.with {
                    $0.requestID = "r"
                    $0.profile = profile
                }, workspace: nil
            ) { _ in }
        }

        @Test func anEmptyNameIsTheRunnersOwnAndAnAllowedNameIsUsed() async {
            #expect(await check(profile: "").reason == "python-selfcheck")
            #expect(await check(profile: "strict").reason == "strict")
            #expect(standard.runs.withLock { $0 } == 1 && strict.runs.withLock { $0 } == 1)
        }

        @Test func anyOtherNameIsAnErrorNamingTheAllowedSet() async {
            for hostile in ["permissive", "/etc/passwd", "../sandbox-profiles/strict.json", "strict ", "STRICT"] {
                let report = await check(profile: hostile)
                #expect(report.verdict == .error)
                #expect(report.requestID == "r")
                #expect(report.reason.hasSuffix("allowed: python-selfcheck, strict"), "\(report.reason)")
            }
            #expect(standard.runs.withLock { $0 } == 0 && strict.runs.withLock { $0 } == 0, "nothing ran")
        }
    }
}
