public import Foundation

/// A user's TOTP enrolment: the credential and the last time step accepted, which refuses a
/// replayed code.
public struct TOTPEnrollment: Codable, Sendable, Equatable {
    /// The credential (secret, hash, digits, period).
    public let credential: TOTP
    /// When the user confirmed the enrolment with a first code.
    public let enrolledAt: Date
    /// The newest time step a code was accepted for; codes of this step or earlier are refused.
    public private(set) var lastAcceptedStep: UInt64?

    /// An enrolment confirmed at `enrolledAt` with a code of step `confirmedStep`.
    public init(credential: TOTP, enrolledAt: Date, confirmedStep: UInt64?) {
        self.credential = credential
        self.enrolledAt = enrolledAt
        lastAcceptedStep = confirmedStep
    }

    /// The enrolment after `code` verified at `now` (persist it before answering the login).
    ///
    /// - Throws: ``AccessError`` `.unauthenticated` for a wrong or replayed code (see
    ///   ``TOTP/verify(_:at:lastAcceptedStep:window:)``).
    public func verifying(_ code: String, at now: Date) throws(AccessError) -> TOTPEnrollment {
        let step = try credential.verify(code, at: now, lastAcceptedStep: lastAcceptedStep)
        var next = self
        next.lastAcceptedStep = step
        return next
    }
}

/// A person who logs in: a username, an Argon2id password hash and optional second factors.
///
/// A value a store persists; the transitions (verify a password, a TOTP code, a recovery code)
/// are the functions of ``PasswordHasher``, ``TOTPEnrollment`` and ``RecoveryCodes``.
public struct UserAccount: Codable, Sendable, Equatable {
    /// Stable id, the key other records point to.
    public let id: String
    /// The login name, normalised by ``normalizedUsername(_:)``.
    public var username: String
    /// The password hash.
    public var passwordHash: PasswordHash
    /// The TOTP enrolment, if the user set one up.
    public var totp: TOTPEnrollment?
    /// Recovery codes, if generated.
    public var recoveryCodes: RecoveryCodes?
    /// When the account was created.
    public let createdAt: Date
    /// When an administrator disabled the account, if they did.
    public var disabledAt: Date?

    /// Whether a second factor is required at login.
    public var requiresMFA: Bool { totp != nil }

    /// A new account.
    ///
    /// - Throws: ``AccessError`` `.invalidParameter` for an id or username that is not valid.
    public init(id: String, username: String, passwordHash: PasswordHash, createdAt: Date) throws(AccessError) {
        guard !id.isEmpty, id.utf8.count <= 128 else { throw AccessError(.invalidParameter, "user id: expected 1...128 bytes") }
        self.id = id
        self.username = try Self.normalizedUsername(username)
        self.passwordHash = passwordHash
        self.createdAt = createdAt
    }

    /// `username` as stored and compared: NFKC, lower case, 1...64 characters without
    /// whitespace or control characters. Key login throttling on this form too.
    ///
    /// - Throws: ``AccessError`` `.invalidParameter` otherwise.
    public static func normalizedUsername(_ username: String) throws(AccessError) -> String {
        let normalized = username.precomposedStringWithCompatibilityMapping.lowercased()
        guard (1...64).contains(normalized.count),
              normalized.unicodeScalars.allSatisfy({ !$0.properties.isWhitespace && $0.properties.generalCategory != .control }) else {
            throw AccessError(.invalidParameter, "username: expected 1...64 characters without spaces or control characters")
        }
        return normalized
    }
}

/// Checks a role name: 1...64 letters, digits, `-`, `_`, `.` or `:` (roles are stored
/// comma-separated).
///
/// - Throws: ``AccessError`` `.invalidParameter` naming the role.
package func checkRoleName(_ role: String) throws(AccessError) {
    guard (1...64).contains(role.count),
          role.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic || $0.properties.numericType != nil || "-_.:".unicodeScalars.contains($0) })
    else {
        throw AccessError(.invalidParameter, "role \"\(role.oneLine(limit: 40))\": expected 1...64 letters, digits, - _ . :")
    }
}

/// A non-human principal (a CI pipeline, a training job) that authenticates with API tokens
/// (``APIToken``), never a password.
public struct ServiceAccount: Codable, Sendable, Equatable {
    /// Stable id; ``APITokenRecord/serviceAccountID`` points here.
    public let id: String
    /// A name for people.
    public var name: String
    /// The user responsible for it, if any.
    public var ownerUserID: String?
    /// Its roles (a CI pipeline that uploads is a `publisher`); what its tokens may do is the
    /// policy's decision for these roles, narrowed by each token's scopes.
    public var roles: [String]
    /// Its team, for policy conditions such as `principal.team == resource.owningTeam`.
    public var team: String?
    /// When it was created.
    public let createdAt: Date
    /// When it was disabled, if it was; a disabled account's tokens must be refused.
    public var disabledAt: Date?

    /// A new service account.
    ///
    /// - Throws: ``AccessError`` `.invalidParameter` for an empty id, name or role.
    public init(id: String, name: String, ownerUserID: String? = nil, roles: [String] = [], team: String? = nil,
                createdAt: Date) throws(AccessError) {
        guard !id.isEmpty, !name.isEmpty else { throw AccessError(.invalidParameter, "service account: id and name must not be empty") }
        for role in roles { try checkRoleName(role) }
        self.id = id
        self.name = name
        self.ownerUserID = ownerUserID
        self.roles = roles
        self.team = team
        self.createdAt = createdAt
    }
}
