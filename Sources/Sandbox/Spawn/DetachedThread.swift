import Glibc

/// Runs `body` on a new detached thread, off Swift's cooperative pool: a job's thread blocks in `poll` and
/// `waitpid` for as long as the job runs. (Foundation's `Thread` would bring all of Foundation into `exec`.)
/// - Throws: `SandboxError` (step `thread`) when no thread could be started; `body` did not run.
func startThread(_ body: @escaping @Sendable () -> Void) throws(SandboxError) {
    final class Body: Sendable {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }
    let context = Unmanaged.passRetained(Body(body)).toOpaque()
    var thread = pthread_t()
    let status = pthread_create(
        &thread, nil,
        { context in
            Unmanaged<Body>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, context)
    guard status == 0 else {
        Unmanaged<Body>.fromOpaque(context).release()
        throw SandboxError(step: "thread", errno: status, message: "pthread_create")
    }
    pthread_detach(thread)
}
