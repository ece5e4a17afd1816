import BulwarkModels
import BulwarkServing
import BulwarkTensor
import Foundation
import Synchronization

/// Fashion-MNIST-like synthetic images: ten class templates (blobs on a dark background, fixed by
/// the template seed) plus Gaussian pixel noise, clipped to [0, 1]; `brightness` is added before
/// clipping, `noise` is the pixel noise's standard deviation.
struct SyntheticImages {
    static let shape = [1, 12, 12]
    static let size = 144
    let templates: [[Float]]

    init(templateSeed: UInt64 = 42) {
        var generator = SeededGenerator(seed: templateSeed)
        templates = (0..<10).map { _ in
            var image = [Float](repeating: 0.05, count: Self.size)
            for _ in 0..<3 {
                let cy = Int(generator.next() % 12), cx = Int(generator.next() % 12), level = 0.4 + 0.5 * generator.nextUniform()
                for y in 0..<12 {
                    for x in 0..<12 where abs(y - cy) <= 2 && abs(x - cx) <= 3 { image[y * 12 + x] = max(image[y * 12 + x], level) }
                }
            }
            return image
        }
    }

    /// `count` images with their classes, drawn with `seed`.
    func batch(_ count: Int, seed: UInt64, brightness: Float = 0, noise: Float = 0.08) -> (inputs: Tensor, labels: [Int]) {
        var generator = SeededGenerator(seed: seed)
        var values: [Float] = []
        values.reserveCapacity(count * Self.size)
        var labels: [Int] = []
        for _ in 0..<count {
            let label = Int(generator.next() % 10)
            labels.append(label)
            for v in templates[label] { values.append(min(1, max(0, v + brightness + noise * generator.nextNormal()))) }
        }
        return (Tensor(shape: [count] + Self.shape, scalars: values), labels)
    }
}

/// A small untrained classifier for the synthetic images: flatten, dense 144→32, ReLU, dense 32→10.
func driftTestModel() throws -> Sequential {
    var generator = SeededGenerator(seed: 3)
    return try Sequential(inputShape: SyntheticImages.shape,
                          layers: [Flatten(), Dense(144, 32, rng: &generator), ReLU(), Dense(32, 10, rng: &generator)])
}

/// An alert sink that keeps what it receives.
final class CollectingAlertSink: AlertSink {
    private let alerts = Mutex<[Alert]>([])

    func send(_ alert: Alert) async { alerts.withLock { $0.append(alert) } }

    var received: [Alert] { alerts.withLock { $0 } }

    /// Waits up to `seconds` until `count` alerts have arrived.
    func waitFor(_ count: Int, seconds: Double = 5) async -> [Alert] {
        let deadline = Date().addingTimeInterval(seconds)
        while received.count < count, Date() < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        return received
    }
}
