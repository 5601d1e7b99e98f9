import Foundation
import Patch
import TestSupport
import Testing

/// A patch that passes the sandboxed check must not carry code that runs elsewhere: CI with the
/// repository's secrets, git filters and submodule URLs, developers' hooks.
@Suite(.timeLimit(.minutes(2))) struct ProtectedPathTests {
    @Test(arguments: [
        ".github/workflows/ci.yml", ".GitHub/Workflows/evil.yaml", ".github/actions/setup/action.yml", ".gitlab-ci.yml",
        ".circleci/config.yml", "Jenkinsfile", "azure-pipelines.yml", ".travis.yml", ".gitattributes",
        "toolz/.gitattributes",
        ".gitmodules", ".husky/pre-commit", ".pre-commit-config.yaml", ".githooks/pre-push", ".git-hooks/post-checkout",
    ])
    func protectedPathsAreRefusedByDefault(path: String) throws {
        let error = try expectRejected(SafetyTests.creation(path), against: Bases.toolz(), rule: "protected-path")
        #expect(error?.path == path)
    }

    @Test func theListIsConfigurable() throws {
        let base = try Bases.toolz()
        // Allowed when the operator takes the pattern out, refused when they add their own.
        let workflow = SafetyTests.creation(".github/workflows/ci.yml")
        guard case .success = PatchEngine.prepare(workflow, against: base, policy: PatchPolicy(protectedPaths: []))
        else {
            Issue.record("an empty list should allow a workflow file")
            return
        }
        try expectRejected(
            SafetyTests.creation("toolz/deploy.py"), against: base, rule: "protected-path",
            policy: PatchPolicy(protectedPaths: ["toolz/deploy.py"]))
        // Look-alikes of the defaults are ordinary files.
        for path in ["docs/github/workflows.md", "toolz/jenkinsfile_parser.py", "travis.yml"] {
            guard case .success = PatchEngine.prepare(SafetyTests.creation(path), against: base) else {
                Issue.record("\(path) should be accepted")
                continue
            }
        }
    }
}
