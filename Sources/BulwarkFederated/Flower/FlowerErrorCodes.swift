extension ErrorCode<FederatedErrorDomain> {
    /// A Flower SuperLink cannot be reached (connection refused, DNS, TLS).
    public static var superlinkUnreachable: Self { Self("superlinkUnreachable") }
    /// A Flower SuperLink refused a request (authentication, an unknown node, a finished run)
    /// or answered with something that is not its Fleet API.
    public static var superlinkRejected: Self { Self("superlinkRejected") }
    /// A request to a Flower SuperLink or an object it promised did not arrive in time.
    public static var superlinkTimeout: Self { Self("superlinkTimeout") }
}
