import BulwarkAccess
import Foundation
import Testing

private let windowPolicy: Policy? = try? Policy(yaml: """
version: 1
roles:
  ops: []
rules:
  - id: office-hours
    effect: allow
    actions: [user.admin]
    roles: [ops]
    when:
      - timeWindow: {from: "08:00", to: "18:00", days: [mon, tue, wed, thu, fri]}
  - id: night-batch
    effect: allow
    actions: [model.download]
    roles: [ops]
    when:
      - timeWindow: {from: "22:30", to: "06:00"}
  - id: until-midnight
    effect: allow
    actions: [model.read]
    roles: [ops]
    when:
      - timeWindow: {from: "20:00", to: "24:00"}
""")

private func allowed(_ action: Action, at time: String) throws -> Bool {
    let policy = try #require(windowPolicy)
    return policy.evaluate(principal: Principal(id: "o", roles: ["ops"]), action: action, resource: Resource(type: "user"),
                           context: AuthorizationFixtures.context(AuthorizationFixtures.time(time))).allowed
}

@Test(arguments: [
    // 2026-12-07 is a Monday, 2026-12-06 a Sunday; times are UTC and the end is exclusive.
    ("2026-12-07T08:00:00Z", true), ("2026-12-07T07:59:59Z", false), ("2026-12-07T17:59:59Z", true), ("2026-12-07T18:00:00Z", false),
    ("2026-12-11T12:00:00Z", true), ("2026-12-12T12:00:00Z", false), ("2026-12-06T12:00:00Z", false),
    ("2026-12-07T10:00:00+02:00", true), ("2026-12-07T19:30:00+02:00", true), ("2026-12-07T07:30:00-02:00", true),
])
func timeWindowOnWeekdays(time: String, expected: Bool) throws {
    #expect(try allowed(.userAdmin, at: time) == expected)
}

@Test(arguments: [
    ("2026-12-07T22:30:00Z", true), ("2026-12-07T22:29:59Z", false), ("2026-12-07T23:59:59Z", true), ("2026-12-08T00:00:00Z", true),
    ("2026-12-08T05:59:59Z", true), ("2026-12-08T06:00:00Z", false), ("2026-12-08T12:00:00Z", false), ("1969-12-31T23:00:00Z", true),
])
func timeWindowWrapsMidnight(time: String, expected: Bool) throws {
    #expect(try allowed(.modelDownload, at: time) == expected)
}

@Test func timeWindowEndingAtMidnight() throws {
    #expect(try allowed(.modelRead, at: "2026-12-07T23:59:59Z"))
    #expect(try allowed(.modelRead, at: "2026-12-07T20:00:00Z"))
    #expect(try !allowed(.modelRead, at: "2026-12-08T00:00:00Z"))
    #expect(try !allowed(.modelRead, at: "2026-12-07T19:59:59Z"))
}
