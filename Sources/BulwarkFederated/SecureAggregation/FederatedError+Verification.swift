extension ErrorCode<FederatedErrorDomain> {
    /// A signature, an authentication tag or a protocol consistency check failed: a peer or the
    /// server misbehaved (a substituted key, a tampered share, a client told both that a peer
    /// survived and that it dropped). Deliberately coarse: the message says which check, never
    /// secret material.
    public static var verificationFailed: Self { Self("verificationFailed") }
}
