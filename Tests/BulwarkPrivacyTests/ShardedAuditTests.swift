import BulwarkData
import BulwarkTensor
import Foundation
import Testing
@testable import BulwarkPrivacy

/// A result without wall times (the only fields shards may change).
private func timeless(_ r: PrivacyAuditResult) -> PrivacyAuditResult {
    var r = r
    for k in r.attacks.indices { r.attacks[k].seconds = 0 }
    return r
}

@Test func fourShardsOfAnAuditMergeIntoOneRun() throws {
    let (x, y) = memorizerData(count: 90)
    let target = Memorizer(trained: Set(0..<50), noise: 3)
    let members = (x.rows(0..<50), Array(y[..<50])), nonMembers = (x.rows(50..<90), Array(y[50...]))
    let audit = PrivacyAudit(attacks: MembershipAttackKind.allCases, shadowModels: 4, seed: 9, claimedEpsilon: 1)
    let whole = try audit.run(target, members: members, nonMembers: nonMembers, shadowTrainer: memorizerTrainer)
    // 4 blocks of 90 candidates: 0..<22, 22..<45, 45..<67 (members and non-members), 67..<90
    let parts = try [2, 4, 1, 3].map { k in
        let part = try audit.run(shard: Shard(index: k, count: 4), toolVersion: "test", target, members: members, nonMembers: nonMembers,
                                 shadowTrainer: memorizerTrainer)
        return try JSONDecoder().decode(PartialPrivacyAudit.self, from: JSONEncoder().encode(part))
    }
    #expect(parts.map { $0.scores[0].count } == [23, 23, 22, 22])
    let merged = try PartialPrivacyAudit.merge(parts)
    #expect(timeless(merged) == timeless(whole))
    #expect(merged.attacks.map(\.metrics.auc) == whole.attacks.map(\.metrics.auc))
    #expect(merged.attacks.map(\.empiricalEpsilon) == whole.attacks.map(\.empiricalEpsilon))

    var changed = parts
    changed[1].plan.delta = 1e-6
    do { _ = try PartialPrivacyAudit.merge(changed); Issue.record("merged parts of different audits") } catch {
        #expect(error.message.contains("differs from shard 1 in delta/confidence"))
    }
    #expect(throws: PrivacyError.self) { try PartialPrivacyAudit.merge(Array(parts.prefix(3))) }
}
