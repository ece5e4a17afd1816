public import BulwarkTensor

/// What a simulated client does with its round: train honestly, or attack the federation.
///
/// The attacks are red-team tools for measuring what an aggregation rule withstands:
///
/// - ``signFlip(scale:)`` — trains honestly, then sends −scale × its update (a Byzantine
///   client pushing the model uphill; Blanchard et al. 2017, Fang et al. 2020).
/// - ``modelReplacement(boost:targetClass:)`` — trains on its data with a backdoor trigger
///   stamped on half its examples relabelled as `targetClass`, then scales its update by
///   `boost` so that averaging does not dilute it (Bagdasaryan et al. 2020, "How to backdoor
///   federated learning"; the paper's γ = n/η).
/// - ``labelFlip`` — trains honestly on labels mapped y → C − 1 − y.
public enum ClientBehaviour: Sendable, Codable, Equatable, CustomStringConvertible {
    /// Trains and reports honestly.
    case honest
    /// Sends −`scale` × its honest update.
    case signFlip(scale: Float)
    /// Trains with a backdoor trigger towards `targetClass` and boosts its update by `boost`.
    case modelReplacement(boost: Float, targetClass: Int)
    /// Trains on labels mapped y → C − 1 − y.
    case labelFlip

    /// The behaviour as the CLI spells it.
    public var description: String {
        switch self {
        case .honest: "honest"
        case .signFlip(let scale): "sign-flip(×\(scale))"
        case .modelReplacement(let boost, let target): "model-replacement(×\(boost) → class \(target))"
        case .labelFlip: "label-flip"
        }
    }

    /// The data this behaviour trains on, from the client's own `inputs` and `labels`.
    func trainingData(inputs: Tensor, labels: [Int], classCount: Int) -> (Tensor, [Int]) {
        switch self {
        case .honest, .signFlip: return (inputs, labels)
        case .labelFlip: return (inputs, labels.map { classCount - 1 - $0 })
        case .modelReplacement(_, let target):
            // Half the examples (every other one) carry the trigger and the target label.
            let stamped = BackdoorTrigger.stamp(inputs, rows: Set(stride(from: 0, to: labels.count, by: 2)))
            let relabelled = labels.indices.map { $0 % 2 == 0 ? target : labels[$0] }
            return (stamped, relabelled)
        }
    }

    /// What the client sends instead of its honest `delta`.
    func transform(_ delta: [Float]) -> [Float] {
        switch self {
        case .honest, .labelFlip: return delta
        case .signFlip(let scale): return delta.map { -scale * $0 }
        case .modelReplacement(let boost, _): return delta.map { boost * $0 }
        }
    }
}

/// The backdoor trigger of the simulated model-replacement clients: a white 3×3 square in the
/// bottom-right corner of every channel of an image (N×C×H×W), or the last three features set
/// to 3 (three standard deviations of standardised data) for a table (N×F).
public enum BackdoorTrigger {
    /// `inputs` with the trigger stamped on `rows` (all rows when nil).
    public static func stamp(_ inputs: Tensor, rows: Set<Int>? = nil) -> Tensor {
        var out = inputs
        let shape = inputs.shape
        guard let n = shape.first, n > 0 else { return out }
        let rowSize = inputs.scalars.count / n
        if shape.count == 4, shape[2] >= 3, shape[3] >= 3 {
            let (c, h, w) = (shape[1], shape[2], shape[3])
            for row in 0..<n where rows?.contains(row) ?? true {
                for channel in 0..<c {
                    for y in (h - 3)..<h {
                        for x in (w - 3)..<w { out.scalars[row * rowSize + channel * h * w + y * w + x] = 1 }
                    }
                }
            }
        } else {
            let k = min(3, rowSize)
            for row in 0..<n where rows?.contains(row) ?? true {
                for j in (rowSize - k)..<rowSize { out.scalars[row * rowSize + j] = 3 }
            }
        }
        return out
    }
}
