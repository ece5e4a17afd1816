import Foundation
public import NIOSSL
#if canImport(Glibc)
internal import Glibc
#endif

/// The server's TLS material, loaded from the PEM files `--tls-cert` and `--tls-key` name, and
/// the TLS settings the gateway serves with: TLS 1.2 or later only, forward-secret AEAD cipher
/// suites for TLS 1.2 (TLS 1.3's suites are all AEAD), no renegotiation, HTTP/1.1 by ALPN.
///
/// ```swift
/// let tls = try GatewayTLS.load(certificatePath: "server.pem", privateKeyPath: "server.key")
/// for warning in tls.warnings { print("warning: \(warning)") }
/// ```
public struct GatewayTLS: Sendable {
    /// The TLS 1.2 cipher suites served, in OpenSSL's syntax: ECDHE key exchange with AES-GCM or
    /// ChaCha20-Poly1305 only (no CBC, no RSA key transport, no finite-field DH).
    public static let tls12CipherSuites = "ECDHE+AESGCM:ECDHE+CHACHA20"
    /// The largest PEM file read (certificate chains and keys are a few kilobytes).
    public static let maximumPEMBytes = 1 << 20

    /// The server configuration, as `NIOSSLContext` and HummingbirdTLS take it.
    public let configuration: TLSConfiguration
    /// Problems worth telling the operator that do not stop the server, one line each (a private
    /// key file that its group or other users can read).
    public let warnings: [String]

    /// Reads and checks the certificate chain and the private key, and builds the server's TLS
    /// configuration; a context is made once so that a key that does not match the certificate
    /// fails here, naming both files, not at the first handshake.
    ///
    /// - Throws: ``GatewayError`` `.io` when a file cannot be read, `.malformed` when it holds
    ///   no PEM certificate or key, or the key does not match the certificate.
    public static func load(certificatePath: String, privateKeyPath: String) throws(GatewayError) -> GatewayTLS {
        let certificateBytes = try readPEM(certificatePath, flag: "--tls-cert")
        let keyBytes = try readPEM(privateKeyPath, flag: "--tls-key")
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(certificateBytes)
        } catch {
            throw GatewayError(.malformed, "--tls-cert \(certificatePath): not a PEM certificate chain", underlying: error)
        }
        guard !chain.isEmpty else {
            throw GatewayError(.malformed, "--tls-cert \(certificatePath): no CERTIFICATE block found (expected a PEM certificate chain)")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(bytes: keyBytes, format: .pem)
        } catch {
            throw GatewayError(
                .malformed, "--tls-key \(privateKeyPath): not an unencrypted PEM private key (RSA, EC or Ed25519)", underlying: error
            )
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(key)
        )
        configuration.minimumTLSVersion = .tlsv12
        configuration.cipherSuites = tls12CipherSuites
        configuration.renegotiationSupport = .none
        configuration.applicationProtocols = ["http/1.1"]
        do {
            _ = try NIOSSLContext(configuration: configuration)
        } catch {
            throw GatewayError(
                .malformed, "--tls-key \(privateKeyPath) does not match the certificate in --tls-cert \(certificatePath)", underlying: error
            )
        }
        var warnings: [String] = []
        if let mode = permissionBits(privateKeyPath), mode & 0o077 != 0 {
            warnings.append(
                "--tls-key \(privateKeyPath): readable by group or others (mode \(String(mode, radix: 8))); restrict it with chmod 600"
            )
        }
        return GatewayTLS(configuration: configuration, warnings: warnings)
    }

    /// The file's bytes, at most ``maximumPEMBytes``; an error naming the flag and the file.
    private static func readPEM(_ path: String, flag: String) throws(GatewayError) -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read (permission denied?)" : "no such file"
            throw GatewayError(.io, "\(flag) \(path): \(reason)")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: maximumPEMBytes + 1) ?? Data()
        } catch {
            throw GatewayError(.io, "\(flag) \(path): cannot be read", underlying: error)
        }
        guard data.count <= maximumPEMBytes else {
            throw GatewayError(.malformed, "\(flag) \(path): larger than \(maximumPEMBytes) bytes, not a PEM file")
        }
        guard !data.isEmpty else { throw GatewayError(.malformed, "\(flag) \(path): empty file (expected PEM)") }
        return [UInt8](data)
    }

    /// The permission bits of `path` (`0o600`), or `nil` when it cannot be examined.
    private static func permissionBits(_ path: String) -> Int? {
        #if canImport(Glibc)
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int(info.st_mode) & 0o777
        #else
        return nil
        #endif
    }
}
