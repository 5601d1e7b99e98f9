import Contracts
import Foundation
import RunnerProtocol
import TestSupport
import Testing

extension RunnerProtocolSuite {
    /// Real connections from another uid: a python3 client run as nobody/nogroup (65534) via setpriv.
    @Suite(
        .enabled(if: getuid() == 0, "needs root to switch to uid 65534"),
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")
                && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"),
            "needs /usr/bin/python3 and setpriv (scripts/setup installs both)"))
    struct AccessControlTests {
        static let nobody: UInt32 = 65534

        /// Connects as uid/gid 65534, sends one check frame (with the directory argv[3] as an fd when given),
        /// prints what came back (hex) or EACCES.
        static let script = """
            import os, socket, sys
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(10)
            try:
                s.connect(sys.argv[1])
            except PermissionError:
                print("EACCES"); sys.exit(0)
            frame = bytes.fromhex(sys.argv[2])
            if len(sys.argv) > 3:  # the checkout, as a directory fd
                socket.send_fds(s, [frame], [os.open(sys.argv[3], os.O_RDONLY | os.O_DIRECTORY)])
            else:
                s.sendall(frame)
            data = b""
            while chunk := s.recv(65536):
                data += chunk
            print(data.hex())
            """

        enum Answer: Equatable {
            case permissionDenied
            case frames([ServerFrame])
        }

        /// `supplementaryGroup`, when given, connects with another primary gid and that one only as a
        /// supplementary group.
        static func connectAsNobody(
            _ socketPath: String, id: String, passing directory: String? = nil, supplementaryGroup: UInt32? = nil
        ) async throws -> Answer {
            let frame = FrameEncoder.encode(
                try ClientFrame.with { $0.check = makeRequest(id) }.serializedBytes() as [UInt8])
            let hex = frame.map { String(format: "%02x", $0) }.joined()
            let arguments =
                [
                    "setpriv", "--reuid", "\(nobody)",
                ]
                + (supplementaryGroup.map { ["--regid", "\(nobody - 1)", "--groups", "\($0)"] }
                    ?? ["--regid", "\(nobody)", "--clear-groups"])
                + [
                    "/usr/bin/python3", "-c", script, socketPath, hex,
                ] + (directory.map { [$0] } ?? [])
            let output = try await onThread { Result { try run(arguments, in: URL(fileURLWithPath: "/")) } }.get()
            let text = output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            if text == "EACCES" { return .permissionDenied }
            var bytes: [UInt8] = []
            var index = text.startIndex
            while index < text.endIndex {
                let next = text.index(index, offsetBy: 2)
                bytes.append(try #require(UInt8(text[index..<next], radix: 16)))
                index = next
            }
            return .frames(try decodeServerFrames(bytes))
        }

        @Test func theSocketDirectoryKeepsOtherUsersOut() async throws {
            let fixture = try await ServerFixture()
            #expect(try await Self.connectAsNobody(fixture.socketPath, id: "outsider") == .permissionDenied)
            try await fixture.stop()
        }

        @Test func aPeerThatReachesTheSocketButIsNotAllowedIsForbidden() async throws {
            // The socket group lets nogroup through the file permissions; SO_PEERCRED still says no.
            let fixture = try await ServerFixture { $0.socketGroupID = Self.nobody }
            let answer = try await Self.connectAsNobody(fixture.socketPath, id: "intruder")
            #expect(
                answer
                    == .frames([
                        ServerFrame.with {
                            $0.error = ProtocolError.with {
                                $0.code = "forbidden"
                                $0.message = "uid \(Self.nobody) is not allowed"
                            }
                        }
                    ]))
            #expect(!fixture.executor.hasStarted("intruder"))
            try await fixture.stop()
        }

        @Test func anAllowedGroupMemberIsServed() async throws {
            let fixture = try await ServerFixture {
                $0.socketGroupID = Self.nobody
                $0.allowedGIDs = [Self.nobody]
            }
            let answer = try await Self.connectAsNobody(fixture.socketPath, id: "member", passing: "/")
            guard case .frames(let frames) = answer else {
                Issue.record("expected frames, got \(answer)")
                return
            }
            #expect(frames.last?.report.reason == "checked member")
            try await fixture.stop()
        }

        /// `--allow-gid` means the group's members, and the kernel records supplementary groups at connect
        /// (SO_PEERGROUPS) as firmly as the primary one.
        @Test func aMemberThroughASupplementaryGroupIsServed() async throws {
            let fixture = try await ServerFixture {
                $0.socketGroupID = Self.nobody
                $0.allowedGIDs = [Self.nobody]
            }
            let answer = try await Self.connectAsNobody(
                fixture.socketPath, id: "supplementary", passing: "/", supplementaryGroup: Self.nobody)
            guard case .frames(let frames) = answer else {
                Issue.record("expected frames, got \(answer)")
                return
            }
            #expect(frames.last?.report.reason == "checked supplementary")
            try await fixture.stop()
        }

        /// An allowed peer that neither passes a directory nor names one below a --repo-root gets no check:
        /// the runner would otherwise read a path with its own rights.
        @Test func anAllowedPeerNamingAPathWithoutRootsIsForbidden() async throws {
            let fixture = try await ServerFixture {
                $0.socketGroupID = Self.nobody
                $0.allowedUIDs = [Self.nobody]
            }
            let answer = try await Self.connectAsNobody(fixture.socketPath, id: "named")
            guard case .frames(let frames) = answer else {
                Issue.record("expected frames, got \(answer)")
                return
            }
            #expect(frames.first?.error.code == "forbidden")
            #expect(!fixture.executor.hasStarted("named"))
            try await fixture.stop()
        }
    }
}
