import Glibc
import Logs
import Sandbox

/// `selfcheck-runner-full`, the executable with every command, found beside this one.
enum FullRunner {
    static let name = "selfcheck-runner-full"

    /// The full runner's path: this executable's own directory (through /proc/self/exe, so neither PATH nor
    /// the working directory can point it elsewhere).
    static func path() -> String {
        guard let own = runningExecutablePath() else {
            fail("cannot read /proc/self/exe: \(String(cString: strerror(errno)))")
        }
        let directory = own.lastIndex(of: "/").map { String(own[..<$0]) } ?? "."
        return directory + "/" + name
    }

    /// Replaces this process with the full runner, keeping its arguments (the first stays `selfcheck-runner`,
    /// so help and messages name the command the user typed) and environment.
    static func become(_ path: String, arguments: [String]) -> Never {
        var argv = arguments.map { strdup($0) }
        argv.append(nil)
        execv(path, argv)
        fail(
            "cannot run \(path): \(String(cString: strerror(errno))). It is installed beside selfcheck-runner"
                + " and built with it (swift build --product \(name)).")
    }

    private static func fail(_ message: String) -> Never {
        StandardStreams.write("selfcheck-runner: \(message)\n", to: 2)
        exit(70)  // EX_SOFTWARE: the installation is incomplete
    }
}
