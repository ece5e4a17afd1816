public import BulwarkAccess
import Foundation
import Synchronization

/// The WebAuthn relying party the control plane's passkey routes verify against: its RP ID
/// (`--webauthn-rp-id`) and the origins ceremonies may come from (`--webauthn-origin`).
///
/// What the flags leave out is derived from the address the server listens on, once it listens
/// (``serverListening(at:)``): a loopback address becomes the RP ID `localhost` (browsers treat
/// `http://localhost` as a secure context), a host name stays itself, and the origin is the
/// listening URL's scheme, that RP ID and the real port. An IP literal that is not loopback
/// cannot be an RP ID; the routes then answer 503 naming the flags to set.
///
/// ```swift
/// let settings = try WebAuthnSettings(relyingPartyID: nil, origins: [])
/// settings.serverListening(at: "http://127.0.0.1:8080")
/// print(settings.relyingParty?.allowedOrigins ?? [])   // ["http://localhost:8080"]
/// ```
public final class WebAuthnSettings: Sendable {
    /// `--webauthn-rp-id`, if given.
    public let configuredID: String?
    /// `--webauthn-origin` values, if given.
    public let configuredOrigins: [String]
    private let party: Mutex<WebAuthnRelyingParty?>

    /// The name browsers show for the relying party.
    public static let relyingPartyName = "Bulwark"

    /// Settings from the flags; complete at once when origins are given (the RP ID is then the
    /// first origin's host unless given).
    ///
    /// - Throws: ``GatewayError`` `.invalidConfiguration` when the flags do not make a valid
    ///   relying party (an origin that is not `https://…` or `http://localhost…`, an RP ID with
    ///   a scheme or port).
    public init(relyingPartyID: String?, origins: [String]) throws(GatewayError) {
        configuredID = relyingPartyID
        configuredOrigins = origins
        var initial: WebAuthnRelyingParty?
        if !origins.isEmpty {
            guard let id = relyingPartyID ?? URLComponents(string: origins[0])?.host, !id.isEmpty else {
                throw GatewayError(.invalidConfiguration, "--webauthn-origin \(origins[0]): expected an origin such as https://bulwark.example")
            }
            do {
                initial = try WebAuthnRelyingParty(id: id, name: Self.relyingPartyName, origins: origins)
            } catch {
                throw GatewayError(.invalidConfiguration, "--webauthn-rp-id/--webauthn-origin: \(error.message)", underlying: error)
            }
        } else if let relyingPartyID {
            // Checked now; the origin waits for the port.
            do {
                _ = try WebAuthnRelyingParty(id: relyingPartyID, name: Self.relyingPartyName, origins: ["https://" + relyingPartyID])
            } catch {
                throw GatewayError(.invalidConfiguration, "--webauthn-rp-id: \(error.message)", underlying: error)
            }
        }
        party = Mutex(initial)
    }

    /// The relying party in force, or `nil` while it cannot be derived (before the server
    /// listens, or on an address that cannot be an RP ID).
    public var relyingParty: WebAuthnRelyingParty? { party.withLock { $0 } }

    /// Completes what the flags left out from the URL the server listens on
    /// (`http://127.0.0.1:8080`); a relying party set by the flags is kept. Returns a warning
    /// when WebAuthn stays unavailable.
    @discardableResult
    public func serverListening(at url: String) -> String? {
        if relyingParty != nil { return nil }
        let unavailable = "WebAuthn routes are unavailable: set --webauthn-rp-id and --webauthn-origin (the listening address \(url) cannot be an RP ID)"
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else { return unavailable }
        let derivedHost: String
        if GatewayConfiguration.isLoopback(host) {
            derivedHost = "localhost"
        } else if host.contains(":") || host.allSatisfy({ $0.isNumber || $0 == "." }) {
            guard let configuredID else { return unavailable }
            derivedHost = configuredID
        } else {
            derivedHost = host
        }
        let id = configuredID ?? derivedHost
        let defaultPort = (scheme == "https" && components.port == 443) || (scheme == "http" && components.port == 80)
        let origin = "\(scheme)://\(id)" + (components.port.map { defaultPort ? "" : ":\($0)" } ?? "")
        do {
            let derived = try WebAuthnRelyingParty(id: id, name: Self.relyingPartyName, origins: [origin])
            party.withLock { $0 = derived }
            return nil
        } catch {
            return "WebAuthn routes are unavailable: \(error.message); set --webauthn-rp-id and --webauthn-origin"
        }
    }
}
