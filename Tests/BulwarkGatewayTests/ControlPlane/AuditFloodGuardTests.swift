import BulwarkAccess
@testable import BulwarkGateway
import Foundation
import Testing

/// A flood of refused requests writes `limit` entries per address and actor per window, then one
/// summary saying how many were dropped; allowed events always pass; memory stays bounded.
@Test func auditFloodGuardBoundsRefusalsAndSummarisesWhatItDropped() {
    let guardian = AuditFloodGuard(limit: 3, window: 60, maximumKeys: 2)
    let start = Date(timeIntervalSince1970: 1_000_000)
    func refused(_ address: String, _ action: String = "authenticate") -> AuditEvent {
        AuditEvent(actor: "anonymous", action: action, resource: "credentials", outcome: .denied, clientAddress: address)
    }
    var written = 0
    for i in 0..<100 {
        let (write, summaries) = guardian.admit(refused("10.0.0.1", i % 2 == 0 ? "authenticate" : "POST /api/v1/x"), now: start.addingTimeInterval(Double(i) * 0.1))
        #expect(summaries.isEmpty)
        if write { written += 1 }
    }
    #expect(written == 3)
    // Allowed events are never held back, even from a flooding address.
    #expect(guardian.admit(AuditEvent(actor: "alice", action: "login", resource: "session", outcome: .allowed, clientAddress: "10.0.0.1"),
                           now: start.addingTimeInterval(20)).write)
    // Another address has its own allowance.
    #expect(guardian.admit(refused("10.0.0.2"), now: start.addingTimeInterval(20)).write)
    // Past the key limit, newcomers share one bucket.
    for k in 0..<10 { _ = guardian.admit(refused("10.1.0.\(k)"), now: start.addingTimeInterval(21)) }
    #expect(!guardian.admit(refused("10.2.0.1"), now: start.addingTimeInterval(22)).write)
    // After the window, the next event carries one summary per flooded bucket that ended.
    let first = guardian.admit(refused("10.0.0.1"), now: start.addingTimeInterval(70)).summaries
    let flood = first.first { $0.clientAddress == "10.0.0.1" }
    #expect(first.count == 1)
    #expect(flood?.action == "audit.suppressed")
    #expect(flood?.details["suppressed"] == "97")
    #expect(flood?.details["actions"] == "POST /api/v1/x,authenticate")
    // (At 70 s the address found the table full and went to the shared bucket: 9 dropped there.)
    // Once every window has ended, the shared bucket's summary comes, and the address starts afresh.
    let (write, later) = guardian.admit(refused("10.0.0.1"), now: start.addingTimeInterval(200))
    #expect(write)
    #expect(later.contains { $0.details["bucket"] == "shared" && $0.details["suppressed"] == "9" })
}
