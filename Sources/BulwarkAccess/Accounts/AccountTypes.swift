public import Foundation

extension ErrorCode<AccessErrorDomain> {
    /// A record with that name already exists (a username taken, an administrator already set up).
    public static var conflict: Self { Self("conflict") }
    /// No record has that id or name.
    public static var notFound: Self { Self("notFound") }
}

/// What ``AccountStore/createUser(_:password:now:)`` and the listings return: a user as stored,
/// without its password hash or second-factor secrets.
public struct StoredUser: Codable, Sendable, Equatable {
    /// Stable id (`usr_` and 16 random base32 characters).
    public let id: String
    /// The normalised login name (``UserAccount/normalizedUsername(_:)``).
    public let username: String
    /// A name for people, if given.
    public let displayName: String?
    /// The team the user belongs to, if given (an attribute for authorization policies).
    public let team: String?
    /// Role names (`admin`, `analyst`); interpreted by authorization.
    public let roles: [String]
    /// When the account was created.
    public let createdAt: Date
    /// When it was disabled, if it was; a disabled user cannot log in.
    public let disabledAt: Date?
    /// Whether the user has a TOTP enrolment (logins then ask for a code).
    public let hasTOTP: Bool
}

/// A request to create a user: the login name and the attributes stored with it.
public struct NewUser: Sendable, Equatable {
    /// The login name; normalised and compared case-insensitively.
    public var username: String
    /// A name for people.
    public var displayName: String?
    /// The user's team.
    public var team: String?
    /// Role names.
    public var roles: [String]

    /// A user with `username` and optional attributes.
    public init(username: String, displayName: String? = nil, team: String? = nil, roles: [String] = []) {
        self.username = username
        self.displayName = displayName
        self.team = team
        self.roles = roles
    }
}

/// A session handed to a client: the token (returned once, never stored) and its record.
public struct IssuedSession: Sendable, Equatable {
    /// `bws_<id>_<secret>`: the cookie value.
    public let token: String
    /// The stored record (id, user, expiry, MFA time).
    public let record: SessionRecord
}

/// A login that passed the password and waits for a second factor: a short-lived token
/// (`bwp_<id>_<secret>`, stored as a digest) that ``AccountStore/verifyTOTP(pendingLogin:code:now:)``
/// or ``AccountStore/redeemRecoveryCode(pendingLogin:code:now:)`` exchange for a session.
public struct PendingLogin: Sendable, Equatable {
    /// The token to hand back with the code.
    public let token: String
    /// The user who passed the password.
    public let userID: String
    /// When the token stops working.
    public let expiresAt: Date
}

/// The outcome of ``AccountStore/login(username:password:address:now:)``.
public enum LoginResult: Sendable, Equatable {
    /// The password verified and the user has no second factor: a session was issued.
    case sessionIssued(IssuedSession)
    /// The password verified; a TOTP or recovery code must follow.
    case needsMFA(PendingLogin)
    /// Refused before the password was checked; retry after this many seconds.
    case throttled(retryAfterSeconds: TimeInterval)
    /// The username or password is wrong, or the account is disabled; one message for all.
    case failed

    /// The one message shown for ``failed``, which does not say whether the username exists.
    public static let failureMessage = "username or password is not valid"
}

/// What ``AccountStore/bootstrapAdministrator(_:password:now:)`` returns: everything the
/// administrator must see once and that is never shown again.
public struct AdministratorEnrollment: Sendable {
    /// The administrator as stored.
    public let user: StoredUser
    /// The TOTP credential; show its provisioning URI and base32 secret once.
    public let totp: TOTP
    /// The recovery codes, formatted for a person; shown once, stored only as digests.
    public let recoveryCodes: [String]
}

/// Rules for new passwords, after NFKC normalisation: at least ``minimumLength`` characters,
/// at most ``PasswordHasher/maximumPasswordBytes`` bytes, and not the username (compared
/// case-insensitively). NIST SP 800-63B §5.1.1.2: length matters, composition rules do not.
public struct PasswordPolicy: Sendable, Equatable {
    /// The fewest characters a password may have; 12 by default.
    public let minimumLength: Int

    /// 12 characters.
    public static let `default` = PasswordPolicy(checkedMinimum: 12)

    /// A policy with `minimumLength` in 8...64.
    ///
    /// - Throws: ``AccessError`` `.invalidParameter` otherwise.
    public init(minimumLength: Int) throws(AccessError) {
        guard (8...64).contains(minimumLength) else {
            throw AccessError(.invalidParameter, "password policy: minimum length \(minimumLength), expected 8...64")
        }
        self.init(checkedMinimum: minimumLength)
    }

    private init(checkedMinimum: Int) { minimumLength = checkedMinimum }

    /// Checks `password` for the user named `username` (already normalised).
    ///
    /// - Throws: ``AccessError`` `.invalidParameter` naming the rule that failed, never the password.
    public func check(_ password: String, username: String) throws(AccessError) {
        let bytes = try PasswordHasher.normalized(password)
        let normalized = String(decoding: bytes, as: UTF8.self)
        guard normalized.count >= minimumLength else {
            throw AccessError(.invalidParameter, "password: shorter than \(minimumLength) characters")
        }
        guard normalized.lowercased() != username.lowercased() else {
            throw AccessError(.invalidParameter, "password: must not be the username")
        }
    }
}
