import Foundation
import GitWorkspace
import TestSupport
import Testing

/// Spares the agent knows untouched move between bases writing only what differs (`read-tree -m -u`);
/// every other spare gets the full reset. Either way the next task's checkout must equal a fresh
/// checkout of its base: compared file by file with a fresh clone.
extension GitWorkspaceTests {
    @Test func anUntouchedSpareMovedBetweenBasesEqualsAFreshCheckout() async throws {
        try await withTestBed { bed in
            let base0 = bed.baseCommit
            // base1 ignores build/ and *.log; base2 turns a file into a directory, removes a whole
            // package folder, makes a file executable and adds a symlink.
            let base1 = try bed.publish(file: ".gitignore", content: "build/\n*.log\n", message: "ignore")
            let base2 = try bed.commit(in: bed.work) { tree in
                try run(["rm", "README.rst"], in: tree)
                try FileManager.default.createDirectory(
                    at: tree.appendingPathComponent("README.rst"), withIntermediateDirectories: true)
                try Data("inside\n".utf8).write(to: tree.appendingPathComponent("README.rst/inner.txt"))
                try run(["git", "rm", "-q", "-r", "toolz/curried"], in: tree)
                try run(["chmod", "+x", "setup.cfg"], in: tree)
                try run(["ln", "-s", "toolz", "link-to-toolz"], in: tree)
            }
            let spares = try bed.makeSpares(limit: 1)
            let mirror = try await bed.makeCache().ensure(commit: base2, in: bed.remote)
            // Every kind of change a patch can make, including paths the base ignores and a symlink.
            let hostile = try bed.diff(at: base1) { tree in
                try run(["git", "rm", "-q", "toolz/compatibility.py"], in: tree)
                try run(["git", "mv", "toolz/utils.py", "toolz/renamed_utils.py"], in: tree)
                try run(["chmod", "+x", "toolz/functoolz.py"], in: tree)
                try FileManager.default.createDirectory(
                    at: tree.appendingPathComponent("new/deep/er"), withIntermediateDirectories: true)
                try Data("x = 1\n".utf8).write(to: tree.appendingPathComponent("new/deep/er/module.py"))
                try FileManager.default.createDirectory(
                    at: tree.appendingPathComponent("build"), withIntermediateDirectories: true)
                try Data("ignored\n".utf8).write(to: tree.appendingPathComponent("build/out.txt"))
                try Data("ignored\n".utf8).write(to: tree.appendingPathComponent("debug.log"))
                try run(["ln", "-s", "../README.rst", "toolz/readme-link"], in: tree)
            }

            var pushed: [String] = []
            for (number, base) in [base1, base0, base2, base0, base2, base1, base1].enumerated() {
                let taskID = "u\(number)"
                try await mirror.withCheckout(
                    commit: base, taskID: taskID, in: bed.checkouts, spares: spares, bodyOnlyReads: true
                ) { checkout in
                    // (The first task's checkout is a fresh clone, with the clone's branch.)
                    try bed.expectEqualToFreshCheckout(checkout.directory, at: base, reused: number > 0)
                    let diff = base == base1 ? hostile : try bed.sampleDiff(at: base)
                    pushed.append(
                        try await checkout.commitAndPush(
                            diff: diff, message: "task \(number)\n\n[agent:\(taskID)]", author: bed.author,
                            branch: "agt/\(taskID)"))
                    // The commit left the checkout's index and working tree alone (its objects are local).
                    try bed.expectEqualToFreshCheckout(checkout.directory, at: base, reused: false)
                }
                #expect(spares.spares(of: mirror).count == 1, "task \(number) parked its checkout")
            }
            // The commits hold the whole patch: the ignored files and the symlink too.
            let hostileCommit = pushed[0]
            #expect(try bed.server(["rev-parse", "\(hostileCommit)^"]) == base1)
            let files = try bed.server(["ls-tree", "-r", "--format=%(objectmode) %(path)", hostileCommit])
            for line in [
                "100644 build/out.txt", "100644 debug.log", "120000 toolz/readme-link", "100755 toolz/functoolz.py",
                "100644 new/deep/er/module.py", "100644 toolz/renamed_utils.py",
            ] {
                #expect(files.contains(line), "\(line) committed")
            }
            #expect(!files.contains(" toolz/utils.py\n") && !files.contains(" toolz/compatibility.py\n"))

            // The same base again: nothing to write, so not even the index is rewritten.
            let index = try await mirror.withCheckout(
                commit: base1, taskID: "same", in: bed.checkouts, spares: spares, bodyOnlyReads: true
            ) { try inode(of: $0.directory.appendingPathComponent(".git/index")) }
            try await mirror.withCheckout(commit: base1, taskID: "same2", in: bed.checkouts, spares: spares) {
                #expect(try inode(of: $0.directory.appendingPathComponent(".git/index")) == index)
                try bed.expectEqualToFreshCheckout($0.directory, at: base1)
            }
        }
    }

