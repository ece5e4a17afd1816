public import Foundation

/// Limits on password guessing: per-account lockout with exponential backoff and a per-client
/// -address rate limit.
///
/// Defaults: 5 failures within 15 minutes lock the account for 1 minute; each further lockout
/// doubles it (2, 4, 8 … minutes) up to 1 hour; a successful login, or a day without a lockout,
/// starts the backoff over. One client address may try 20 logins at once and 10 a minute after
/// that (a token bucket), across all accounts, which slows credential stuffing.
public struct LoginThrottlePolicy: Codable, Sendable, Equatable {
    /// Failures within ``failureWindowSeconds`` that lock the account.
    public let maxFailures: Int
    /// How far back failures count.
    public let failureWindowSeconds: TimeInterval
    /// The first lockout's length.
    public let initialLockoutSeconds: TimeInterval
    /// The longest lockout; doubling stops here.
    public let maxLockoutSeconds: TimeInterval
    /// After this long since the last lockout, the next one is back to ``initialLockoutSeconds``.
    public let backoffResetSeconds: TimeInterval
    /// Attempts one address may make at once (the bucket's size).
    public let addressBurst: Int
    /// Attempts per minute one address regains.
    public let addressAttemptsPerMinute: Double

    /// 5 failures in 15 minutes; 1 minute doubling to 1 hour; reset after a day; 20 at once and
    /// 10 a minute per address.
    public static let `default` = LoginThrottlePolicy(
        unchecked: 5, window: 900, initial: 60, max: 3600, reset: 86_400, burst: 20, perMinute: 10)

    /// A policy.
    ///
    /// - Throws: ``AccessError`` `.invalidParameter` unless `maxFailures` is 1...100, the
    ///   window and lockouts are positive with `initial <= max`, `addressBurst` is 1...10 000
    ///   and the refill rate is positive.
    public init(maxFailures: Int = 5, failureWindowSeconds: TimeInterval = 900, initialLockoutSeconds: TimeInterval = 60,
                maxLockoutSeconds: TimeInterval = 3600, backoffResetSeconds: TimeInterval = 86_400,
                addressBurst: Int = 20, addressAttemptsPerMinute: Double = 10) throws(AccessError) {
        guard (1...100).contains(maxFailures) else {
            throw AccessError(.invalidParameter, "login throttle: maxFailures \(maxFailures), expected 1...100")
        }
        guard failureWindowSeconds > 0, initialLockoutSeconds > 0, initialLockoutSeconds <= maxLockoutSeconds,
              backoffResetSeconds > 0 else {
            throw AccessError(.invalidParameter, "login throttle: expected a positive window and 0 < initial lockout <= max lockout")
        }
        guard (1...10_000).contains(addressBurst), addressAttemptsPerMinute > 0, addressAttemptsPerMinute.isFinite else {
            throw AccessError(.invalidParameter, "login throttle: expected address burst 1...10000 and a positive rate")
        }
        self.init(unchecked: maxFailures, window: failureWindowSeconds, initial: initialLockoutSeconds, max: maxLockoutSeconds,
                  reset: backoffResetSeconds, burst: addressBurst, perMinute: addressAttemptsPerMinute)
    }

    private init(unchecked failures: Int, window: TimeInterval, initial: TimeInterval, max: TimeInterval,
                 reset: TimeInterval, burst: Int, perMinute: Double) {
        maxFailures = failures
        failureWindowSeconds = window
        initialLockoutSeconds = initial
        maxLockoutSeconds = max
        backoffResetSeconds = reset
        addressBurst = burst
        addressAttemptsPerMinute = perMinute
    }

    /// The length of the lockout after `previousLockouts` earlier ones: initial × 2ⁿ, capped.
    public func lockoutSeconds(afterPreviousLockouts previousLockouts: Int) -> TimeInterval {
        var seconds = initialLockoutSeconds
        var doublings = 0
        while doublings < previousLockouts && seconds < maxLockoutSeconds {
            seconds *= 2
            doublings += 1
        }
        return Swift.min(seconds, maxLockoutSeconds)
    }
}

/// One account's failed-login state. Keep one per *submitted username*, known or not, so the
/// lockout answer does not reveal which usernames exist.
public struct AccountThrottleState: Codable, Sendable, Equatable {
    /// Times of failures not yet forgotten (at most the policy's `maxFailures`).
    public private(set) var recentFailures: [Date] = []
    /// The end of the current lockout, if any.
    public private(set) var lockedUntil: Date?
    /// Lockouts since the last success (or backoff reset); sets the next lockout's length.
    public private(set) var lockouts = 0
    /// When the last lockout began.
    public private(set) var lastLockoutAt: Date?

    /// A state with no failures.
    public init() {}

    /// Seconds until the account unlocks, or `nil` when it is not locked at `now`.
    public func lockRemaining(at now: Date) -> TimeInterval? {
        guard let lockedUntil, now < lockedUntil else { return nil }
        return lockedUntil.timeIntervalSince(now)
    }

