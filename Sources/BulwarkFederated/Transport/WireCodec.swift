import Foundation

/// Conversions between the federation's types and the coordinator's protobuf messages, with the
/// limits that keep a hostile peer from making a party allocate without bound.
enum WireCodec {
    /// At most this many tensors in a model.
    static let maximumTensors = 10_000
    /// At most this many parameters (256 Mi float32 = 1 GiB) in a model or an update.
    static let maximumParameters = 1 << 28
    /// At most this many dimensions per tensor.
    static let maximumRank = 16

    /// Float32 values as little-endian bytes.
    static func bytes(_ values: [Float]) -> Data {
        var data = Data(count: values.count * 4)
        data.withUnsafeMutableBytes { raw in
            for (i, v) in values.enumerated() { raw.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: i * 4, as: UInt32.self) }
        }
        return data
    }

    /// Little-endian float32 bytes as values; throws `malformed` unless the length is a multiple
    /// of 4 within the limit, and when `finite` is required, for a NaN or an infinity.
    static func floats(_ data: Data, what: String, finite: Bool = true) throws(FederatedError) -> [Float] {
        guard data.count % 4 == 0 else { throw FederatedError(.malformed, "\(what): \(data.count) bytes is not a whole number of float32 values") }
        guard data.count / 4 <= maximumParameters else { throw FederatedError(.malformed, "\(what): more than \(maximumParameters) values") }
        let values = data.withUnsafeBytes { raw in
            (0..<(data.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
        if finite, !values.allSatisfy({ $0.isFinite }) { throw FederatedError(.malformed, "\(what): a value is not finite") }
        return values
    }

    static func message(_ weights: ModelWeights, values: Bool = true) -> [Bulwark_Federated_V1_Tensor] {
        weights.tensors.map { tensor in
            var t = Bulwark_Federated_V1_Tensor()
            t.name = tensor.name
            t.shape = tensor.shape.map(Int64.init)
            if values { t.values = bytes(tensor.values) }
            return t
        }
    }

    static func weights(_ tensors: [Bulwark_Federated_V1_Tensor], what: String) throws(FederatedError) -> ModelWeights {
        guard tensors.count <= maximumTensors else { throw FederatedError(.malformed, "\(what): more than \(maximumTensors) tensors") }
        var out: [ModelWeights.Tensor] = []
        var total = 0
        for t in tensors {
            guard t.shape.count <= maximumRank, t.shape.allSatisfy({ $0 >= 0 && $0 <= Int64(maximumParameters) }) else {
                throw FederatedError(.malformed, "\(what): tensor \(t.name.prefix(80)) has an impossible shape")
            }
            let shape = t.shape.map { Int($0) }
            let (count, overflow) = shape.reduce((1, false)) { acc, d in
                let (p, o) = acc.0.multipliedReportingOverflow(by: d)
                return (p, acc.1 || o)
            }
            total += count
            guard !overflow, total <= maximumParameters else { throw FederatedError(.malformed, "\(what): more than \(maximumParameters) parameters") }
            out.append(ModelWeights.Tensor(name: t.name, shape: shape, values: try floats(t.values, what: "\(what) tensor \(t.name.prefix(80))")))
        }
        return try ModelWeights(tensors: out)
    }
}