    @Test func aSpareTheAgentIsNotSureOfGetsTheFullReset() async throws {
        try await withTestBed { bed in
            let base0 = bed.baseCommit
            let base1 = try bed.publish(file: ".gitignore", content: "*.log\n", message: "ignore logs")
            let spares = try bed.makeSpares(limit: 1)
            let mirror = try await bed.makeCache().ensure(commit: base1, in: bed.remote)
            func litter(_ tree: URL) throws {
                try append("# left behind\n", to: "README.rst", in: tree)
                try Data("x\n".utf8).write(to: tree.appendingPathComponent("untracked.txt"))
                try Data("x\n".utf8).write(to: tree.appendingPathComponent("debug.log"))
                try FileManager.default.createDirectory(
                    at: tree.appendingPathComponent("nested/repo"), withIntermediateDirectories: true)
                try run(["git", "init", "-q"], in: tree.appendingPathComponent("nested/repo"))
            }

            // 1. The body throws after writing: whatever it promised, the spare is reset fully.
            struct Failed: Error {}
            await #expect(throws: Failed.self) {
                try await mirror.withCheckout(
                    commit: base1, taskID: "throws", in: bed.checkouts, spares: spares, bodyOnlyReads: true
                ) { checkout in
                    try litter(checkout.directory)
                    throw Failed()
                }
            }
            try await mirror.withCheckout(commit: base1, taskID: "after-throw", in: bed.checkouts, spares: spares) {
                try bed.expectEqualToFreshCheckout($0.directory, at: base1)
            }

            // 2. A failed commit (the diff does not apply) gives up the certainty, even though the body
            //    returns (and here writes anyway).
            let bad = "--- a/README.rst\n+++ b/README.rst\n@@ -1,1 +1,1 @@\n-not there\n+x\n"
            try await mirror.withCheckout(
                commit: base1, taskID: "bad-diff", in: bed.checkouts, spares: spares, bodyOnlyReads: true
            ) { checkout in
                let error = await #expect(throws: GitWorkspaceError.self) {
                    try await checkout.commitAndPush(diff: bad, message: "m", author: bed.author, branch: "agt/bad")
                }
                #expect(error?.code == .patchDoesNotApply)
                try litter(checkout.directory)
            }
            try await mirror.withCheckout(commit: base0, taskID: "after-bad", in: bed.checkouts, spares: spares) {
                try bed.expectEqualToFreshCheckout($0.directory, at: base0)
            }

            // 3. A caller that does not promise to only read: the full reset.
            try await mirror.withCheckout(commit: base1, taskID: "writes", in: bed.checkouts, spares: spares) {
                try litter($0.directory)
            }
            try await mirror.withCheckout(commit: base1, taskID: "after-writes", in: bed.checkouts, spares: spares) {
                try bed.expectEqualToFreshCheckout($0.directory, at: base1)
            }

            // 4. A restarted agent (a new spare area value) knows nothing of the spares it finds, even
            //    ones parked untouched (here written after parking, as a crash half-way would leave them).
            try await mirror.withCheckout(
                commit: base1, taskID: "parked", in: bed.checkouts, spares: spares, bodyOnlyReads: true
            ) { _ in }
            let parked = try #require(spares.spares(of: mirror).first)
            try litter(parked)
            let restarted = try SpareCheckouts(root: spares.root, limitPerMirror: 1)
            try await mirror.withCheckout(commit: base1, taskID: "restarted", in: bed.checkouts, spares: restarted) {
                try bed.expectEqualToFreshCheckout($0.directory, at: base1)
            }

            // 5. A body that broke its promise on a file the next base changes: `read-tree -m -u` finds
            //    it modified and refuses, and the full reset takes over.
            try await mirror.withCheckout(
                commit: base1, taskID: "liar", in: bed.checkouts, spares: restarted, bodyOnlyReads: true
            ) { checkout in
                try append("*.tmp\n", to: ".gitignore", in: checkout.directory)
                try Data("x\n".utf8).write(to: checkout.directory.appendingPathComponent("left.tmp"))
            }
            try await mirror.withCheckout(commit: base0, taskID: "after-liar", in: bed.checkouts, spares: restarted) {
                try bed.expectEqualToFreshCheckout($0.directory, at: base0)
            }
        }
    }

    @Test func commitMessagesAreCleanedUpAsGitCommitDoes() async throws {
        try await withTestBed { bed in
            let messages = [
                "fix: x\n\n[agent:t]", "\n\n# heading goal  \n\n\n\nbody\t\n\n", "crlf\r\nline\r\n\r\n\r\nend",
                "   \n\t\n", "",
            ]
            let mirror = try await bed.makeCache().ensure(commit: bed.baseCommit, in: bed.remote)
            for (number, message) in messages.enumerated() {
                let git = try run(["git", "stripspace"], in: bed.root, input: Data(message.utf8)).stdout
                let pushed = try? await mirror.withCheckout(commit: bed.baseCommit, taskID: "m", in: bed.checkouts) {
                    try await $0.commitAndPush(
                        diff: try bed.sampleDiff(), message: message, author: bed.author, branch: "agt/m\(number)")
                }
                if git.isEmpty {
                    #expect(pushed == nil, "an empty message is refused, as git commit refuses it")
                } else {
                    let pushed = try #require(pushed, "message \(message.debugDescription)")
                    let body = try FixtureRepo.git(["cat-file", "commit", pushed], in: bed.serverRepo).stdout
                    #expect(body.hasSuffix("\n\n" + git), "message \(message.debugDescription)")
                }
            }
        }
    }
}

