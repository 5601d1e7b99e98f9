import Testing

@testable import RunnerProtocolServer

extension RunnerProtocolSuite {
    @Suite struct AccessPolicyTests {
        @Test func rootAndTheRunnersOwnUIDAreAlwaysAllowed() {
            let policy = AccessPolicy(allowedUIDs: [], allowedGIDs: [], runnerUID: 1000)
            #expect(policy.allows(PeerCredentials(pid: 1, uid: 0, gid: 0)))
            #expect(policy.allows(PeerCredentials(pid: 1, uid: 1000, gid: 1000)))
            #expect(!policy.allows(PeerCredentials(pid: 1, uid: 1001, gid: 1001)))
        }

        @Test func aPeerIsAllowedByItsUIDOrAnyOfItsGroups() {
            let policy = AccessPolicy(allowedUIDs: [2000], allowedGIDs: [3000], runnerUID: 1000)
            #expect(policy.allows(PeerCredentials(pid: 1, uid: 2000, gid: 9)))
            #expect(policy.allows(PeerCredentials(pid: 1, uid: 9, gid: 3000)))
            #expect(!policy.allows(PeerCredentials(pid: 1, uid: 3000, gid: 2000)))
            #expect(policy.allows(PeerCredentials(pid: 1, uid: 9, gid: 9, groups: [4, 3000])))
            #expect(!policy.allows(PeerCredentials(pid: 1, uid: 9, gid: 9, groups: [4, 2000])))
        }
    }
}
