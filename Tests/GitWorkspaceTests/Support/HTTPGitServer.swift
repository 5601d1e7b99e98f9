import Foundation
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Smart HTTP on loopback with Basic authentication: a small Python server in front of
/// `git http-backend`, which refuses every request without the expected user and token.
/// Requests that arrive without credentials are counted in `<root>/unauthenticated`.
final class HTTPGitServer: @unchecked Sendable {
    let port: UInt16
    private let process: Process

    static var isAvailable: Bool {
        (try? run(["python3", "-c", "import http.server"], check: false).succeeded) ?? false
    }

    /// - Parameters:
    ///   - projectRoot: the directory holding the bare repositories.
    ///   - username, token: the only credentials accepted.
    init(projectRoot: URL, username: String, token: String, scratch: URL) throws {
        port = try GitDaemon.freePort()
        let script = scratch.appendingPathComponent("git-http-server.py")
        try Data(Self.script.utf8).write(to: script)
        let backend =
            try run(["git", "--exec-path"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines) + "/git-http-backend"
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, projectRoot.path, username, token, String(port), backend]
        process.environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": scratch.path,
        ]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while !GitDaemon.accepts(port: port) {
            guard process.isRunning, Date() < deadline else {
                stop()
                throw DaemonError(message: "the HTTP git server did not start on port \(port)")
            }
            usleep(20_000)
        }
    }

    func url(_ name: String) -> String { "http://127.0.0.1:\(port)/\(name)" }

    func stop() {
        kill(process.processIdentifier, SIGKILL)
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning, Date() < deadline { usleep(10_000) }
    }

    deinit { stop() }

    private static let script = #"""
        import base64, os, subprocess, sys
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        root, user, token, port, backend = sys.argv[1:6]
        expected = "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                self.serve()

            def do_POST(self):
                self.serve()

            def serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if self.headers.get("Authorization") != expected:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="git"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                path, _, query = self.path.partition("?")
                env = {
                    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                    "GIT_PROJECT_ROOT": root, "GIT_HTTP_EXPORT_ALL": "1", "REMOTE_USER": user,
                    "PATH_INFO": path, "QUERY_STRING": query, "REQUEST_METHOD": self.command,
                    "CONTENT_TYPE": self.headers.get("Content-Type", ""), "CONTENT_LENGTH": str(len(body)),
                    "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
                    "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""), "GIT_CONFIG_NOSYSTEM": "1",
                }
                out = subprocess.run([backend], input=body, env=env, capture_output=True).stdout
                head, _, payload = out.partition(b"\r\n\r\n")
                if not payload and b"\n\n" in head:
                    head, _, payload = out.partition(b"\n\n")
                status, headers = 200, []
                for line in head.decode("latin-1").splitlines():
                    name, _, value = line.partition(":")
                    if name.lower() == "status":
                        status = int(value.strip().split()[0])
                    elif name:
                        headers.append((name, value.strip()))
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        ThreadingHTTPServer(("127.0.0.1", int(port)), Handler).serve_forever()
        """#
}
