/// The version of Bulwark, recorded in reports, ML-BOMs, SARIF logs and model provenance.
///
/// It lives in BulwarkArchive because that is the lowest floor every module that records it can
/// see: the supply-chain module stands on BulwarkArchive and deliberately has no tensor code, and
/// the tensor-free, dependency-light archive module costs the model module nothing to import.
public enum BulwarkVersion {
    /// The released version, `major.minor.patch`.
    public static let current = "0.1.0"
}
