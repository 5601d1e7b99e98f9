import Glibc
import RunnerExec

// `selfcheck-runner`: `exec` with plain arguments runs here, in a small executable that starts in about a
// millisecond (the sandbox, FoundationEssentials and the Swift runtime). Every other command, and `exec`'s
// help and usage errors, are served by `selfcheck-runner-full` from the same directory, which this process
// becomes (execv: same pid, arguments and environment).

let arguments = CommandLine.arguments
if let request = ExecFastPath.parse(Array(arguments.dropFirst())) {
    exit(request.run())
}
FullRunner.become(FullRunner.path(), arguments: arguments)
