public import Crypto
public import Foundation
import SwiftASN1
import X509

/// Binds a client's long-term secure-aggregation signing key (Ed25519) to its TLS certificate, so
/// that a coordinator relaying the keys cannot substitute them.
///
/// SecAgg's signatures on advertised keys protect against a server that swaps a client's keys
/// for its own (and so learns that client's input) only when clients know each other's signing
/// keys from somewhere the server does not control. In Bulwark's federation that somewhere is
/// the CA of `bulwark fl certs`: each client signs its Ed25519 key with its certificate's ECDSA
/// key (the *endorsement*), the coordinator relays the key, the endorsement and the certificate
/// it saw in the TLS handshake, and every peer checks that the certificate was issued by the
/// federation's CA to that client id and that the endorsement verifies under it. A coordinator
/// that holds no client's certificate key can then substitute nothing. (Whoever holds the CA's
/// private key can: keep it off the coordinator.)
///
/// Without TLS (`--insecure`, experiments on one machine) there is no PKI, and the coordinator
/// vouches for the keys: secure aggregation still hides each input from an honest-but-curious
/// coordinator, not from one that substitutes keys.
public enum SecureAggregationEndorsement {
    /// A participant's credentials as the coordinator relays them.
    public struct Credentials: Sendable, Hashable, Codable {
        /// The Ed25519 public key (32 bytes) that signs the participant's round keys.
        public var signingKey: Data
        /// The ECDSA signature (DER) over ``message(client:signingKey:)`` by the certificate's key;
        /// empty without TLS.
        public var endorsement: Data
        /// The participant's certificate (DER) from the TLS handshake; empty without TLS.
        public var certificate: Data

        /// Credentials as relayed.
        public init(signingKey: Data, endorsement: Data = Data(), certificate: Data = Data()) {
            self.signingKey = signingKey
            self.endorsement = endorsement
            self.certificate = certificate
        }
    }

    /// The bytes an endorsement signs: a context string, the client's id and the key.
    public static func message(client: String, signingKey: Data) -> Data {
        var bytes = Data("bulwark/secagg/signing-key/v1".utf8)
        bytes.append(0)
        bytes.append(contentsOf: Data(client.utf8))
        bytes.append(0)
        bytes.append(signingKey)
        return bytes
    }

    /// Endorses `signingKey` for `client` with the certificate key in `privateKeyPEM` (ECDSA
    /// P-256 or P-384, as `bulwark fl certs` makes). Throws `invalidParameter` for another kind
    /// of key.
    public static func endorse(_ signingKey: Curve25519.Signing.PublicKey, client: String, privateKeyPEM: String) throws(FederatedError) -> Data {
        let bytes = message(client: client, signingKey: signingKey.rawRepresentation)
        if let key = try? P256.Signing.PrivateKey(pemRepresentation: privateKeyPEM) {
            guard let signature = try? key.signature(for: bytes) else { throw FederatedError(.invalidParameter, "cannot sign with the certificate key") }
            return signature.derRepresentation
        }
        if let key = try? P384.Signing.PrivateKey(pemRepresentation: privateKeyPEM) {
            guard let signature = try? key.signature(for: bytes) else { throw FederatedError(.invalidParameter, "cannot sign with the certificate key") }
            return signature.derRepresentation
        }
        throw FederatedError(.invalidParameter, "secure aggregation endorses keys with the client's certificate key, which must be ECDSA P-256 or P-384 (as bulwark fl certs makes)")
    }

    /// Whether `signature` (DER) endorses `signingKey` for `client` under `certificate`'s key.
    static func isValid(_ signature: Data, signingKey: Data, client: String, certificate: Certificate) -> Bool {
        let bytes = message(client: client, signingKey: signingKey)
        if let key = P256.Signing.PublicKey(certificate.publicKey), let sig = try? P256.Signing.ECDSASignature(derRepresentation: signature) {
            return key.isValidSignature(sig, for: bytes)
        }
        if let key = P384.Signing.PublicKey(certificate.publicKey), let sig = try? P384.Signing.ECDSASignature(derRepresentation: signature) {
            return key.isValidSignature(sig, for: bytes)
        }
        return false
    }

    /// `client`'s signing key from `credentials`, after checking — when `authority` (the
    /// federation's CA, PEM) is given — that the certificate was issued by it to `client`, is
    /// valid at `now`, and endorses the key. Throws `verificationFailed` naming what failed:
    /// the coordinator relayed a key the client never endorsed.
    public static func verifiedKey(of client: String, _ credentials: Credentials, authority: String?,
                                   now: Date = Date()) throws(FederatedError) -> Curve25519.Signing.PublicKey {
        try verifiedKey(of: client, credentials, parsedAuthority: try authority.map(parseAuthority), now: now)
    }

    /// The federation's CA from its PEM text; throws `invalidParameter` when it is not one.
    static func parseAuthority(_ pem: String) throws(FederatedError) -> Certificate {
        do { return try Certificate(pemEncoded: pem) } catch {
            throw FederatedError(.invalidParameter, "the federation's CA is not a PEM certificate", underlying: error)
        }
    }

    /// ``verifiedKey(of:_:authority:now:)`` with the CA already parsed.
    static func verifiedKey(of client: String, _ credentials: Credentials, parsedAuthority ca: Certificate?,
                            now: Date = Date()) throws(FederatedError) -> Curve25519.Signing.PublicKey {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: credentials.signingKey) else {
            throw FederatedError(.verificationFailed, "participant \(client): the signing key is not an Ed25519 public key")
        }
        guard let ca else { return key }
        let certificate: Certificate
        do { certificate = try Certificate(derEncoded: Array(credentials.certificate)) } catch {
            throw FederatedError(.verificationFailed, "participant \(client): no valid certificate came with its signing key")
        }
        guard certificate.issuer == ca.subject, ca.publicKey.isValidSignature(certificate.signature, for: certificate) else {
            throw FederatedError(.verificationFailed, "participant \(client): its certificate was not issued by the federation's CA")
        }
        guard certificate.notValidBefore <= now, now <= certificate.notValidAfter else {
            throw FederatedError(.verificationFailed, "participant \(client): its certificate is not valid now")
        }
        guard certificate.subject.commonName == client else {
            throw FederatedError(.verificationFailed, "participant \(client): its certificate names \(certificate.subject.commonName ?? "nobody")")
        }
        guard isValid(credentials.endorsement, signingKey: credentials.signingKey, client: client, certificate: certificate) else {
            throw FederatedError(.verificationFailed, "participant \(client): its signing key is not endorsed by its certificate — the coordinator substituted it")
        }
        return key
    }

    /// `certificate` as DER bytes.
    static func der(_ certificate: Certificate) -> Data? {
        var serializer = DER.Serializer()
        guard (try? serializer.serialize(certificate)) != nil else { return nil }
        return Data(serializer.serializedBytes)
    }
}
