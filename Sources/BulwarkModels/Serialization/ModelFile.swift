public import BulwarkTensor
import Foundation

/// Saving and loading zoo models as safetensors files.
///
/// Tensors are named as PyTorch's `state_dict` of the equivalent `nn.Sequential`, so a file
/// written here loads in PyTorch with `load_state_dict` and vice versa. The model's
/// ``ModelProvenance`` (architecture, seed, data digest, training settings, defence, DP
/// parameters, tool version) goes in the safetensors `__metadata__`.
public enum ModelFile {
    /// Writes `model`'s tensors and `provenance` to `path`, atomically. For an architecture
    /// sized from the data (``ZooArchitecture/isSizedFromData``) the model's input shape and
    /// class count are recorded too, replacing whatever `provenance` held, so that
    /// ``load(path:architecture:)`` can rebuild it.
    public static func save(_ model: Sequential, provenance: ModelProvenance, to path: String) throws(ModelError) {
        var provenance = provenance
        if provenance.architecture.isSizedFromData {
            provenance.inputShape = model.inputShape
            provenance.classCount = model.classCount
        }
        try SafeTensors.write(model.namedTensors.map { (name: $0.name, tensor: $0.tensor) }, metadata: provenance.metadata,
                              to: URL(fileURLWithPath: path))
    }

    /// Writes `model`'s tensors with a provenance that records only its architecture.
    public static func save(_ model: Sequential, architecture: ZooArchitecture, to path: String) throws(ModelError) {
        try save(model, provenance: ModelProvenance(architecture: architecture), to: path)
    }

    /// Reads a zoo model from a safetensors file.
    ///
    /// The architecture comes from `architecture` when given, otherwise from the file's
    /// provenance (only its architecture, input shape and class count are read here, so other
    /// malformed entries do not stop a load); tensors must match it exactly (names and shapes).
    /// An architecture sized from the data needs the file's recorded `bulwark.input_shape` and
    /// `bulwark.class_count`; an `mlp` of another ``ZooVariant`` is rebuilt from the recorded
    /// `bulwark.hidden_sizes` and `bulwark.activation`. `metadata` is the file's raw `__metadata__`;
    /// ``ModelProvenance/init(metadata:)`` reads it.
    public static func load(path: String, architecture: ZooArchitecture? = nil) throws(ModelError)
        -> (model: Sequential, architecture: ZooArchitecture, metadata: [String: String]) {
        let file = try SafeTensors.read(from: URL(fileURLWithPath: path))
        let arch: ZooArchitecture
        if let architecture {
            arch = architecture
        } else {
            let recorded: ZooArchitecture?
            do { recorded = try ModelProvenance.architecture(in: file.metadata) } catch {
                throw ModelError(error.code, "\(path): \(error.message)", underlying: error)
            }
            guard let recorded else {
                throw ModelError(.unknownArchitecture, "\(path) does not say its architecture; pass --arch \(ZooArchitecture.allCases.map(\.rawValue).joined(separator: "|"))")
            }
            arch = recorded
        }
        let variant: ZooVariant
        do { variant = try ModelProvenance.variant(in: file.metadata) } catch {
            throw ModelError(error.code, "\(path): \(error.message)", underlying: error)
        }
        var model: Sequential
        if !variant.isStandard {
            do {
                model = try arch.makeModel(exampleShape: ZooArchitecture.defaultExampleShape, classCount: ZooArchitecture.defaultClassCount,
                                           variant: variant)
            } catch {
                throw ModelError(error.code, "\(path): \(error.message)", underlying: error)
            }
        } else if arch.isSizedFromData {
            let shape: [Int]?, classes: Int?
            do { (shape, classes) = try ModelProvenance.shape(in: file.metadata) } catch {
                throw ModelError(error.code, "\(path): \(error.message)", underlying: error)
            }
            guard let shape, let classes else {
                throw ModelError(.malformed, "\(path) does not record the input shape and class count a '\(arch.rawValue)' model needs (metadata bulwark.input_shape, bulwark.class_count)")
            }
            do { model = try arch.makeModel(exampleShape: shape, classCount: classes) } catch {
                throw ModelError(error.code, "\(path): \(error.message)", underlying: error)
            }
        } else {
            model = arch.makeModel()
        }
        do { try model.load(file.tensors) } catch {
            throw ModelError(error.code, "\(path) is not a '\(arch.rawValue)' model: \(error.message)", underlying: error)
        }
        return (model, arch, file.metadata)
    }
}
