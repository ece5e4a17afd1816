import BulwarkTensor
import Foundation
import Testing
@testable import BulwarkPrivacy

@Test func auditRunsEveryMembershipAttackAndChecksTheClaim() throws {
    let (x, y) = memorizerData(count: 200)
    let target = Memorizer(trained: Set(0..<100), noise: 5)
    let audit = PrivacyAudit(attacks: MembershipAttackKind.allCases, shadowModels: 4, seed: 2, claimedEpsilon: 0.5)
    let r = try audit.run(target, members: (x.rows(0..<100), Array(y[..<100])), nonMembers: (x.rows(100..<200), Array(y[100...])),
                          shadowTrainer: memorizerTrainer)
    #expect(r.attacks.map(\.attack) == MembershipAttackKind.allCases)
    #expect(r.shadowModels == 4 && r.members == 100 && r.nonMembers == 100)
    let online = try #require(r.attacks.first { $0.attack == .liraOnline })
    #expect(online.metrics.auc > 0.95 && online.empiricalEpsilon.epsilonLowerBound > 0.5)
    #expect(r.contradictsClaim)
    #expect(r.strongest?.metrics.advantage ?? 0 >= online.metrics.advantage)
    // the result is Codable end to end
    let decoded = try JSONDecoder().decode(PrivacyAuditResult.self, from: JSONEncoder().encode(r))
    #expect(decoded == r)
}

@Test func auditRefusesWhatItCannotRun() throws {
    let (x, y) = memorizerData(count: 20)
    let target = Memorizer(trained: Set(0..<10), noise: 0)
    let m = (x.rows(0..<10), Array(y[..<10])), n = (x.rows(10..<20), Array(y[10...]))
    #expect(throws: PrivacyError.self) { try PrivacyAudit(attacks: [.liraOnline]).run(target, members: m, nonMembers: n) }
    #expect(throws: PrivacyError.self) { try PrivacyAudit(attacks: []).run(target, members: m, nonMembers: n) }
    #expect(throws: PrivacyError.self) { try PrivacyAudit().run(target, members: (x.rows(0..<1), [y[0]]), nonMembers: n) }
    let wrong = Tensor.zeros([10, 5])
    #expect(throws: PrivacyError.self) { try PrivacyAudit().run(target, members: (wrong, Array(y[..<10])), nonMembers: n) }
    let ok = try PrivacyAudit().run(target, members: m, nonMembers: n)
    #expect(ok.attacks.count == 2 && ok.claimedEpsilon == nil && !ok.contradictsClaim)
}
