public import Foundation

/// The circumstances of a request: when, from where, and anything else the server knows.
///
/// Policies read `context.time`, `context.address` (only through the `network:` condition),
/// `context.action` (the action being authorized) and any attribute the policy declares
/// (`context.<name>`, read from ``attributes``). Time windows (`timeWindow:`) are evaluated in
/// UTC on ``time``, and `principal.mfaAge` is measured at ``time``.
///
/// ```swift
/// let context = AuthorizationContext(time: Date(), address: IPAddress("10.1.2.3"))
/// ```
public struct AuthorizationContext: Sendable, Hashable {
    /// When the request is made.
    public var time: Date
    /// The client's address, if known (a missing address is in no network).
    public var address: IPAddress?
    /// Further attributes the policy declares under `attributes:` as `context.<name>`.
    public var attributes: [String: AttributeValue]

    /// A context with the given time, address and attributes.
    public init(time: Date = Date(), address: IPAddress? = nil, attributes: [String: AttributeValue] = [:]) {
        self.time = time
        self.address = address
        self.attributes = attributes
    }
}
