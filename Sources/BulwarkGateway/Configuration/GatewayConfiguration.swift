import Foundation

/// What `bulwark serve` listens on and the limits it enforces, validated before anything binds.
///
/// Secure by default: without ``insecureHTTP`` both ``tlsCertificatePath`` and
/// ``tlsPrivateKeyPath`` are required and the server speaks TLS 1.2 or later only. Plain HTTP
/// is an explicit escape hatch for local development and tests, and it refuses any address
/// that is not loopback, so a plaintext gateway can never face a network.
///
/// ```swift
/// var configuration = GatewayConfiguration(host: "127.0.0.1", port: 8443)
/// configuration.tlsCertificatePath = "server.pem"
/// configuration.tlsPrivateKeyPath = "server.key"
/// try configuration.validate()   // throws GatewayError(.invalidConfiguration) naming the flag
/// ```
public struct GatewayConfiguration: Sendable, Equatable {
    /// One mebibyte: the default body limit of API routes.
    public static let defaultMaxRequestBodyBytes = 1 << 20
    /// 1 GiB: the default body limit of upload routes (model artifacts, datasets).
    public static let defaultMaxUploadBodyBytes = 1 << 30

    /// The address to bind: an IPv4 or IPv6 literal or a host name (`127.0.0.1`, `::1`,
    /// `localhost`, `0.0.0.0`).
    public var host: String
    /// The TCP port; 0 asks the system for a free one (the bound port is reported once
    /// listening).
    public var port: Int
    /// `--tls-cert`: a PEM file with the server certificate first, then its intermediates.
    public var tlsCertificatePath: String?
    /// `--tls-key`: a PEM file with the certificate's private key (unencrypted).
    public var tlsPrivateKeyPath: String?
    /// `--insecure-http`: serve plain HTTP, allowed on a loopback address only.
    public var insecureHTTP: Bool
    /// `--max-body`: the largest request body an API route accepts, in bytes.
    public var maxRequestBodyBytes: Int
    /// `--max-upload`: the largest request body an upload route accepts, in bytes.
    public var maxUploadBodyBytes: Int
    /// `--request-timeout`: seconds a request may take from its head to its response head.
    public var requestTimeoutSeconds: Double
    /// `--idle-timeout`: seconds a kept-alive connection may stay silent before it is closed.
    public var idleTimeoutSeconds: Double
    /// `--grace-period`: seconds in-flight requests get to finish after SIGTERM or SIGINT before
    /// they are cancelled.
    public var shutdownGracePeriodSeconds: Double
    /// `--no-access-log` clears it: whether every request gets a log line (method, path,
    /// status, duration, remote address). Errors, alerts, detections and the audit log are
    /// written either way.
    public var accessLog: Bool

    /// A configuration with the given address and the default limits; TLS paths unset.
    public init(
        host: String = "127.0.0.1",
        port: Int = 8443,
        tlsCertificatePath: String? = nil,
        tlsPrivateKeyPath: String? = nil,
        insecureHTTP: Bool = false,
        maxRequestBodyBytes: Int = GatewayConfiguration.defaultMaxRequestBodyBytes,
        maxUploadBodyBytes: Int = GatewayConfiguration.defaultMaxUploadBodyBytes,
        requestTimeoutSeconds: Double = 30,
        idleTimeoutSeconds: Double = 60,
        shutdownGracePeriodSeconds: Double = 10,
        accessLog: Bool = true
    ) {
        self.host = host
        self.port = port
        self.tlsCertificatePath = tlsCertificatePath
        self.tlsPrivateKeyPath = tlsPrivateKeyPath
        self.insecureHTTP = insecureHTTP
        self.maxRequestBodyBytes = maxRequestBodyBytes
        self.maxUploadBodyBytes = maxUploadBodyBytes
        self.requestTimeoutSeconds = requestTimeoutSeconds
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.shutdownGracePeriodSeconds = shutdownGracePeriodSeconds
        self.accessLog = accessLog
    }

    /// Whether the server speaks TLS (every configuration that passes ``validate()`` without
    /// ``insecureHTTP``).
    public var usesTLS: Bool { !insecureHTTP }

