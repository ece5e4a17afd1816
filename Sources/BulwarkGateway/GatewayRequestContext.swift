public import BulwarkAccess
public import Hummingbird
import Logging
public import NIOCore

/// What the gateway knows about one request while its middleware and route run: the request
/// id, the body limit of the route it reached, and the peer's address.
///
/// Later middleware (authentication, authorization) add the caller's identity here, so a route
/// handler receives it typed, not as a header it must parse again.
public struct GatewayRequestContext: RequestContext {
    /// Hummingbird's own per-request storage (logger, route parameters).
    public var coreContext: CoreRequestContextStorage
    /// The request id: the client's `X-Request-ID` when it is well formed, otherwise a fresh
    /// random one; set by ``RequestIDMiddleware`` and echoed in the response and error bodies.
    public var requestID: String
    /// The largest body, in bytes, Hummingbird's `request.decode` accepts for this request; the
    /// route's limit once ``GatewayRoutes`` has matched it.
    public var maxUploadSize: Int
    /// The address the connection comes from, when the transport knows it.
    public let remoteAddress: SocketAddress?
    /// Whether the request body has been read to its end (see ``RequestTimeoutMiddleware``).
    public let bodyProgress: BodyProgress
    /// The caller, once ``AuthenticationMiddleware`` has resolved its credentials; `nil` when no
    /// control plane is installed or the request carries none (treat as ``Principal/anonymous``).
    public var principal: Principal?
    /// The public id of the session the request authenticated with, if it used a session token.
    public var sessionID: String?

    /// A context for a request arriving on `source`'s channel.
    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.requestID = ""
        self.maxUploadSize = GatewayConfiguration.defaultMaxRequestBodyBytes
        self.remoteAddress = source.channel.remoteAddress
        self.bodyProgress = BodyProgress()
    }
}
