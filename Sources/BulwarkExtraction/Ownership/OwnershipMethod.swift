/// How an ownership key was made: a watermark embedded at training, or a fingerprint taken
/// from a model that was never watermarked.
public enum OwnershipMethod: String, Codable, Sendable, CaseIterable {
    /// Backdoor-style trigger set (Adi et al. 2018, "Turning your weakness into a strength"):
    /// abstract random images with random labels mixed into training.
    case triggerSet = "trigger-set"
    /// Content watermark (Zhang et al. 2018, "Protecting intellectual property of deep neural
    /// networks with watermarking"): training images stamped with a pattern, relabelled to one class.
    case content
    /// Noise watermark (Zhang et al. 2018): training images plus one fixed Gaussian noise pattern,
    /// relabelled to one class.
    case noise
    /// IPGuard (Cao et al. 2021): points near the owner's classification boundary, labelled by the owner.
    case ipguard
    /// Conferrable adversarial examples (Lukas et al. 2021): examples that transfer to surrogates
    /// of the owner's model but not to independently trained reference models.
    case conferrable

    /// Whether the key is a watermark embedded at training (else a fingerprint of a finished model).
    public var isWatermark: Bool {
        switch self {
        case .triggerSet, .content, .noise: true
        case .ipguard, .conferrable: false
        }
    }
}
