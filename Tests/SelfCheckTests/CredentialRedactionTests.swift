import Foundation
import TestSupport
import Testing

@testable import SelfCheck

/// An index URL with `user:password@` (PIP_INDEX_URL, --package-index) is never printed as given:
/// not by `doctor`, not in the builder's errors, not in pip's output quoted in them.
@Suite(.serialized)
struct CredentialRedactionTests {
    static let password = "s3cret-\(UUID().uuidString.prefix(8))"

    @Test func theUserinfoOfEveryURLInATextIsMasked() {
        let cases: [(String, String)] = [
            ("https://user:pw@example.org/simple", "https://***@example.org/simple"),
            ("https://token@example.org", "https://***@example.org"),
            ("see http://a:b@h:8080/x and https://c:d@e/?q=1@2", "see http://***@h:8080/x and https://***@e/?q=1@2"),
            ("https://example.org/simple/pkg@1", "https://example.org/simple/pkg@1"),
            ("mail me: someone@example.org", "mail me: someone@example.org"),
            ("/srv/wheels", "/srv/wheels"),
            ("'https://u:p@h/' ok", "'https://***@h/' ok"),
        ]
        for (text, expected) in cases {
            #expect(CredentialRedaction.redacting(text) == expected)
        }
        #expect(
            CredentialRedaction.redacting(
                "pip said: auth for user:p%40ss failed (p@ss)", secretsOf: "https://user:p%40ss@h/")
                == "pip said: auth for *** failed (***)")
    }

    @Test func doctorShowsTheIndexWithoutItsCredentials() throws {
        let scratch = try makeTemporaryDirectory("redaction")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let settings = EnvironmentBuilder.Settings(
            cacheDirectory: scratch, packageIndex: "https://ci-bot:\(Self.password)@pypi.example.org/simple")
        let environments = ProjectEnvironments(builder: EnvironmentBuilder(settings: settings))
        let lines = environments.doctorLines(repository: nil).joined(separator: "\n")
        #expect(lines.contains("wheels only from https://***@pypi.example.org/simple"), "\(lines)")
        #expect(!lines.contains(Self.password))
        #expect(!lines.contains("ci-bot"))
    }

    @Test func anIndexWithCredentialsReachesPipThroughAPrivateFile() throws {
        let scratch = try makeTemporaryDirectory("redaction")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let index = "https://ci-bot:\(Self.password)@pypi.example.org/simple"
        let file = try EnvironmentBuilder.indexFile(index, beside: scratch.appendingPathComponent("wheels"))
        var info = stat()
        #expect(lstat(file.path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(try String(contentsOf: file, encoding: .utf8) == "--index-url \(index)\n")
    }

    /// The real binary, with the index in PIP_INDEX_URL as a CI would set it.
    @Test func theRunnersDoctorNeverPrintsTheIndexCredentials() throws {
        let scratch = try makeTemporaryDirectory("redaction")
        defer { try? FileManager.default.removeItem(at: scratch) }
        var environment = ProcessInfo.processInfo.environment
        environment["PIP_INDEX_URL"] = "https://ci-bot:\(Self.password)@pypi.example.org/simple"
        let doctor = try run(
            [Paths.product("selfcheck-runner").path, "doctor", "--cache-dir", scratch.path],
            environment: environment, check: false)
        let printed = doctor.stdout + doctor.stderr
        #expect(printed.contains("wheels only from https://***@pypi.example.org/simple"), "\(printed)")
        #expect(!printed.contains(Self.password))
    }

    /// The real pip, against an index (a local HTTP server) that has nothing: the error names the index
    /// without its credentials, and pip's quoted output does not carry them either.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: ToolCommands().python)))
    func aFailedDownloadReportsTheIndexWithoutItsCredentials() async throws {
        let server = try await ScriptedHTTPServer.start([]) { _ in
            .init(status: 404, headers: [("Content-Type", "text/html")], body: "not here")
        }
        defer { Task { await server.shutdown() } }
        let scratch = try makeTemporaryDirectory("redaction")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let index = "http://ci-bot:\(Self.password)@127.0.0.1:\(server.port)/simple"
        var settings = EnvironmentBuilder.Settings(cacheDirectory: scratch, packageIndex: index)
        settings.timeoutSeconds = 120
        let builder = EnvironmentBuilder(settings: settings)
        var declarations = Declarations()
        declarations.requirements = ["attrs==23.2.0"]
        let wheels = scratch.appendingPathComponent("wheels")
        let error = #expect(throws: EnvironmentError.self) { try builder.download(declarations, into: wheels) }
        let message = "\(error.map { "\($0)" } ?? "")"
        #expect(message.contains("http://***@127.0.0.1:\(server.port)/simple"), "\(message)")
        #expect(!message.contains(Self.password), "\(message)")
        // pip found the index (and its credentials) in the 0600 file, not in its argv; the file is gone.
        let asked = try #require(server.requests.first, "pip never asked the index")
        let basic = Data("ci-bot:\(Self.password)".utf8).base64EncodedString()
        #expect(server.requests.contains { $0.headers["authorization"] == "Basic \(basic)" }, "\(asked.headers)")
        let left = try FileManager.default.contentsOfDirectory(atPath: scratch.path)
        #expect(!left.contains { $0.hasPrefix(".index-url-") }, "\(left)")
    }
}
