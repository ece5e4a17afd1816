public import BulwarkTensor
import Foundation

/// Saving and loading zoo models as safetensors files.
///
/// Tensors are named as PyTorch's `state_dict` of the equivalent `nn.Sequential`, so a file
/// written here loads in PyTorch with `load_state_dict` and vice versa. The architecture and
/// training facts go in the safetensors `__metadata__` (`bulwark.architecture`, …).
public enum ModelFile {
    /// Metadata key holding the zoo architecture name.
    public static let architectureKey = "bulwark.architecture"

    /// Writes `model`'s tensors and `metadata` (plus the architecture) to `path`, atomically.
    public static func save(_ model: Sequential, architecture: ZooArchitecture, metadata: [String: String] = [:],
                            to path: String) throws(ModelError) {
        var meta = metadata
        meta[architectureKey] = architecture.rawValue
        try SafeTensors.write(model.namedTensors.map { (name: $0.name, tensor: $0.tensor) }, metadata: meta,
                              to: URL(fileURLWithPath: path))
    }

    /// Reads a zoo model from a safetensors file.
    ///
    /// The architecture comes from `architecture` when given, otherwise from the file's
    /// metadata; tensors must match it exactly (names and shapes).
    public static func load(path: String, architecture: ZooArchitecture? = nil) throws(ModelError)
        -> (model: Sequential, architecture: ZooArchitecture, metadata: [String: String]) {
        let file = try SafeTensors.read(from: URL(fileURLWithPath: path))
        let arch: ZooArchitecture
        if let architecture {
            arch = architecture
        } else if let name = file.metadata[architectureKey] {
            guard let a = ZooArchitecture(rawValue: name) else {
                throw ModelError(.unknownArchitecture, "\(path): unknown architecture '\(name)' in metadata (known: \(ZooArchitecture.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            arch = a
        } else {
            throw ModelError(.unknownArchitecture, "\(path) does not say its architecture; pass --arch \(ZooArchitecture.allCases.map(\.rawValue).joined(separator: "|"))")
        }
        var model = arch.makeModel()
        do { try model.load(file.tensors) } catch {
            throw ModelError(error.code, "\(path) is not a '\(arch.rawValue)' model: \(error.message)")
        }
        return (model, arch, file.metadata)
    }
}