extension TestBed {
    /// Commits `edit` of the tree in `work` and pushes it to the server's `main`.
    func commit(in work: URL, _ edit: (URL) throws -> Void) throws -> String {
        try edit(work)
        try FixtureRepo.git(["add", "-A"], in: work)
        try FixtureRepo.git(["commit", "-q", "-m", "restructure"], in: work)
        try FixtureRepo.git(["push", "-q", serverRepo.path, "HEAD:refs/heads/main"], in: work)
        return try FixtureRepo.head(of: work)
    }

    /// The diff (`--binary`, renames found) of `edit` applied to a fresh clone at `base`; every file the
    /// edit leaves is added, ignored or not.
    func diff(at base: String, _ edit: (URL) throws -> Void) throws -> String {
        let tree = root.appendingPathComponent("edit-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: tree) }
        try run(["git", "clone", "-q", "--no-checkout", serverRepo.path, tree.path])
        try FixtureRepo.git(["checkout", "-q", "--detach", base], in: tree)
        try edit(tree)
        try FixtureRepo.git(["add", "-A", "-f"], in: tree)
        return try FixtureRepo.git(["diff", "--cached", "--binary", "-M"], in: tree).stdout
    }

    /// `sampleDiff()` at any base: a line added to the top of `setup.cfg`.
    func sampleDiff(at base: String) throws -> String {
        try diff(at: base) { try append("# touched\n", to: "setup.cfg", in: $0) }
    }

    /// Expects `directory` to equal a fresh checkout of `base`: every path with its type, permissions,
    /// content or link target (empty folders too), the index entries, HEAD detached at `base`, nothing
    /// untracked or ignored, no branch, tag or local object.
    /// - Parameter reused: also no branch, tag or local object (not so for a fresh clone, or a checkout
    ///   that has committed).
    func expectEqualToFreshCheckout(
        _ directory: URL, at base: String, reused: Bool = true, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let fresh = root.appendingPathComponent("fresh-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: fresh) }
        try run(["git", "clone", "-q", "--no-checkout", serverRepo.path, fresh.path])
        try FixtureRepo.git(["checkout", "-q", "--detach", base], in: fresh)
        func snapshot(_ tree: URL) throws -> [String] {
            let listing = try run(
                ["find", ".", "-path", "./.git", "-prune", "-o", "-printf", "%y %M %p -> %l\\n"], in: tree
            ).stdout
            let sums = try run(
                ["find", ".", "-path", "./.git", "-prune", "-o", "-type", "f", "-exec", "sha1sum", "{}", "+"], in: tree
            ).stdout
            let index = try FixtureRepo.git(["ls-files", "-s"], in: tree).stdout
            return (listing + sums + index).split(separator: "\n").map(String.init).sorted()
        }
        let expected = try snapshot(fresh)
        let actual = try snapshot(directory)
        #expect(
            actual == expected, "differs: \(Set(actual).symmetricDifference(expected).sorted())",
            sourceLocation: sourceLocation)
        func git(_ arguments: [String]) throws -> String { try FixtureRepo.git(arguments, in: directory).stdout }
        #expect(try git(["rev-parse", "HEAD"]) == base + "\n", sourceLocation: sourceLocation)
        #expect(
            try FixtureRepo.git(["symbolic-ref", "-q", "HEAD"], in: directory, check: false).status != 0,
            "HEAD detached", sourceLocation: sourceLocation)
        #expect(
            try git(["status", "--porcelain", "--ignored", "--untracked-files=all"]).isEmpty,
            sourceLocation: sourceLocation)
        guard reused else { return }
        #expect(try git(["for-each-ref", "refs/heads/", "refs/tags/"]).isEmpty, sourceLocation: sourceLocation)
        let counts = try git(["count-objects", "-v"])
        #expect(counts.contains("count: 0\n") && counts.contains("in-pack: 0\n"), sourceLocation: sourceLocation)
    }
}

/// The inode of `url`.
private func inode(of url: URL) throws -> UInt64 {
    var info = stat()
    guard stat(url.path, &info) == 0 else { throw CocoaError(.fileReadNoSuchFile) }
    return UInt64(info.st_ino)
}
