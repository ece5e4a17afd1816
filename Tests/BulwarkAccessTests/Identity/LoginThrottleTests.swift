import BulwarkAccess
import Foundation
import Testing

private let start = Date(timeIntervalSince1970: 1_800_000_000)

/// Drives `count` failed attempts `spacing` seconds apart from `time`; returns the state and
/// the time of the last attempt.
private func fail(_ count: Int, from time: Date, spacing: TimeInterval, account: AccountThrottleState,
                  policy: LoginThrottlePolicy) throws -> (AccountThrottleState, Date) {
    var account = account
    var now = time
    for index in 0..<count {
        if index > 0 { now = now.addingTimeInterval(spacing) }
        let result = try LoginThrottle.attempt(account: account, address: AddressThrottleState(), policy: policy, now: now) { false }
        #expect(result.outcome == .failed)
        account = result.account
    }
    return (account, now)
}

@Test func accountLocksAfterFiveFailuresAndRefusesEvenTheRightPassword() throws {
    let policy = LoginThrottlePolicy.default
    let (locked, last) = try fail(5, from: start, spacing: 10, account: AccountThrottleState(), policy: policy)
    #expect(locked.lockRemaining(at: last) == 60)
    var called = false
    let refused = try LoginThrottle.attempt(account: locked, address: AddressThrottleState(), now: last.addingTimeInterval(30)) {
        called = true
        return true
    }
    #expect(!called, "credentials are not checked during a lockout")
    #expect(refused.outcome == .throttled(retryAfterSeconds: 30))
    #expect(refused.outcome.error?.code == .throttled && refused.outcome.error?.message.contains("30 s") == true)
    #expect(refused.account == locked, "attempts during a lockout do not extend it")

    let after = try LoginThrottle.attempt(account: locked, address: AddressThrottleState(), now: last.addingTimeInterval(60)) { true }
    #expect(after.outcome == .succeeded && after.account == AccountThrottleState())
}

@Test func lockoutBackoffDoublesToTheCapAndSuccessResetsIt() throws {
    let policy = LoginThrottlePolicy.default
    var account = AccountThrottleState()
    var now = start
    var lengths: [TimeInterval] = []
    for _ in 0..<9 {
        (account, now) = try fail(5, from: now, spacing: 1, account: account, policy: policy)
        let length = try #require(account.lockRemaining(at: now))
        lengths.append(length)
        now = now.addingTimeInterval(length)
    }
    #expect(lengths == [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600])
    let success = try LoginThrottle.attempt(account: account, address: AddressThrottleState(), now: now) { true }
    #expect(success.account.lockouts == 0)
    (account, now) = try fail(5, from: now, spacing: 1, account: success.account, policy: policy)
    #expect(account.lockRemaining(at: now) == 60)
}

@Test func failuresOutsideTheWindowAndOldLockoutsAreForgotten() throws {
    let policy = try LoginThrottlePolicy(maxFailures: 3, failureWindowSeconds: 100, initialLockoutSeconds: 10,
                                         maxLockoutSeconds: 1000, backoffResetSeconds: 500)
    // Failures 60 s apart: only two at a time fall within 100 s, so no lockout.
    var (account, now) = try fail(6, from: start, spacing: 60, account: AccountThrottleState(), policy: policy)
    #expect(account.lockRemaining(at: now) == nil && account.recentFailures.count == 2)
    (account, now) = try fail(3, from: now.addingTimeInterval(200), spacing: 1, account: AccountThrottleState(), policy: policy)
    now = now.addingTimeInterval(10)
    (account, now) = try fail(3, from: now, spacing: 1, account: account, policy: policy)
    #expect(account.lockRemaining(at: now) == 20)
    // After the reset period without a lockout, backoff starts over.
    (account, now) = try fail(3, from: now.addingTimeInterval(600), spacing: 1, account: account, policy: policy)
    #expect(account.lockRemaining(at: now) == 10)
    #expect(throws: AccessError.self) { try LoginThrottlePolicy(maxFailures: 0) }
    #expect(throws: AccessError.self) { try LoginThrottlePolicy(initialLockoutSeconds: 100, maxLockoutSeconds: 10) }
}

@Test func addressRateLimitRefillsOverTime() throws {
    let policy = try LoginThrottlePolicy(addressBurst: 3, addressAttemptsPerMinute: 6)   // one every 10 s
    var address = AddressThrottleState()
    var accounts = Array(repeating: AccountThrottleState(), count: 4)
    for index in 0..<3 {
        let result = try LoginThrottle.attempt(account: accounts[index], address: address, policy: policy, now: start) { false }
        #expect(result.outcome == .failed)
        address = result.address
        accounts[index] = result.account
    }
    var called = false
    let refused = try LoginThrottle.attempt(account: accounts[3], address: address, policy: policy, now: start.addingTimeInterval(4)) {
        called = true
        return true
    }
    #expect(!called)
    guard case .throttled(let wait) = refused.outcome else {
        Issue.record("expected a throttled outcome")
        return
    }
    #expect(abs(wait - 6) < 1e-6)
    address = refused.address
    let allowed = try LoginThrottle.attempt(account: accounts[3], address: address, policy: policy, now: start.addingTimeInterval(11)) { true }
    #expect(allowed.outcome == .succeeded)
    let state = try JSONDecoder().decode(AddressThrottleState.self, from: JSONEncoder().encode(allowed.address))
    #expect(state == allowed.address)
}
