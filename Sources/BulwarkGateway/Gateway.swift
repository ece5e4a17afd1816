public import Hummingbird
import HummingbirdCore
import HummingbirdTLS
public import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import UnixSignals

/// The HTTP gateway behind `bulwark serve`: a Hummingbird 2 application over HTTP/1.1, with TLS
/// from ``GatewayTLS`` unless the configuration is the loopback-only plain-HTTP one.
///
/// ```swift
/// let configuration = GatewayConfiguration(host: "127.0.0.1", port: 0, insecureHTTP: true)
/// let gateway = try Gateway(configuration: configuration)
/// try await gateway.run { url in print("listening on \(url)") }   // returns after SIGTERM / SIGINT
/// ```
public struct Gateway {
    /// The validated configuration.
    public let configuration: GatewayConfiguration
    /// The routes served; later waves add theirs before ``run(onListening:)``.
    public let routes: GatewayRoutes
    /// The TLS material, `nil` with `--insecure-http`.
    public let tls: GatewayTLS?
    /// The logger requests and the server log to.
    public let logger: Logger

    /// Validates `configuration` and loads its TLS files.
    ///
    /// - Throws: ``GatewayError`` from ``GatewayConfiguration/validate()`` and
    ///   ``GatewayTLS/load(certificatePath:privateKeyPath:)``.
    public init(configuration: GatewayConfiguration, logger: Logger = Logger(label: "bulwark.gateway")) throws(GatewayError) {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        if let certificate = configuration.tlsCertificatePath, let key = configuration.tlsPrivateKeyPath, !configuration.insecureHTTP {
            self.tls = try GatewayTLS.load(certificatePath: certificate, privateKeyPath: key)
        } else {
            self.tls = nil
        }
        self.routes = GatewayRoutes(configuration: configuration)
    }

    /// The Hummingbird application: the routes' router, HTTP/1.1 with the idle timeout, TLS when
    /// configured; `onListening` receives the URL once the socket is bound (with the real port
    /// when the configuration asked for port 0). Tests run it with HummingbirdTesting.
    public func makeApplication(
        onListening: @escaping @Sendable (String) async -> Void = { _ in }
    ) throws(GatewayError) -> some ApplicationProtocol {
        let http1 = HTTPServerBuilder.http1(
            configuration: .init(idleTimeout: .milliseconds(Int64(configuration.idleTimeoutSeconds * 1000)))
        )
        let server: HTTPServerBuilder
        if let tls {
            do {
                server = try .tls(http1, tlsConfiguration: tls.configuration)
            } catch {
                throw GatewayError(.malformed, "--tls-cert/--tls-key: the TLS context could not be made", underlying: error)
            }
        } else {
            server = http1
        }
        let scheme = tls == nil ? "http" : "https"
        let host = configuration.host
        return Application(
            router: routes.router,
            server: server,
            configuration: .init(address: .hostname(host, port: configuration.port), serverName: nil, reuseAddress: true),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                await onListening("\(scheme)://\(Self.urlHost(host)):\(port)")
            },
            logger: logger
        )
    }

    /// Serves until SIGTERM or SIGINT, then shuts down gracefully: the listening socket closes
    /// at once (new connections are refused), requests in flight get
    /// ``GatewayConfiguration/shutdownGracePeriodSeconds`` to finish, and whatever is still
    /// running after that is cancelled.
    ///
    /// - Throws: ``GatewayError`` `.io` when the address cannot be bound.
    public func run(onListening: @escaping @Sendable (String) async -> Void = { _ in }) async throws(GatewayError) {
        let application = try makeApplication(onListening: onListening)
        var serviceConfiguration = ServiceGroupConfiguration(
            services: [application], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
        )
        serviceConfiguration.maximumGracefulShutdownDuration = .milliseconds(Int64(configuration.shutdownGracePeriodSeconds * 1000))
        serviceConfiguration.cancellationSignals = []
        let group = ServiceGroup(configuration: serviceConfiguration)
        do {
            try await group.run()
        } catch {
            throw GatewayError(.io, "--host \(configuration.host) --port \(configuration.port): the server stopped (\(Self.reason(error)))", underlying: error)
        }
    }

    /// `host` as a URL's authority writes it (an IPv6 literal in brackets).
    static func urlHost(_ host: String) -> String {
        host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
    }

    /// A short reason for a failure to serve: the system's for socket errors.
    static func reason(_ error: any Error) -> String {
        if let error = error as? IOError { return error.description.oneLine(limit: 200) }
        return String(describing: type(of: error))
    }
}