    /// Checks the flags together, without touching the files: `--insecure-http` only on
    /// loopback and never with TLS files, otherwise both TLS files named; port and limits in
    /// range. Reading the PEM files is ``GatewayTLS/load(certificatePath:privateKeyPath:)``'s job.
    ///
    /// - Throws: ``GatewayError`` `.invalidConfiguration`, one line naming the flag.
    public func validate() throws(GatewayError) {
        guard !host.isEmpty else { throw GatewayError(.invalidConfiguration, "--host: expected an address, got an empty string") }
        guard (0...65_535).contains(port) else {
            throw GatewayError(.invalidConfiguration, "--port: expected 0...65535, got \(port)")
        }
        if insecureHTTP {
            guard Self.isLoopback(host) else {
                throw GatewayError(
                    .invalidConfiguration,
                    "--insecure-http serves plain HTTP on loopback only; --host \(host) is not a loopback address (use 127.0.0.1, ::1 or localhost, or serve TLS with --tls-cert and --tls-key)"
                )
            }
            if tlsCertificatePath != nil || tlsPrivateKeyPath != nil {
                throw GatewayError(.invalidConfiguration, "--insecure-http cannot be combined with --tls-cert or --tls-key")
            }
        } else {
            switch (tlsCertificatePath, tlsPrivateKeyPath) {
            case (nil, nil):
                throw GatewayError(
                    .invalidConfiguration,
                    "--tls-cert and --tls-key are required (PEM files); to serve plain HTTP on loopback for development pass --insecure-http"
                )
            case (nil, _): throw GatewayError(.invalidConfiguration, "--tls-cert is required with --tls-key (a PEM certificate chain)")
            case (_, nil): throw GatewayError(.invalidConfiguration, "--tls-key is required with --tls-cert (a PEM private key)")
            default: break
            }
        }
        guard maxRequestBodyBytes >= 0 else {
            throw GatewayError(.invalidConfiguration, "--max-body: expected a byte count >= 0, got \(maxRequestBodyBytes)")
        }
        guard maxUploadBodyBytes >= maxRequestBodyBytes else {
            throw GatewayError(.invalidConfiguration, "--max-upload: expected at least --max-body (\(maxRequestBodyBytes)), got \(maxUploadBodyBytes)")
        }
        for (flag, seconds) in [("--request-timeout", requestTimeoutSeconds), ("--idle-timeout", idleTimeoutSeconds)] {
            guard seconds.isFinite, seconds > 0, seconds <= 86_400 else {
                throw GatewayError(.invalidConfiguration, "\(flag): expected seconds in (0, 86400], got \(seconds)")
            }
        }
        guard shutdownGracePeriodSeconds.isFinite, shutdownGracePeriodSeconds >= 0, shutdownGracePeriodSeconds <= 3_600 else {
            throw GatewayError(.invalidConfiguration, "--grace-period: expected seconds in [0, 3600], got \(shutdownGracePeriodSeconds)")
        }
    }

    /// Whether `host` names the loopback interface: `localhost`, an IPv4 address in
    /// 127.0.0.0/8 or `::1` (also written in full or in brackets). Everything else, the
    /// wildcard addresses `0.0.0.0` and `::` among them, is not.
    public static func isLoopback(_ host: String) -> Bool {
        var name = host.lowercased()
        if name.hasPrefix("["), name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        if name == "localhost" || name == "localhost." { return true }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        if octets.count == 4 {
            let values = octets.compactMap { part -> Int? in
                guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCII), part.allSatisfy(\.isNumber) else { return nil }
                return Int(part).flatMap { $0 <= 255 ? $0 : nil }
            }
            return values.count == 4 && values[0] == 127
        }
        return isIPv6Loopback(name)
    }

    /// `::1` in any spelling (`0:0:0:0:0:0:0:1`, `::0:1`).
    private static func isIPv6Loopback(_ name: String) -> Bool {
        guard name.contains(":"), name.allSatisfy({ $0.isHexDigit || $0 == ":" }) else { return false }
        let halves = name.components(separatedBy: "::")
        guard halves.count <= 2 else { return false }
        func groups(_ text: String) -> [Substring]? {
            if text.isEmpty { return [] }
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            return parts.allSatisfy { !$0.isEmpty && $0.count <= 4 } ? parts : nil
        }
        guard let head = groups(halves[0]), let tail = halves.count == 2 ? groups(halves[1]) : [] else { return false }
        let present = head + tail
        guard halves.count == 2 ? present.count < 8 : present.count == 8 else { return false }
        var values = head.compactMap { UInt16($0, radix: 16) }
        if halves.count == 2 { values += Array(repeating: 0, count: 8 - present.count) }
        values += tail.compactMap { UInt16($0, radix: 16) }
        return values.count == 8 && values.dropLast().allSatisfy { $0 == 0 } && values.last == 1
    }
}