    /// The state after a failed login at `now`: failures older than the window are forgotten;
    /// reaching `maxFailures` locks the account for ``LoginThrottlePolicy/lockoutSeconds(afterPreviousLockouts:)``.
    public func recordingFailure(at now: Date, policy: LoginThrottlePolicy) -> AccountThrottleState {
        var next = self
        next.recentFailures = recentFailures.filter { now.timeIntervalSince($0) < policy.failureWindowSeconds }
        next.recentFailures.append(now)
        if next.recentFailures.count >= policy.maxFailures {
            if let last = lastLockoutAt, now.timeIntervalSince(last) >= policy.backoffResetSeconds { next.lockouts = 0 }
            next.lockedUntil = now.addingTimeInterval(policy.lockoutSeconds(afterPreviousLockouts: next.lockouts))
            next.lockouts += 1
            next.lastLockoutAt = now
            next.recentFailures = []
        }
        return next
    }

    /// The state after a successful login: everything forgotten.
    public func recordingSuccess() -> AccountThrottleState { AccountThrottleState() }
}

/// One client address's login rate: a token bucket of ``LoginThrottlePolicy/addressBurst``
/// attempts refilled at ``LoginThrottlePolicy/addressAttemptsPerMinute``.
public struct AddressThrottleState: Codable, Sendable, Equatable {
    /// Attempts left in the bucket at ``updatedAt``; `nil` before the first attempt (a full bucket).
    public private(set) var tokens: Double?
    /// When ``tokens`` was last computed.
    public private(set) var updatedAt: Date?

    /// A full bucket.
    public init() {}

    /// The state after one attempt at `now`, and whether the attempt is allowed; when it is not,
    /// the seconds until one is.
    public func consuming(at now: Date, policy: LoginThrottlePolicy) -> (state: AddressThrottleState, retryAfterSeconds: TimeInterval?) {
        let capacity = Double(policy.addressBurst)
        let ratePerSecond = policy.addressAttemptsPerMinute / 60
        let elapsed = updatedAt.map { Swift.max(0, now.timeIntervalSince($0)) } ?? 0
        var available = Swift.min(capacity, (tokens ?? capacity) + elapsed * ratePerSecond)
        var next = self
        next.updatedAt = updatedAt.map { Swift.max($0, now) } ?? now
        guard available >= 1 else {
            next.tokens = available
            return (next, (1 - available) / ratePerSecond)
        }
        available -= 1
        next.tokens = available
        return (next, nil)
    }
}

/// The login state machine: one call per login attempt, with the states of the submitted
/// username and of the client address, returning the new states and the outcome.
///
/// Order: the address's rate limit, then the account's lockout, and only then the credentials —
/// so a locked account refuses even the right password, and no Argon2id time is spent on
/// throttled attempts.
///
/// ```swift
/// let stored = try PasswordHasher.hash("correct horse battery staple")
/// let result = try LoginThrottle.attempt(account: AccountThrottleState(), address: AddressThrottleState(),
///                                        now: .now) { () throws(AccessError) -> Bool in
///     try PasswordHasher.verify("correct horse battery staple", against: stored)
/// }
/// // persist result.account (keyed by username) and result.address (keyed by client address)
/// if let error = result.outcome.error { throw error }
/// ```
public enum LoginThrottle {
    /// What happened to an attempt.
    public enum Outcome: Sendable, Equatable {
        /// The credentials verified; the account's failures were reset.
        case succeeded
        /// The credentials did not verify; the failure was counted.
        case failed
        /// Refused before the credentials were checked; retry after this many seconds.
        case throttled(retryAfterSeconds: TimeInterval)

        /// The error to report for this outcome, `nil` on success: `.unauthenticated` with a
        /// message that does not say whether the username exists, or `.throttled`.
        public var error: AccessError? {
            switch self {
            case .succeeded: nil
            case .failed: AccessError(.unauthenticated, "username or password is not valid")
            case .throttled(let seconds):
                AccessError(.throttled, "too many login attempts; try again in \(Int(seconds.rounded(.up))) s")
            }
        }
    }

    /// The states after an attempt, and its outcome.
    public struct Attempt: Sendable, Equatable {
        /// The submitted username's new state.
        public let account: AccountThrottleState
        /// The client address's new state.
        public let address: AddressThrottleState
        /// What happened.
        public let outcome: Outcome
    }

    /// Runs one login attempt at `now`; `verifyCredentials` is called only when neither the
    /// address nor the account is throttled.
    ///
    /// - Throws: what `verifyCredentials` throws (a failure to run, not a wrong password).
    public static func attempt(account: AccountThrottleState, address: AddressThrottleState,
                               policy: LoginThrottlePolicy = .default, now: Date,
                               verifyCredentials: () throws(AccessError) -> Bool) throws(AccessError) -> Attempt {
        let (nextAddress, addressWait) = address.consuming(at: now, policy: policy)
        if let addressWait {
            return Attempt(account: account, address: nextAddress, outcome: .throttled(retryAfterSeconds: addressWait))
        }
        if let remaining = account.lockRemaining(at: now) {
            return Attempt(account: account, address: nextAddress, outcome: .throttled(retryAfterSeconds: remaining))
        }
        if try verifyCredentials() {
            return Attempt(account: account.recordingSuccess(), address: nextAddress, outcome: .succeeded)
        }
        return Attempt(account: account.recordingFailure(at: now, policy: policy), address: nextAddress, outcome: .failed)
    }
}
